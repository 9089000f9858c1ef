/// The effect of queued-but-uncommitted writes, so that `DiskTier.get` reads its own writes:
/// after `put`, `remove…` or `updateMeta` returns, `get` already answers as if the writer had
/// committed them (a purge is never undone by a slow writer).
///
/// Consistency argument: a reader snapshots the overlay *before* it begins its LMDB read
/// transaction, and the writer clears an op from the overlay only *after* committing it, so every
/// op is visible through the snapshot, the transaction, or both (applying it twice is harmless).
struct PendingOverlay {
    typealias Predicate = @Sendable (CacheEntryMeta) -> Bool

    struct KeyState {
        /// A whole-key removal still queued: committed variants are hidden.
        var removedAt: UInt64?
        /// Queued puts, by variant key (the latest wins).
        var puts: [String: (seq: UInt64, entry: CacheEntry)] = [:]
        /// Variants whose committed copy is hidden (queued removal).
        var hidden: [String: UInt64] = [:]
        /// Queued meta replacements of committed variants.
        var metaUpdates: [String: (seq: UInt64, meta: CacheEntryMeta)] = [:]

        var isEmpty: Bool { self.removedAt == nil && self.puts.isEmpty && self.hidden.isEmpty && self.metaUpdates.isEmpty }
    }

    /// What a queued predicate op does to the committed variants it matches.
    enum PredicateKind {
        /// `removeAll(where:)`: the variant is gone.
        case remove
        /// `markSoftPurged(where:)`: the variant stays, with `softPurged = true`.
        case softPurge
    }

    typealias QueuedPredicate = (seq: UInt64, kind: PredicateKind, predicate: Predicate)

    struct Snapshot {
        var state: KeyState?
        /// Queued predicate ops, in queue (sequence) order.
        var predicates: [QueuedPredicate]

        var isEmpty: Bool { self.state == nil && self.predicates.isEmpty }

        /// The meta a committed variant has once the queued writes are applied, or nil when they remove it.
        ///
        /// Follows the writer's order: predicate ops queued before a queued meta update see the committed
        /// meta, later ones see the updated meta (a purge by tag queued before an update that drops the
        /// tag still removes the variant; one queued after it does not).
        func visible(_ committed: CacheEntryMeta) -> CacheEntryMeta? {
            var meta = committed
            var update: (seq: UInt64, meta: CacheEntryMeta)?
            if let state {
                if state.removedAt != nil { return nil }
                if state.hidden[meta.variantKey] != nil || state.puts[meta.variantKey] != nil { return nil }
                update = state.metaUpdates[meta.variantKey]
            }
            for queued in self.predicates {
                if let pending = update, queued.seq > pending.seq {
                    meta = Self.updated(meta, with: pending.meta)
                    update = nil
                }
                guard queued.predicate(meta) else { continue }
                switch queued.kind {
                case .remove: return nil
                case .softPurge: meta.softPurged = true
                }
            }
            if let pending = update {
                meta = Self.updated(meta, with: pending.meta)
            }
            return meta
        }

        private static func updated(_ committed: CacheEntryMeta, with update: CacheEntryMeta) -> CacheEntryMeta {
            var meta = update
            meta.bodyLength = committed.bodyLength
            return meta
        }

        /// Applies the queued writes to the committed variants read from LMDB.
        func apply(to committed: [CacheEntry]) -> [CacheEntry] {
            var result: [CacheEntry] = []
            result.reserveCapacity(committed.count)
            for var entry in committed {
                guard let meta = self.visible(entry.meta) else { continue }
                entry.meta = meta
                result.append(entry)
            }
            if let state {
                result.append(contentsOf: state.puts.values.map(\.entry))
            }
            return result
        }
    }

    /// The whole overlay at one instant (copy-on-write: O(1) under the tier's lock).
    struct FullSnapshot {
        var keys: [String: KeyState]
        var predicates: [QueuedPredicate]

        var isEmpty: Bool { self.keys.isEmpty && self.predicates.isEmpty }

        func snapshot(primaryKey: String) -> Snapshot {
            Snapshot(state: self.keys[primaryKey], predicates: self.predicates)
        }

        /// The meta a committed variant has once the queued writes are applied, or nil when they remove it.
        func visible(_ committed: CacheEntryMeta) -> CacheEntryMeta? {
            if self.isEmpty { return committed }
            return self.snapshot(primaryKey: committed.primaryKey).visible(committed)
        }

        /// The metas of queued puts (as `get` would return them).
        var queuedPutMetas: [CacheEntryMeta] {
            self.keys.values.flatMap { $0.puts.values.map(\.entry.meta) }
        }
    }

