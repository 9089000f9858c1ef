import Atomics
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TernCompression
import TernPolicy
import TernStorage
import TernCore

/// Compresses stored objects once per coding, off the event loops, and stores each encoded
/// variant next to the identity body (RFC 9110 §8.4, §12.5.3).
///
/// Encoded variants live under the same primary key with the identity variant key plus a
/// `␟ce=<coding>` suffix, carry `Content-Encoding`, their own `Content-Length` and a
/// coding-suffixed `ETag` (so validators never match across codings), and are selected at hit
/// time from the client's `Accept-Encoding`. Until a variant exists, clients get identity.
public final class CompressionCoordinator: Sendable {
    let policy: CompressionPolicy
    private let threadPool: NIOThreadPool
    private let inFlight = NIOLockedValueBox<Set<String>>([])
    /// Queued and running encodings are charged twice their body (input and output) to `compression`.
    private let ledger: MemoryLedger
    /// Per coding: compressions performed, bytes in, bytes out.
    public let counters: [ContentCoding: (compressions: ManagedAtomic<Int>, bytesIn: ManagedAtomic<Int>, bytesOut: ManagedAtomic<Int>)]

    public static let encodedCodings: [ContentCoding] = [.br, .gzip]

    init(policy: CompressionPolicy, threadPool: NIOThreadPool, ledger: MemoryLedger) {
        self.policy = policy
        self.threadPool = threadPool
        self.ledger = ledger
        var counters: [ContentCoding: (ManagedAtomic<Int>, ManagedAtomic<Int>, ManagedAtomic<Int>)] = [:]
        for coding in Self.encodedCodings { counters[coding] = (ManagedAtomic(0), ManagedAtomic(0), ManagedAtomic(0)) }
        self.counters = counters.mapValues { (compressions: $0.0, bytesIn: $0.1, bytesOut: $0.2) }
    }

    static func variantKey(identity: String, coding: ContentCoding) -> String {
        identity + "\u{1F}ce=" + coding.rawValue
    }

    /// Whether Tern encodes this stored identity response itself.
    func isCompressible(_ meta: CacheEntryMeta) -> Bool {
        !meta.variantKey.contains("\u{1F}ce=")
            && self.policy.shouldCompress(status: meta.status, responseHeaders: meta.headers, method: .GET)
    }

    /// Encodes `entry` in every coding on the thread pool and stores the variants (once per
    /// object at a time; a purge in between keeps them out, like any fill).
    ///
    /// A queued job holds its body even after the memory tier evicts it, so the queue is bounded
    /// by the ledger's `compression` budget: beyond it the object is not encoded this time (clients
    /// get identity; the next store of the object tries again).
    func compressAndStore(_ entry: CacheEntry, cache: TieredCache, generation: UInt64) {
        guard self.isCompressible(entry.meta) else { return }
        let key = entry.meta.primaryKey + "\u{1F}" + entry.meta.variantKey
        let charge = 2 * entry.body.readableBytes
        guard self.ledger.reserve(charge, in: .compression) else { return }
        guard self.inFlight.withLockedValue({ $0.insert(key).inserted }) else {
            self.ledger.release(charge, in: .compression)
            return
        }
        self.threadPool.submit { state in
            defer {
                _ = self.inFlight.withLockedValue { $0.remove(key) }
                self.ledger.release(charge, in: .compression)
            }
            guard case .active = state else { return }
            for coding in Self.encodedCodings {
                guard let encoded = try? Compression.compress(entry.body, coding: coding, allocator: ByteBufferAllocator()) else { continue }
                if let counters = self.counters[coding] {
                    counters.compressions.wrappingIncrement(ordering: .relaxed)
                    counters.bytesIn.wrappingIncrement(by: entry.body.readableBytes, ordering: .relaxed)
                    counters.bytesOut.wrappingIncrement(by: encoded.readableBytes, ordering: .relaxed)
                }
                // Not worth it: keep serving identity.
                guard encoded.readableBytes < entry.body.readableBytes else { continue }
                var meta = entry.meta
                meta.variantKey = Self.variantKey(identity: entry.meta.variantKey, coding: coding)
                meta.bodyLength = Int64(encoded.readableBytes)
                var headers = meta.headers
                headers.replaceOrAdd(name: "Content-Encoding", value: coding.rawValue)
                headers.replaceOrAdd(name: "Content-Length", value: String(encoded.readableBytes))
                if let etag = CompressionPolicy.variantETag(headers.first(name: "etag"), coding: coding) {
                    headers.replaceOrAdd(name: "ETag", value: etag)
                } else {
                    headers.remove(name: "etag")
                }
                meta.headers = headers
                _ = cache.store(CacheEntry(meta: meta, body: encoded), startedAtGeneration: generation)
            }
        }
    }

    /// The variant to serve among `entries` for a client, given the selected identity entry.
    func select(identity: CacheEntry, among entries: [CacheEntry], request: HTTPHeaders) -> CacheEntry {
        let accept = AcceptEncoding(request)
        guard accept.isPresent else { return identity }
        var available: [ContentCoding] = [.identity]
        var byCoding: [ContentCoding: CacheEntry] = [:]
        for coding in Self.encodedCodings {
            let key = Self.variantKey(identity: identity.meta.variantKey, coding: coding)
            if let entry = entries.first(where: { $0.meta.variantKey == key }) {
                available.append(coding)
                byCoding[coding] = entry
            }
        }
        guard available.count > 1, let chosen = accept.choose(available: available), chosen != .identity else { return identity }
        return byCoding[chosen] ?? identity
    }

    /// Adds `Accept-Encoding` to `Vary` (once) on a response whose representation Tern negotiates.
    static func addVary(_ headers: inout HTTPHeaders) {
        let existing = headers["vary"].flatMap { $0.split(separator: ",").map { $0.trimmingSpaces().lowercased() } }
        if existing.contains("accept-encoding") || existing.contains("*") { return }
        if existing.isEmpty {
            headers.add(name: "Vary", value: "Accept-Encoding")
        } else {
            headers.replaceOrAdd(name: "Vary", value: (existing + ["accept-encoding"]).joined(separator: ", "))
        }
    }
}
