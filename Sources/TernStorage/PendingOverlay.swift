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

    struct Snapshot {
        var state: KeyState?
        var predicates: [Predicate]

        var isEmpty: Bool { self.state == nil && self.predicates.isEmpty }

        /// Applies the queued writes to the committed variants read from LMDB.
        func apply(to committed: [CacheEntry]) -> [CacheEntry] {
            var result = committed
            if let state {
                if state.removedAt != nil {
                    result = []
                }
                result.removeAll { state.hidden[$0.meta.variantKey] != nil || state.puts[$0.meta.variantKey] != nil }
                for index in result.indices {
                    if let update = state.metaUpdates[result[index].meta.variantKey] {
                        let length = result[index].meta.bodyLength
                        result[index].meta = update.meta
                        result[index].meta.bodyLength = length
                    }
                }
            }
            for predicate in self.predicates {
                result.removeAll { predicate($0.meta) }
            }
            if let state {
                result.append(contentsOf: state.puts.values.map(\.entry))
            }
            return result
        }
    }

    private var keys: [String: KeyState] = [:]
    private var predicates: [(seq: UInt64, predicate: Predicate)] = []

    func snapshot(primaryKey: String) -> Snapshot {
        Snapshot(state: self.keys[primaryKey], predicates: self.predicates.map(\.predicate))
    }

    var pendingPrimaryKeys: Dictionary<String, KeyState>.Keys { self.keys.keys }

    mutating func put(_ entry: CacheEntry, seq: UInt64) {
        self.keys[entry.meta.primaryKey, default: KeyState()].puts[entry.meta.variantKey] = (seq, entry)
        self.keys[entry.meta.primaryKey]!.metaUpdates[entry.meta.variantKey] = nil
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
        self.predicates.append((seq, predicate))
    }

    /// Forgets every op with a sequence number ≤ `committed` touching `primaryKeys` (and committed predicates).
    mutating func clear(upTo committed: UInt64, primaryKeys: some Sequence<String>) {
        if let first = self.predicates.first, first.seq <= committed {
            // A committed purge hid variants under keys it did not name: sweep every key.
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
