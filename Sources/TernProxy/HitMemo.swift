import TernCore
import TernPolicy
import TernStorage

/// Per-event-loop memo of what policy derives from a stored response, so a hot object does not
/// re-parse its dates, Cache-Control and Content-Type on every hit.
///
/// Everything memoised depends only on the stored entry (identified by its keys and response
/// time), the route's options, and the whole seconds it has been resident — exactly the inputs of
/// RFC 9111 §4.2.3's age — so the memo returns what the policy functions would. Requests that
/// carry their own cache directives (`Cache-Control`, `Pragma`) bypass the decision memo.
/// Loop-bound; bounded by bytes (cleared when it grows past `MemoryBudget.memoPerLoop`), and
/// counted in the ledger's `memos` account.
final class HitMemo {
    struct Key: Hashable {
        let primary: String
        let variant: String
    }

    struct Derived {
        let responseTime: Int64
        let residentSeconds: Int64
        let freshness: Freshness
        /// `CachePolicy.reuse` for a GET/HEAD without request directives.
        let decision: ReuseDecision
        /// Tern encodes this identity response itself.
        let compressible: Bool
        /// The origin encoded the stored body (gzip/br).
        let originEncoded: Bool
    }

    private var table: [Key: Derived] = [:]
    private var bytes = 0
    private let ledger: MemoryLedger

    init(ledger: MemoryLedger) { self.ledger = ledger }

    deinit { self.ledger.adjust(-self.bytes, in: .memos) }

    /// Bytes charged per memo entry besides its key strings: the dictionary slot (key, value,
    /// hash metadata) and the strings' heap headers.
    static let entryOverhead = 192

    func derived(
        _ entry: CacheEntry, nowMillis: Int64, options: CachePolicyOptions, compression: CompressionCoordinator?
    ) -> Derived {
        let key = Key(primary: entry.meta.primaryKey, variant: entry.meta.variantKey)
        let resident = (nowMillis - entry.meta.responseTime) / 1000
        if let cached = self.table[key], cached.responseTime == entry.meta.responseTime, cached.residentSeconds == resident {
            return cached
        }
        let stored = ProxyHandler.storedResponse(entry)
        let previous = self.table[key]
        let reuseStable = previous.map { $0.responseTime == entry.meta.responseTime } ?? false
        let derived = Derived(
            responseTime: entry.meta.responseTime,
            residentSeconds: resident,
            freshness: CachePolicy.freshness(of: stored, now: nowMillis, options: options),
            decision: CachePolicy.reuse(request: [:], method: .GET, stored: stored, now: nowMillis, options: options),
            compressible: reuseStable ? previous!.compressible : (compression?.isCompressible(entry.meta) ?? false),
            originEncoded: reuseStable ? previous!.originEncoded : (ContentCoding.applied(entry.meta.headers).map { $0 != .identity } ?? false)
        )
        if previous == nil {
            let cost = key.primary.utf8.count + key.variant.utf8.count + Self.entryOverhead
            if self.bytes + cost > MemoryBudget.memoPerLoop {
                self.table.removeAll()
                self.ledger.adjust(-self.bytes, in: .memos)
                self.bytes = 0
            }
            self.bytes += cost
            self.ledger.adjust(cost, in: .memos)
        }
        self.table[key] = derived
        return derived
    }
}

/// Per-event-loop memo of primary cache keys for routes whose key uses only the URL.
final class KeyMemo {
    struct Key: Hashable {
        let route: Int
        let host: String
        let uri: String
    }

    private var table: [Key: String] = [:]
    private var bytes = 0
    private let ledger: MemoryLedger

    init(ledger: MemoryLedger) { self.ledger = ledger }

    deinit { self.ledger.adjust(-self.bytes, in: .memos) }

    func primary(route: Int, host: String, uri: String, make: () -> String) -> String {
        let key = Key(route: route, host: host, uri: uri)
        if let cached = self.table[key] { return cached }
        let value = make()
        let cost = host.utf8.count + uri.utf8.count + value.utf8.count + HitMemo.entryOverhead
        if self.bytes + cost > MemoryBudget.memoPerLoop {
            self.table.removeAll()
            self.ledger.adjust(-self.bytes, in: .memos)
            self.bytes = 0
        }
        self.bytes += cost
        self.ledger.adjust(cost, in: .memos)
        self.table[key] = value
        return value
    }
}
