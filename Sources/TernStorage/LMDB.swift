import CLMDB

/// Thin, internal Swift wrapper over the liblmdb calls TernStorage uses. Memory returned by reads
/// points into the map and is valid only until its transaction ends: copy before returning.
enum LMDB {
    static let notFound: Int32 = -30798
    static let keyExist: Int32 = -30799
    static let mapFull: Int32 = -30792
    static let txnFull: Int32 = -30788
    static let readersFull: Int32 = -30790
    static let invalid: Int32 = -30793
    static let versionMismatch: Int32 = -30794
    static let corrupted: Int32 = -30796
    static let pageNotFound: Int32 = -30797

    static func message(_ code: Int32) -> String {
        String(cString: mdb_strerror(code))
    }

    static func check(_ code: Int32, _ operation: StaticString) throws {
        if code != 0 {
            throw LMDBFailure(code: code, operation: "\(operation)")
        }
    }
}

/// An LMDB return code with the call that produced it.
struct LMDBFailure: Error, CustomStringConvertible {
    var code: Int32
    var operation: String

    var isMapFull: Bool { self.code == LMDB.mapFull }
    var isTxnFull: Bool { self.code == LMDB.txnFull }
    var description: String { "\(self.operation): \(LMDB.message(self.code)) (\(self.code))" }
}

/// One LMDB transaction (read-only or the writer's). Not Sendable: it lives on one thread.
struct LMDBTransaction {
    let pointer: OpaquePointer

    static func begin(_ env: OpaquePointer, readOnly: Bool) throws -> LMDBTransaction {
        var txn: OpaquePointer?
        try LMDB.check(mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn), "mdb_txn_begin")
        guard let txn else { throw LMDBFailure(code: -1, operation: "mdb_txn_begin") }
        return LMDBTransaction(pointer: txn)
    }

    func commit() throws {
        try LMDB.check(mdb_txn_commit(self.pointer), "mdb_txn_commit")
    }

    func abort() {
        mdb_txn_abort(self.pointer)
    }

    func openDatabase(_ name: String, flags: Int32, create: Bool = true) throws -> MDB_dbi {
        var dbi: MDB_dbi = 0
        try LMDB.check(mdb_dbi_open(self.pointer, name, UInt32(flags | (create ? MDB_CREATE : 0)), &dbi), "mdb_dbi_open")
        return dbi
    }

    func drop(_ dbi: MDB_dbi) throws {
        try LMDB.check(mdb_drop(self.pointer, dbi, 0), "mdb_drop")
    }

    /// The value stored under `key`, or nil. The buffer is valid until the transaction ends.
    func get(_ dbi: MDB_dbi, _ key: [UInt8]) throws -> UnsafeRawBufferPointer? {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val()
            let rc = mdb_get(self.pointer, dbi, &k, &v)
            if rc == LMDB.notFound { return nil }
            try LMDB.check(rc, "mdb_get")
            return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
        }
    }

    func put(_ dbi: MDB_dbi, _ key: [UInt8], _ value: UnsafeRawBufferPointer, flags: Int32 = 0) throws {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
            let rc = mdb_put(self.pointer, dbi, &k, &v, UInt32(flags))
            if rc == LMDB.keyExist, flags & MDB_NODUPDATA != 0 { return }
            try LMDB.check(rc, "mdb_put")
        }
    }

    func put(_ dbi: MDB_dbi, _ key: [UInt8], _ value: [UInt8], flags: Int32 = 0) throws {
        try value.withUnsafeBytes { try self.put(dbi, key, $0, flags: flags) }
    }

    /// Reserves `size` bytes for `key`'s value and lets `fill` write them in place (no intermediate copy).
    func reserve(_ dbi: MDB_dbi, _ key: [UInt8], size: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) throws {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val(mv_size: size, mv_data: nil)
            try LMDB.check(mdb_put(self.pointer, dbi, &k, &v, UInt32(MDB_RESERVE)), "mdb_put(reserve)")
            fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: size))
        }
    }

    /// Deletes `key` (or, in a dupsort database, only the pair key/value). Returns false when absent.
    @discardableResult
    func delete(_ dbi: MDB_dbi, _ key: [UInt8], value: [UInt8]? = nil) throws -> Bool {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            let rc: Int32
            if let value {
                rc = value.withUnsafeBytes { valueBytes in
                    var v = MDB_val(mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                    return mdb_del(self.pointer, dbi, &k, &v)
                }
            } else {
                rc = mdb_del(self.pointer, dbi, &k, nil)
            }
            if rc == LMDB.notFound { return false }
            try LMDB.check(rc, "mdb_del")
            return true
        }
    }

    /// Visits every (key, value) pair in key order until `body` returns false.
    func forEach(
        _ dbi: MDB_dbi,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var cursor: OpaquePointer?
        try LMDB.check(mdb_cursor_open(self.pointer, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var op = MDB_FIRST
        while true {
            let rc = mdb_cursor_get(cursor, &k, &v, op)
            if rc == LMDB.notFound { return }
            try LMDB.check(rc, "mdb_cursor_get")
            let key = UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)
            let value = UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
            if try !body(key, value) { return }
            op = MDB_NEXT
        }
    }

    /// The first (smallest key) pair, copied.
    func first(_ dbi: MDB_dbi) throws -> (key: [UInt8], value: [UInt8])? {
        var result: ([UInt8], [UInt8])?
        try self.forEach(dbi) { key, value in
            result = (Array(key), Array(value))
            return false
        }
        return result
    }

    /// Every value stored under `key` in a dupsort database, copied.
    func duplicates(_ dbi: MDB_dbi, _ key: [UInt8]) throws -> [[UInt8]] {
        var cursor: OpaquePointer?
        try LMDB.check(mdb_cursor_open(self.pointer, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        return try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val()
            var result: [[UInt8]] = []
            var op = MDB_SET_KEY
            while true {
                let rc = mdb_cursor_get(cursor, &k, &v, op)
                if rc == LMDB.notFound { return result }
                try LMDB.check(rc, "mdb_cursor_get")
                result.append(Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)))
                op = MDB_NEXT_DUP
            }
        }
    }
}
