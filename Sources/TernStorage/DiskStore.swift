import Atomics
import Foundation
import CLMDB
import NIOCore

/// A queued write for the disk tier's writer thread.
enum DiskWriteOp: Sendable {
    case put(CacheEntry)
    case updateMeta(CacheEntryMeta)
    case remove(primaryKey: String)
    case removeVariant(primaryKey: String, variantKey: String)
    case removeAll(@Sendable (CacheEntryMeta) -> Bool)
    /// Sets `softPurged` on every entry whose meta matches (bodies, sizes and LRU order are kept).
    case markSoftPurged(@Sendable (CacheEntryMeta) -> Bool)
    /// Deletes the record at `digest` if it still has `checksum` (nil: if it does not decode).
    case dropCorrupt(Digest, checksum: UInt64?)

    var primaryKey: String? {
        switch self {
        case .put(let entry): entry.meta.primaryKey
        case .updateMeta(let meta): meta.primaryKey
        case .remove(let primaryKey): primaryKey
        case .removeVariant(let primaryKey, _): primaryKey
        case .removeAll, .markSoftPurged, .dropCorrupt: nil
        }
    }

    /// Bytes this op holds while queued (for the queue's byte bound).
    var queuedBytes: Int {
        switch self {
        case .put(let entry): Int(MemoryTier.accountedSize(of: entry))
        case .updateMeta(let meta): Int(MemoryTier.accountedSize(meta: meta, bodyBytes: 0))
        case .remove(let primaryKey): 64 + primaryKey.utf8.count
        case .removeVariant(let primaryKey, let variantKey): 64 + primaryKey.utf8.count + variantKey.utf8.count
        case .removeAll, .markSoftPurged, .dropCorrupt: 64
        }
    }
}

/// An access stamp to write (coalesced per variant).
struct DiskTouch: Sendable {
    var primaryKey: String
    var variantKey: String
    var now: Int64
}

/// The LMDB environment and its layout. Reads run on any thread (MDB_NOTLS); every method marked
/// "writer" runs only on the disk tier's single writer thread.
///
/// Named databases (all keys fixed-size, far below LMDB's 511-byte key limit):
/// - `meta`:    variant digest (16 B) → ``EntryRecord``
/// - `body`:    variant digest (16 B) → body bytes (written with MDB_RESERVE, no extra copy)
/// - `primary`: primary digest (16 B) → concatenated variant digests (16 B each)
/// - `tags`:    tag key → variant digest (DUPSORT | DUPFIXED); tag key = 0x01 ‖ UTF-8 (≤ 400 B) or 0x02 ‖ digest
/// - `lru`:     u64 big-endian access sequence → variant digest (oldest first)
/// - `info`:    "stats" → schema, bytes, count, next sequence (updated in every write transaction)
final class DiskStore: @unchecked Sendable {
    static let schemaVersion: UInt8 = 1
    /// Fixed bytes charged per entry on disk: the digest keys in `meta`, `body`, `primary` and `lru`
    /// (16 + 16 + 16 + 24) and LMDB's node headers and page slack around them.
    static let entryOverhead: Int64 = 160
    /// Bytes charged per tag on top of its key: the digest value and node header.
    static let tagOverhead: Int64 = 24

    struct State {
        var bytes: Int64 = 0
        var count: Int64 = 0
        var nextSequence: UInt64 = 1
    }

    let env: OpaquePointer
    let meta: MDB_dbi
    let body: MDB_dbi
    let primary: MDB_dbi
    let tags: MDB_dbi
    let lru: MDB_dbi
    let info: MDB_dbi
    let limit: Int64

    // Writer-thread state.
    private var state = State()
    private var pendingEvictions = 0

    // Published counters (read from any thread).
    let bytesUsed = ManagedAtomic<Int64>(0)
    let entryCount = ManagedAtomic<Int>(0)
    let evictions = ManagedAtomic<Int>(0)
    let mapFullRecoveries = ManagedAtomic<Int>(0)
    let writeErrors = ManagedAtomic<Int>(0)
    /// Test seam: commits fail with its error while set.
    let faultInjector: DiskFaultInjector?