    private var keys: [String: KeyState] = [:]
    private var predicates: [QueuedPredicate] = []

    func snapshot(primaryKey: String) -> Snapshot {
        Snapshot(state: self.keys[primaryKey], predicates: self.predicates)
    }

    func fullSnapshot() -> FullSnapshot {
        FullSnapshot(keys: self.keys, predicates: self.predicates)
    }

    var pendingPrimaryKeys: Dictionary<String, KeyState>.Keys { self.keys.keys }

    mutating func put(_ entry: CacheEntry, seq: UInt64) {
        self.keys[entry.meta.primaryKey, default: KeyState()].puts[entry.meta.variantKey] = (seq, entry)
        self.keys[entry.meta.primaryKey]!.metaUpdates[entry.meta.variantKey] = nil
    }

    /// Forgets a queued put that will never be committed (the disk refused the write).
    mutating func forgetPut(primaryKey: String, variantKey: String, seq: UInt64) {
        guard var state = self.keys[primaryKey], let put = state.puts[variantKey], put.seq == seq else { return }
        state.puts[variantKey] = nil
        self.keys[primaryKey] = state.isEmpty ? nil : state
    }

    mutating func updateMeta(_ meta: CacheEntryMeta, seq: UInt64) {
        var state = self.keys[meta.primaryKey] ?? KeyState()
        if var put = state.puts[meta.variantKey] {
            let length = put.entry.meta.bodyLength
            put.entry.meta = meta
            put.entry.meta.bodyLength = length
            put.seq = seq
            state.puts[meta.variantKey] = put
        } else if state.removedAt != nil || state.hidden[meta.variantKey] != nil {
            return  // the writer will find nothing to update
        } else {
            state.metaUpdates[meta.variantKey] = (seq, meta)
        }
        self.keys[meta.primaryKey] = state
    }

    mutating func remove(primaryKey: String, seq: UInt64) {
        var state = KeyState()
        state.removedAt = seq
        self.keys[primaryKey] = state
    }

    mutating func removeVariant(primaryKey: String, variantKey: String, seq: UInt64) {
        var state = self.keys[primaryKey] ?? KeyState()
        state.puts[variantKey] = nil
        state.metaUpdates[variantKey] = nil
        state.hidden[variantKey] = seq
        self.keys[primaryKey] = state
    }

    mutating func removeAll(where predicate: @escaping Predicate, seq: UInt64) {
        for (primaryKey, var state) in self.keys {
            for (variantKey, put) in state.puts where predicate(put.entry.meta) {
                state.puts[variantKey] = nil
                state.hidden[variantKey] = seq
            }
            for (variantKey, update) in state.metaUpdates where predicate(update.meta) {
                state.metaUpdates[variantKey] = nil
                state.hidden[variantKey] = seq
            }
            self.keys[primaryKey] = state
        }
        self.predicates.append((seq, .remove, predicate))
    }

    mutating func markSoftPurged(where predicate: @escaping Predicate, seq: UInt64) {
        for (primaryKey, var state) in self.keys {
            for (variantKey, var put) in state.puts where predicate(put.entry.meta) {
                put.entry.meta.softPurged = true
                state.puts[variantKey] = put
            }
            for (variantKey, var update) in state.metaUpdates where predicate(update.meta) {
                update.meta.softPurged = true
                state.metaUpdates[variantKey] = update
            }
            self.keys[primaryKey] = state
        }
        self.predicates.append((seq, .softPurge, predicate))
    }

    /// Forgets every op with a sequence number ≤ `committed` touching `primaryKeys` (and committed predicates).
    mutating func clear(upTo committed: UInt64, primaryKeys: some Sequence<String>) {
        if let first = self.predicates.first, first.seq <= committed {
            // A committed purge hid (or flagged) variants under keys it did not name: sweep every key.
            self.predicates.removeAll { $0.seq <= committed }
            self.clear(upTo: committed, keys: Array(self.keys.keys))
        } else {
            self.clear(upTo: committed, keys: primaryKeys)
        }
    }

    private mutating func clear(upTo committed: UInt64, keys primaryKeys: some Sequence<String>) {
        for primaryKey in primaryKeys {
            guard var state = self.keys[primaryKey] else { continue }
            if let removedAt = state.removedAt, removedAt <= committed {
                state.removedAt = nil
            }
            state.puts = state.puts.filter { $0.value.seq > committed }
            state.hidden = state.hidden.filter { $0.value > committed }
            state.metaUpdates = state.metaUpdates.filter { $0.value.seq > committed }
            self.keys[primaryKey] = state.isEmpty ? nil : state
        }
    }
}
