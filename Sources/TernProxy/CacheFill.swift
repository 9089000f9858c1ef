import NIOCore
import NIOHTTP1
import TernPolicy
import TernStorage

/// Collects a storable response's body while it streams to the client, and builds the cache entry
/// once the origin has sent all of it.
///
/// Invariant: only a complete body becomes an entry. A body that overflows the size limit, or ends
/// short of its declared `Content-Length`, or whose exchange fails, yields `nil`.
struct CacheFill {
    private(set) var meta: CacheEntryMeta
    private var parts: [ByteBuffer] = []
    private(set) var bytes: Int64 = 0
    private let limit: Int64
    private let expectedLength: Int64?
    private(set) var overflowed = false
    /// The fill stopped buffering because the ledger's `fills` budget was spent (not stored).
    private(set) var overBudget = false
    /// The buffered bytes, charged to the ledger's `fills` account until this fill is dropped.
    private let reservation: MemoryReservation?

    init(meta: CacheEntryMeta, limit: Int64, expectedLength: Int64?, reservation: MemoryReservation? = nil) {
        self.meta = meta
        self.limit = limit
        self.expectedLength = expectedLength
        self.reservation = reservation
    }

    mutating func append(_ buffer: ByteBuffer) {
        guard !self.overflowed else { return }
        self.bytes += Int64(buffer.readableBytes)
        if self.bytes > self.limit {
            self.overflow()
        } else if let reservation, !reservation.grow(by: max(buffer.readableBytes, buffer.storageCapacity)) {
            // (Charged for the read buffer the chunk keeps alive, not only its bytes.)
            // Too many bytes buffered by fills in flight: this one streams on without storing.
            self.overBudget = true
            self.overflow()
        } else {
            self.parts.append(buffer)
        }
    }

    private mutating func overflow() {
        self.overflowed = true
        self.parts = []
        self.reservation?.release()
    }

    /// The complete entry, or `nil` when the body is unusable.
    func finish(allocator: ByteBufferAllocator) -> CacheEntry? {
        guard !self.overflowed else { return nil }
        if let expected = self.expectedLength, expected != self.bytes { return nil }
        var body: ByteBuffer
        if self.parts.count == 1 {
            body = self.parts[0]
        } else {
            body = allocator.buffer(capacity: Int(self.bytes))
            for var part in self.parts { body.writeBuffer(&part) }
        }
        var meta = self.meta
        meta.bodyLength = Int64(body.readableBytes)
        return CacheEntry(meta: meta, body: body)
    }

    /// The header fields worth storing: RFC 9111 §3.1 removals (hop-by-hop, proxy-auth, fields
    /// named by qualified `no-cache`/`private`), then revealing and per-client fields.
    static func storedHeaders(_ headers: HTTPHeaders, hide: [String], options: CachePolicyOptions) -> HTTPHeaders {
        var stored = CachePolicy.headersForStorage(headers, options: options)
        for name in hide where stored.contains(name: name) { stored.remove(name: name) }
        // A Set-Cookie belongs to the client that caused the fill, never to later hits.
        stored.remove(name: "set-cookie")
        return stored
    }
}