    /// Variants kept per primary key (``DiskTier/Configuration/maxVariants``).
    var maxVariants = Int.max
    let variantEvictions = ManagedAtomic<Int>(0)

    init(
        directory: String, mapSize: Int64, maxReaders: Int, limit: Int64, durability: DiskTier.Durability,
        faultInjector: DiskFaultInjector? = nil
    ) throws {
        self.faultInjector = faultInjector
        var envPointer: OpaquePointer?
        try Self.wrap(mdb_env_create(&envPointer), "mdb_env_create", directory)
        guard let env = envPointer else { throw DiskTierError.lmdb(operation: "mdb_env_create", code: -1, message: "no environment") }
        var opened = false
        defer {
            if !opened { mdb_env_close(env) }
        }
        try Self.wrap(mdb_env_set_maxdbs(env, 8), "mdb_env_set_maxdbs", directory)
        try Self.wrap(mdb_env_set_mapsize(env, Int(mapSize)), "mdb_env_set_mapsize", directory)
        try Self.wrap(mdb_env_set_maxreaders(env, UInt32(maxReaders)), "mdb_env_set_maxreaders", directory)
        var flags = MDB_NOTLS | MDB_NORDAHEAD
        switch durability {
        case .full: break
        case .noMetaSync: flags |= MDB_NOMETASYNC
        case .noSync: flags |= MDB_NOSYNC
        }
        let rc = mdb_env_open(env, directory, UInt32(flags), 0o644)
        if rc == LMDB.invalid || rc == LMDB.corrupted || rc == LMDB.pageNotFound {
            throw DiskStoreDamage(reason: "its meta pages are unreadable (\(LMDB.message(rc)))")
        }
        if rc == LMDB.versionMismatch {
            throw DiskTierError.directoryUnusable(
                path: directory,
                reason: "existing files are not a compatible LMDB environment (\(LMDB.message(rc))); remove the directory to start empty"
            )
        }
        try Self.wrap(rc, "mdb_env_open", directory)
        var dead: Int32 = 0
        _ = mdb_reader_check(env, &dead)  // clears reader slots left by killed processes
        // Before any page is read through the map: a data file shorter than the pages its meta says
        // are in use would fault (SIGBUS) or read as an empty store.
        if let damage = Self.truncation(env, directory: directory) {
            throw DiskStoreDamage(reason: damage)
        }

        self.env = env
        self.limit = limit
        var txnPointer: LMDBTransaction?
        do {
            let txn = try LMDBTransaction.begin(env, readOnly: false)
            txnPointer = txn
            self.meta = try txn.openDatabase("meta", flags: 0)
            self.body = try txn.openDatabase("body", flags: 0)
            self.primary = try txn.openDatabase("primary", flags: 0)
            self.tags = try txn.openDatabase("tags", flags: MDB_DUPSORT | MDB_DUPFIXED)
            self.lru = try txn.openDatabase("lru", flags: 0)
            self.info = try txn.openDatabase("info", flags: 0)
            if let stats = try txn.get(self.info, Self.statsKey), let decoded = Self.decodeStats(stats) {
                self.state = decoded
            } else {
                // New environment, or an unknown schema: start empty.
                for dbi in [self.meta, self.body, self.primary, self.tags, self.lru] {
                    try txn.drop(dbi)
                }
                self.state = State()
            }
            try self.evictOverLimit(txn, limit: limit)
            try txn.put(self.info, Self.statsKey, Self.encodeStats(self.state))
            txnPointer = nil  // mdb_txn_commit frees the transaction, even when it fails
            try txn.commit()
        } catch let failure as LMDBFailure {
            txnPointer?.abort()
            if failure.code == LMDB.corrupted || failure.code == LMDB.pageNotFound {
                throw DiskStoreDamage(reason: "\(failure.operation) found it corrupted (\(LMDB.message(failure.code)))")
            }
            throw DiskTierError.lmdb(operation: failure.operation, code: failure.code, message: LMDB.message(failure.code))
        }
        self.publish()
        opened = true
    }

