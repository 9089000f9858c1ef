import CLMDB
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `tern cache check DIR` found: every stored body read and checksummed, offline.
public struct DiskCheckReport: Sendable, Equatable {
    /// Meta records read.
    public var records = 0
    /// Records whose body is present, of the recorded length, with the recorded checksum.
    public var intact = 0
    /// Body bytes of the intact records.
    public var intactBytes: Int64 = 0
    /// Records whose body's length or checksum does not match (primary key, variant key).
    public var corrupt: [(primaryKey: String, variantKey: String)] = []
    /// Records without a body.
    public var missingBodies = 0
    /// Meta records that do not decode.
    public var undecodable = 0
    /// Bodies without a meta record.
    public var orphanBodies = 0
    /// The entry count the store's stats record holds (nil: no stats record).
    public var recordedCount: Int64?

    /// Whether everything checked out.
    public var isClean: Bool {
        self.corrupt.isEmpty && self.missingBodies == 0 && self.undecodable == 0 && self.orphanBodies == 0
            && (self.recordedCount == nil || self.recordedCount == Int64(self.records))
    }

    public static func == (a: DiskCheckReport, b: DiskCheckReport) -> Bool {
        a.records == b.records && a.intact == b.intact && a.intactBytes == b.intactBytes && a.missingBodies == b.missingBodies
            && a.undecodable == b.undecodable && a.orphanBodies == b.orphanBodies && a.recordedCount == b.recordedCount
            && a.corrupt.map { "\($0.primaryKey)\u{1F}\($0.variantKey)" } == b.corrupt.map { "\($0.primaryKey)\u{1F}\($0.variantKey)" }
    }

    /// A readable summary, one fact per line.
    public var summary: String {
        var lines = [
            "records: \(self.records)",
            "intact: \(self.intact) (\(self.intactBytes) body bytes)",
            "corrupt bodies (length or checksum mismatch): \(self.corrupt.count)",
        ]
        for item in self.corrupt.prefix(20) {
            lines.append("  \(item.primaryKey)" + (item.variantKey.isEmpty ? "" : " [variant \(item.variantKey)]"))
        }
        if self.corrupt.count > 20 { lines.append("  … and \(self.corrupt.count - 20) more") }
        lines.append("missing bodies: \(self.missingBodies)")
        lines.append("undecodable records: \(self.undecodable)")
        lines.append("orphan bodies: \(self.orphanBodies)")
        if let recorded = self.recordedCount, recorded != Int64(self.records) {
            lines.append("stats record says \(recorded) entries, found \(self.records)")
        }
        lines.append(self.isClean ? "result: OK" : "result: PROBLEMS FOUND (a running server deletes a corrupt body when it reads it; or move data.mdb aside)")
        return lines.joined(separator: "\n")
    }
}

extension DiskTier {
    /// Verifies every stored body of the store in `directory` against its recorded length and
    /// checksum, without changing anything (LMDB opened read-only). Fails with
    /// ``DiskTierError/alreadyInUse(path:)`` while a server has the directory open, and with
    /// ``DiskTierError/damaged(path:reason:)`` when the store cannot be read at all (truncated data
    /// file, damaged meta pages).
    public static func check(directory: String) throws -> DiskCheckReport {
        guard FileManager.default.fileExists(atPath: directory + "/data.mdb") else {
            throw DiskTierError.directoryUnusable(path: directory, reason: "no data.mdb in it (not a disk cache directory?)")
        }
        let lockPath = directory + "/tern-storage.lock"
        let lockFD = Glibc.open(lockPath, O_RDONLY | O_CLOEXEC)
        if lockFD >= 0 {
            defer { closeFileDescriptor(lockFD) }
            guard flock(lockFD, LOCK_SH | LOCK_NB) == 0 else { throw DiskTierError.alreadyInUse(path: directory) }
            return try Self.checkUnlocked(directory: directory)
        }
        return try Self.checkUnlocked(directory: directory)
    }

    private static func checkUnlocked(directory: String) throws -> DiskCheckReport {
        var envPointer: OpaquePointer?
        guard mdb_env_create(&envPointer) == 0, let env = envPointer else {
            throw DiskTierError.lmdb(operation: "mdb_env_create", code: -1, message: "no environment")
        }
        defer { mdb_env_close(env) }
        _ = mdb_env_set_maxdbs(env, 8)
        let rc = mdb_env_open(env, directory, UInt32(MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS | MDB_NORDAHEAD), 0o644)
        if rc == LMDB.invalid || rc == LMDB.corrupted || rc == LMDB.pageNotFound {
            throw DiskTierError.damaged(path: directory, reason: "its meta pages are unreadable (\(LMDB.message(rc)))")
        }
        guard rc == 0 else { throw DiskTierError.lmdb(operation: "mdb_env_open(\(directory))", code: rc, message: LMDB.message(rc)) }
        if let damage = DiskStore.truncation(env, directory: directory) {
            throw DiskTierError.damaged(path: directory, reason: damage)
        }
        var report = DiskCheckReport()
        do {
            let txn = try LMDBTransaction.begin(env, readOnly: true)
            defer { txn.abort() }
            let meta = try txn.openDatabase("meta", flags: 0, create: false)
            let body = try txn.openDatabase("body", flags: 0, create: false)
            let info = try txn.openDatabase("info", flags: 0, create: false)
            if let stats = try txn.get(info, DiskStore.statsKey), let decoded = DiskStore.decodeStats(stats) {
                report.recordedCount = decoded.count
            }
            var metaKeys = Set<[UInt8]>()
            try txn.forEach(meta) { key, value in
                report.records += 1
                metaKeys.insert(Array(key))
                guard let record = EntryRecord.decode(value) else {
                    report.undecodable += 1
                    return true
                }
                guard let bytes = try txn.get(body, Array(key)) else {
                    report.missingBodies += 1
                    return true
                }
                if Int64(bytes.count) == record.meta.bodyLength, XXHash64.hash(bytes) == record.bodyChecksum {
                    report.intact += 1
                    report.intactBytes += Int64(bytes.count)
                } else {
                    report.corrupt.append((record.meta.primaryKey, record.meta.variantKey))
                }
                return true
            }
            try txn.forEach(body) { key, _ in
                if !metaKeys.contains(Array(key)) { report.orphanBodies += 1 }
                return true
            }
        } catch let failure as LMDBFailure {
            if failure.code == LMDB.notFound {
                throw DiskTierError.directoryUnusable(path: directory, reason: "not a Tern disk cache (no meta/body databases)")
            }
            if failure.code == LMDB.corrupted || failure.code == LMDB.pageNotFound {
                throw DiskTierError.damaged(path: directory, reason: "\(failure.operation) found it corrupted (\(LMDB.message(failure.code)))")
            }
            throw DiskTierError.lmdb(operation: failure.operation, code: failure.code, message: LMDB.message(failure.code))
        }
        return report
    }
}

private func closeFileDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