    /// A description of the damage when `data.mdb` is shorter than the last page in use, else nil.
    static func truncation(_ env: OpaquePointer, directory: String) -> String? {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        guard mdb_env_info(env, &info) == 0, mdb_env_stat(env, &stat) == 0 else { return nil }
        let needed = (Int64(info.me_last_pgno) + 1) * Int64(stat.ms_psize)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/data.mdb"),
              let size = (attributes[.size] as? NSNumber)?.int64Value
        else { return nil }
        guard size < needed else { return nil }
        return "data.mdb is \(size) bytes but its metadata says \(needed) bytes are in use (the file was truncated)"
    }

    func close() {
        mdb_env_close(self.env)
    }

    private static func wrap(_ rc: Int32, _ operation: String, _ directory: String) throws {
        guard rc != 0 else { return }
        throw DiskTierError.lmdb(operation: "\(operation)(\(directory))", code: rc, message: LMDB.message(rc))
    }

    // MARK: - Reads (any thread)

    struct ReadResult {
        var entries: [CacheEntry] = []
        var corrupt: [(Digest, UInt64?)] = []
    }

    /// Every intact variant of `primaryKey`; corrupt ones are reported, not returned.
    func read(primaryKey: String) throws -> ReadResult {
        let txn = try LMDBTransaction.begin(self.env, readOnly: true)
        defer { txn.abort() }
        var result = ReadResult()
        guard let list = try txn.get(self.primary, Digest.primary(primaryKey).bytes) else { return result }
        let digests = Self.digests(in: list)
        for digest in digests {
            let key = digest.bytes
            guard let recordBytes = try txn.get(self.meta, key) else { continue }
            guard let record = EntryRecord.decode(recordBytes) else {
                result.corrupt.append((digest, nil))
                continue
            }
            // A digest collision or a stale index entry: not this key.
            guard record.meta.primaryKey == primaryKey else { continue }
            guard let bodyBytes = try txn.get(self.body, key),
                Int64(bodyBytes.count) == record.meta.bodyLength,
                XXHash64.hash(bodyBytes) == record.bodyChecksum
            else {
                result.corrupt.append((digest, record.bodyChecksum))
                continue
            }
            var buffer = ByteBufferAllocator().buffer(capacity: bodyBytes.count)
            buffer.writeBytes(bodyBytes)
            result.entries.append(CacheEntry(meta: record.meta, body: buffer))
        }
        return result
    }

    /// Every decodable meta record, in digest order (one read transaction; bodies are not read).
    /// `body` runs inside the read transaction: keep it short and do not call back into the tier.
    func forEachMeta(_ body: (CacheEntryMeta) -> Void) throws {
        let txn = try LMDBTransaction.begin(self.env, readOnly: true)
        defer { txn.abort() }
        try txn.forEach(self.meta) { _, value in
            if let record = EntryRecord.decode(value) {
                body(record.meta)
            }
            return true
        }
    }

    /// The committed metas indexed under `tag`, plus the committed metas of `extra` variants
    /// (each checked against its full keys), without duplicates. Bodies are not read.
    func metas(taggedWith tag: String, extra: [VariantID]) throws -> [CacheEntryMeta] {
        let txn = try LMDBTransaction.begin(self.env, readOnly: true)
        defer { txn.abort() }
        var result: [CacheEntryMeta] = []
        var seen = Set<VariantID>()
        for value in try txn.duplicates(self.tags, Self.tagKey(tag)) {
            guard let digest = value.withUnsafeBytes({ Digest($0) }),
                let record = try self.record(digest, txn), record.meta.tags.contains(tag),
                seen.insert(VariantID(primaryKey: record.meta.primaryKey, variantKey: record.meta.variantKey)).inserted
            else { continue }
            result.append(record.meta)
        }
        for id in extra where !seen.contains(id) {
            let digest = Digest.variant(primaryKey: id.primaryKey, variantKey: id.variantKey)
            guard let record = try self.record(digest, txn),
                record.meta.primaryKey == id.primaryKey, record.meta.variantKey == id.variantKey
            else { continue }
            seen.insert(id)
            result.append(record.meta)
        }
        return result
    }

    func allPrimaryKeys() throws -> Set<String> {
        let txn = try LMDBTransaction.begin(self.env, readOnly: true)
        defer { txn.abort() }
        var keys = Set<String>()
        try txn.forEach(self.meta) { _, value in
            if let record = EntryRecord.decode(value) {
                keys.insert(record.meta.primaryKey)
            }
            return true
        }
        return keys
    }

    /// Visits the raw body bytes stored for one variant inside a write transaction (test hook for corruption).
    func withWriteTransaction<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        let txn = try LMDBTransaction.begin(self.env, readOnly: false)
        let result: T
        do {
            result = try body(txn)
        } catch {
            txn.abort()
            throw error
        }
        try txn.commit()
        return result
    }

    // MARK: - Writer

    struct CommitOutcome {
        var droppedPuts = 0
        /// The first failure that lost ops (nil: everything committed, or only map-full recoveries).
        var failure: (kind: DiskWriteFailure, code: Int32)?
    }

    /// A tiny write transaction (rewrites the stats record): does the store accept writes now?
    func probeWrite() -> (kind: DiskWriteFailure, code: Int32)? {
        do {
            try self.transaction { _ in }
            return nil
        } catch let failure as LMDBFailure {
            return (DiskWriteFailure.classify(failure.code), failure.code)
        } catch {
            return (.other, -1)
        }
    }

    /// Commits `ops` and `touches` (writer thread). MDB_MAP_FULL is handled by evicting and retrying;
    /// the caller never sees it. Returns the puts that could not be stored at all.
    func commit(_ ops: [DiskWriteOp], touches: [DiskTouch]) -> CommitOutcome {
        var outcome = CommitOutcome()
        self.commit(ops[...], touches: touches, outcome: &outcome)
        return outcome
    }

    private func commit(_ ops: ArraySlice<DiskWriteOp>, touches: [DiskTouch], outcome: inout CommitOutcome) {
        var attempt = 0
        while true {
            do {
                try self.transaction { txn in
                    for op in ops {
                        try self.apply(op, txn)
                    }
                    for touch in touches {
                        try self.apply(touch, txn)
                    }
                    try self.evictOverLimit(txn, limit: self.limit)
                }
                return
            } catch let failure as LMDBFailure where failure.isMapFull || failure.isTxnFull {
                attempt += 1
                if failure.isTxnFull || attempt > 3, ops.count > 1 {
                    // Split: smaller transactions need fewer dirty pages and less free space at once.
                    let middle = ops.startIndex + ops.count / 2
                    self.commit(ops[..<middle], touches: touches, outcome: &outcome)
                    self.commit(ops[middle...], touches: [], outcome: &outcome)
                    return
                }
                if attempt > 8 || !self.makeRoom(needed: Self.bytesNeeded(ops)) {
                    if let failure = self.lastMakeRoomFailure {
                        // Evicting itself failed (I/O error, no space): not a map-full problem.
                        self.lastMakeRoomFailure = nil
                        self.writeErrors.wrappingIncrement(ordering: .relaxed)
                        for op in ops {
                            if case .put = op { outcome.droppedPuts += 1 }
                        }
                        outcome.failure = outcome.failure ?? failure
                        return
                    }
                    // Even an emptied store cannot take it (object larger than the map): drop it.
                    for op in ops {
                        if case .put = op { outcome.droppedPuts += 1 }
                    }
                    if outcome.failure == nil, ops.contains(where: { if case .put = $0 { true } else { false } }) {
                        outcome.failure = (.mapFull, LMDB.mapFull)
                    }
                    return  // access stamps are best-effort
                }
                self.mapFullRecoveries.wrappingIncrement(ordering: .relaxed)
            } catch {
                self.writeErrors.wrappingIncrement(ordering: .relaxed)
                for op in ops {
                    if case .put = op { outcome.droppedPuts += 1 }
                }
                let code = (error as? LMDBFailure)?.code ?? -1
                outcome.failure = outcome.failure ?? (DiskWriteFailure.classify(code), code)
                return
            }
        }
    }

    private static func bytesNeeded(_ ops: ArraySlice<DiskWriteOp>) -> Int64 {
        var bytes: Int64 = 0
        for op in ops {
            if case .put(let entry) = op {
                bytes += Int64(entry.body.readableBytes) + 4096
            }
        }
        return bytes
    }

    /// Runs `body` in a write transaction; commits it and publishes the new state, or aborts and
    /// restores the previous state.
    private func transaction(_ body: (LMDBTransaction) throws -> Void) throws {
        let saved = self.state
        let savedEvictions = self.pendingEvictions
        let txn = try LMDBTransaction.begin(self.env, readOnly: false)
        do {
            try body(txn)
            try txn.put(self.info, Self.statsKey, Self.encodeStats(self.state))
        } catch {
            txn.abort()
            self.state = saved
            self.pendingEvictions = savedEvictions
            throw error
        }
        do {
            if let code = self.faultInjector?.commitError {
                txn.abort()
                throw LMDBFailure(code: code, operation: "mdb_txn_commit")
            }
            try txn.commit()  // frees the transaction, even when it fails
        } catch {
            self.state = saved
            self.pendingEvictions = savedEvictions
            throw error
        }
        self.publish()
    }

    private func publish() {
        self.bytesUsed.store(self.state.bytes, ordering: .relaxed)
        self.entryCount.store(Int(self.state.count), ordering: .relaxed)
        if self.pendingEvictions > 0 {
            self.evictions.wrappingIncrement(by: self.pendingEvictions, ordering: .relaxed)
            self.pendingEvictions = 0
        }
    }

    /// After MDB_MAP_FULL: evicts the oldest entries worth `needed` bytes (at least 1/16 of the store)
    /// in one transaction, then commits a second, tiny transaction so that LMDB may reuse the freed
    /// pages (pages freed by transaction N become reusable from transaction N + 2).
    /// Returns false when there was nothing left to evict.
    private func makeRoom(needed: Int64) -> Bool {
        guard self.state.count > 0 else { return false }
        var target = max(needed * 2, self.state.bytes / 16)
        while true {
            do {
                try self.transaction { txn in
                    let goal = max(0, self.state.bytes - target)
                    try self.evictOverLimit(txn, limit: goal, atLeastOne: true)
                }
                try self.transaction { _ in }  // stats rewrite: advances the transaction id
                return true
            } catch let failure as LMDBFailure where failure.isMapFull && target > 1 {
                target = 1  // even deleting needs a few free pages: evict one entry per transaction
            } catch {
                let code = (error as? LMDBFailure)?.code ?? -1
                self.lastMakeRoomFailure = (DiskWriteFailure.classify(code), code)
                return false
            }
        }
    }

    /// Why the last `makeRoom` failed, when it failed on an error rather than an empty store.
    private var lastMakeRoomFailure: (kind: DiskWriteFailure, code: Int32)?

    private func apply(_ op: DiskWriteOp, _ txn: LMDBTransaction) throws {
        switch op {
        case .put(let entry):
            try self.put(entry, txn)
        case .updateMeta(let meta):
            try self.updateMeta(meta, txn)
        case .remove(let primaryKey):
            let primaryDigest = Digest.primary(primaryKey).bytes
            guard let list = try txn.get(self.primary, primaryDigest) else { return }
            for digest in Self.digests(in: list) {
                if let record = try self.record(digest, txn), record.meta.primaryKey == primaryKey {
                    try self.deleteEntry(digest, record, txn)
                }
            }
        case .removeVariant(let primaryKey, let variantKey):
            let digest = Digest.variant(primaryKey: primaryKey, variantKey: variantKey)
            if let record = try self.record(digest, txn),
                record.meta.primaryKey == primaryKey, record.meta.variantKey == variantKey
            {
                try self.deleteEntry(digest, record, txn)
            }
        case .removeAll(let predicate):
            var victims: [(Digest, EntryRecord?)] = []
            try txn.forEach(self.meta) { key, value in
                guard let digest = Digest(key) else { return true }
                if let record = EntryRecord.decode(value) {
                    if predicate(record.meta) { victims.append((digest, record)) }
                } else {
                    victims.append((digest, nil))
                }
                return true
            }
            for (digest, record) in victims {
                if let record {
                    try self.deleteEntry(digest, record, txn)
                } else {
                    try self.deleteUndecodable(digest, txn)
                }
            }
        case .markSoftPurged(let predicate):
            var targets: [(Digest, EntryRecord)] = []
            try txn.forEach(self.meta) { key, value in
                if let digest = Digest(key), let record = EntryRecord.decode(value),
                    !record.meta.softPurged, predicate(record.meta)
                {
                    targets.append((digest, record))
                }
                return true
            }
            for (digest, var record) in targets {
                // Only the flags byte changes: same length, so storedSize, tags and LRU stamp are unchanged.
                record.meta.softPurged = true
                try txn.put(self.meta, digest.bytes, record.encoded())
            }
        case .dropCorrupt(let digest, let checksum):
            let key = digest.bytes
            guard let bytes = try txn.get(self.meta, key) else { return }
            if let record = EntryRecord.decode(bytes) {
                if let checksum, record.bodyChecksum == checksum {
                    try self.deleteEntry(digest, record, txn)
                }
            } else if checksum == nil {
                try self.deleteUndecodable(digest, txn)
            }
        }
    }

    private func put(_ entry: CacheEntry, _ txn: LMDBTransaction) throws {
        let digest = Digest.variant(primaryKey: entry.meta.primaryKey, variantKey: entry.meta.variantKey)
        let key = digest.bytes
        if let bytes = try txn.get(self.meta, key) {
            if let old = EntryRecord.decode(bytes) {
                // The previous version (or, on a digest collision, another key: last writer wins).
                try self.deleteEntry(digest, old, txn)
            } else {
                try self.deleteUndecodable(digest, txn)
            }
        }
        var meta = entry.meta
        meta.bodyLength = Int64(entry.body.readableBytes)
        let checksum = entry.body.withUnsafeReadableBytes { XXHash64.hash($0) }
        let sequence = self.nextSequence()
        var record = EntryRecord(meta: meta, storedSize: 0, lruSequence: sequence, bodyChecksum: checksum)
        var encoded = record.encoded()
        record.storedSize = Self.storedSize(recordBytes: encoded.count, meta: meta)
        EntryRecord.patch(UInt64(bitPattern: record.storedSize), at: EntryRecord.storedSizeOffset, in: &encoded)

        try txn.put(self.meta, key, encoded)
        try txn.reserve(self.body, key, size: entry.body.readableBytes) { destination in
            entry.body.withUnsafeReadableBytes { source in
                if let base = source.baseAddress, let target = destination.baseAddress {
                    target.copyMemory(from: base, byteCount: source.count)
                }
            }
        }
        try self.addToPrimary(digest, primaryKey: meta.primaryKey, txn)
        try self.capVariants(of: meta.primaryKey, keeping: digest, txn)
        for tag in Set(meta.tags) {
            try txn.put(self.tags, Self.tagKey(tag), key, flags: MDB_NODUPDATA)
        }
        try txn.put(self.lru, Self.sequenceKey(sequence), key)
        self.state.bytes += record.storedSize
        self.state.count += 1
    }

    private func updateMeta(_ meta: CacheEntryMeta, _ txn: LMDBTransaction) throws {
        let digest = Digest.variant(primaryKey: meta.primaryKey, variantKey: meta.variantKey)
        guard let old = try self.record(digest, txn),
            old.meta.primaryKey == meta.primaryKey, old.meta.variantKey == meta.variantKey
        else { return }
        let key = digest.bytes
        var newMeta = meta
        newMeta.bodyLength = old.meta.bodyLength
        for tag in Set(old.meta.tags).subtracting(newMeta.tags) {
            try txn.delete(self.tags, Self.tagKey(tag), value: key)
        }
        for tag in Set(newMeta.tags).subtracting(old.meta.tags) {
            try txn.put(self.tags, Self.tagKey(tag), key, flags: MDB_NODUPDATA)
        }
        try txn.delete(self.lru, Self.sequenceKey(old.lruSequence))
        let sequence = self.nextSequence()
        var record = EntryRecord(meta: newMeta, storedSize: 0, lruSequence: sequence, bodyChecksum: old.bodyChecksum)
        var encoded = record.encoded()
        record.storedSize = Self.storedSize(recordBytes: encoded.count, meta: newMeta)
        EntryRecord.patch(UInt64(bitPattern: record.storedSize), at: EntryRecord.storedSizeOffset, in: &encoded)
        try txn.put(self.meta, key, encoded)
        try txn.put(self.lru, Self.sequenceKey(sequence), key)
        self.state.bytes += record.storedSize - old.storedSize
    }

    private func apply(_ touch: DiskTouch, _ txn: LMDBTransaction) throws {
        let digest = Digest.variant(primaryKey: touch.primaryKey, variantKey: touch.variantKey)
        guard var record = try self.record(digest, txn),
            record.meta.primaryKey == touch.primaryKey, record.meta.variantKey == touch.variantKey
        else { return }
        let key = digest.bytes
        try txn.delete(self.lru, Self.sequenceKey(record.lruSequence))
        record.lruSequence = self.nextSequence()
        record.meta.lastAccess = max(record.meta.lastAccess, touch.now)
        try txn.put(self.meta, key, record.encoded())  // same length: storedSize unchanged
        try txn.put(self.lru, Self.sequenceKey(record.lruSequence), key)
    }

    /// Deletes least recently used entries while the store holds more than `limit` bytes.
    private func evictOverLimit(_ txn: LMDBTransaction, limit: Int64, atLeastOne: Bool = false) throws {
        var mustEvict = atLeastOne
        while self.state.bytes > limit || mustEvict {
            guard let (sequenceKey, value) = try txn.first(self.lru) else {
                if self.state.count == 0 { self.state.bytes = 0 }  // nothing left: resynchronize
                return
            }
            let digest = value.withUnsafeBytes { Digest($0) }
            if let digest, let record = try self.record(digest, txn),
                Self.sequenceKey(record.lruSequence) == sequenceKey
            {
                try self.deleteEntry(digest, record, txn)
                self.pendingEvictions += 1
                mustEvict = false
            } else {
                try txn.delete(self.lru, sequenceKey)  // stale stamp
            }
        }
    }

    private func deleteEntry(_ digest: Digest, _ record: EntryRecord, _ txn: LMDBTransaction) throws {
        let key = digest.bytes
        try txn.delete(self.meta, key)
        try txn.delete(self.body, key)
        try self.removeFromPrimary(digest, primaryKey: record.meta.primaryKey, txn)
        for tag in Set(record.meta.tags) {
            try txn.delete(self.tags, Self.tagKey(tag), value: key)
        }
        try txn.delete(self.lru, Self.sequenceKey(record.lruSequence))
        self.state.bytes = max(0, self.state.bytes - record.storedSize)
        self.state.count = max(0, self.state.count - 1)
    }

    /// A record that does not decode: remove what can be found (its lru stamp is dropped lazily by eviction).
    private func deleteUndecodable(_ digest: Digest, _ txn: LMDBTransaction) throws {
        let key = digest.bytes
        try txn.delete(self.meta, key)
        try txn.delete(self.body, key)
    }

    private func record(_ digest: Digest, _ txn: LMDBTransaction) throws -> EntryRecord? {
        guard let bytes = try txn.get(self.meta, digest.bytes) else { return nil }
        return EntryRecord.decode(bytes)
    }

    private func addToPrimary(_ digest: Digest, primaryKey: String, _ txn: LMDBTransaction) throws {
        let primaryDigest = Digest.primary(primaryKey).bytes
        var digests = try txn.get(self.primary, primaryDigest).map { Self.digests(in: $0) } ?? []
        guard !digests.contains(digest) else { return }
        digests.append(digest)
        try txn.put(self.primary, primaryDigest, digests.flatMap(\.bytes))
    }

    /// Deletes the least recently used variants of `primaryKey` (lowest LRU sequence) until at most
    /// ``maxVariants`` remain; `keeping` (the variant just stored) is never chosen.
    private func capVariants(of primaryKey: String, keeping: Digest, _ txn: LMDBTransaction) throws {
        let primaryDigest = Digest.primary(primaryKey).bytes
        guard let list = try txn.get(self.primary, primaryDigest) else { return }
        var digests = Self.digests(in: list)
        guard digests.count > self.maxVariants else { return }
        var records: [(Digest, EntryRecord)] = []
        for digest in digests where digest != keeping {
            if let record = try self.record(digest, txn) { records.append((digest, record)) }
        }
        records.sort { $0.1.lruSequence < $1.1.lruSequence }
        for (digest, record) in records where digests.count > self.maxVariants {
            try self.deleteEntry(digest, record, txn)
            digests.removeAll { $0 == digest }
            self.variantEvictions.wrappingIncrement(ordering: .relaxed)
        }
    }

    private func removeFromPrimary(_ digest: Digest, primaryKey: String, _ txn: LMDBTransaction) throws {
        let primaryDigest = Digest.primary(primaryKey).bytes
        guard let list = try txn.get(self.primary, primaryDigest) else { return }
        var digests = Self.digests(in: list)
        digests.removeAll { $0 == digest }
        if digests.isEmpty {
            try txn.delete(self.primary, primaryDigest)
        } else {
            try txn.put(self.primary, primaryDigest, digests.flatMap(\.bytes))
        }
    }

    private func nextSequence() -> UInt64 {
        defer { self.state.nextSequence += 1 }
        return self.state.nextSequence
    }

    // MARK: - Encodings

    static let statsKey: [UInt8] = Array("stats".utf8)

    static func storedSize(recordBytes: Int, meta: CacheEntryMeta) -> Int64 {
        var size = Int64(recordBytes) + meta.bodyLength + Self.entryOverhead
        for tag in Set(meta.tags) {
            size += Int64(Self.tagKey(tag).count) + Self.tagOverhead
        }
        return size
    }

    static func tagKey(_ tag: String) -> [UInt8] {
        let utf8 = Array(tag.utf8)
        if utf8.count <= 400 {
            return [0x01] + utf8
        }
        return [0x02] + Digest.primary(tag).bytes
    }

    static func sequenceKey(_ sequence: UInt64) -> [UInt8] {
        withUnsafeBytes(of: sequence.bigEndian) { Array($0) }
    }

    static func digests(in list: UnsafeRawBufferPointer) -> [Digest] {
        var result: [Digest] = []
        result.reserveCapacity(list.count / Digest.size)
        var offset = 0
        while offset + Digest.size <= list.count {
            if let digest = Digest(UnsafeRawBufferPointer(rebasing: list[offset..<(offset + Digest.size)])) {
                result.append(digest)
            }
            offset += Digest.size
        }
        return result
    }

    static func encodeStats(_ state: State) -> [UInt8] {
        var out: [UInt8] = [Self.schemaVersion]
        withUnsafeBytes(of: UInt64(bitPattern: state.bytes).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(bitPattern: state.count).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: state.nextSequence.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    static func decodeStats(_ bytes: UnsafeRawBufferPointer) -> State? {
        guard bytes.count == 25, bytes[0] == Self.schemaVersion else { return nil }
        return State(
            bytes: Int64(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt64.self))),
            count: Int64(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 9, as: UInt64.self))),
            nextSequence: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 17, as: UInt64.self))
        )
    }
}
