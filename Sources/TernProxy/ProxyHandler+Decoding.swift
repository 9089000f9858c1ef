import NIOCore
import NIOHTTP1
import TernCompression
import TernPolicy
import TernStorage

/// A response the origin already encoded (gzip or br) is passed through to clients that accept
/// that coding and decoded for the rest (RFC 9110 §8.4.1, §12.5.3): never the wrong encoding.
extension ProxyHandler {
    /// Whether the client accepts `coding` (an absent `Accept-Encoding` counts as identity-only,
    /// as browsers always send it and scripts that omit it usually can't decode).
    static func clientAccepts(_ coding: ContentCoding, request: HTTPHeaders) -> Bool {
        let accept = AcceptEncoding(request)
        return accept.isPresent && accept.quality(of: coding) > 0
    }

    /// The origin coding a client can't take, if this response has one Tern can decode.
    static func codingToDecode(response: HTTPHeaders, request: HTTPHeaders) -> ContentCoding? {
        guard let coding = ContentCoding.applied(response), coding != .identity,
              !Self.clientAccepts(coding, request: request) else { return nil }
        return coding
    }

    /// Rewrites a response head for decoding: no `Content-Encoding`, no length (it streams), no
    /// validator of the encoded form, `Vary: Accept-Encoding`.
    static func decodedHead(_ headers: inout HTTPHeaders) {
        headers.remove(name: "content-encoding")
        headers.remove(name: "content-length")
        headers.remove(name: "etag")
        headers.remove(name: "accept-ranges")
        CompressionCoordinator.addVary(&headers)
    }

    /// Miss/forward path: set up a streaming decoder when the client can't take the origin's coding.
    func prepareClientDecoding(response: HTTPHeaders, request: HTTPRequestHead, headers: inout HTTPHeaders, status: inout HTTPResponseStatus) {
        guard status == .ok, let coding = Self.codingToDecode(response: response, request: request.headers),
              let decoder = try? StreamingDecoder(coding: coding, maxOutput: Int.max) else {
            if ContentCoding.applied(response).map({ $0 != .identity }) ?? false { CompressionCoordinator.addVary(&headers) }
            return
        }
        self.clientDecoder = decoder
        self.cache?.slice = nil
        Self.decodedHead(&headers)
    }

    /// Hit path: decode a stored encoded body for a client that can't take it.
    func decodedForClient(_ entry: CacheEntry, request: HTTPHeaders) -> CacheEntry? {
        guard entry.meta.status == 200, let coding = Self.codingToDecode(response: entry.meta.headers, request: request),
              let body = try? Compression.decompress(entry.body, coding: coding, maxOutput: 1 << 30, allocator: ByteBufferAllocator())
        else { return nil }
        var meta = entry.meta
        var headers = meta.headers
        Self.decodedHead(&headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        meta.headers = headers
        return CacheEntry(meta: meta, body: body)
    }

    /// Responses Tern does not store are compressed on the fly at a lower (streaming) quality for
    /// clients that accept br or gzip; stored ones are encoded once in the background instead.
    func prepareStreamingCompression(response: HTTPHeaders, request: HTTPRequestHead, headers: inout HTTPHeaders, status: HTTPResponseStatus) {
        guard self.clientDecoder == nil, self.cache?.fill == nil, self.cache?.suppressBody != true,
              self.cacheOverrideStatus == nil, request.method != .HEAD,
              let policy = self.runtime.compression?.policy,
              policy.shouldCompress(status: Int(status.code), responseHeaders: response, method: request.method)
        else { return }
        CompressionCoordinator.addVary(&headers)
        guard let coding = AcceptEncoding(request.headers).choose(available: [.br, .gzip, .identity]), coding != .identity,
              let encoder = try? StreamingEncoder(coding: coding) else { return }
        self.clientEncoder = encoder
        headers.remove(name: "content-length")
        headers.replaceOrAdd(name: "Content-Encoding", value: coding.rawValue)
        if let etag = CompressionPolicy.variantETag(headers.first(name: "etag"), coding: coding) {
            headers.replaceOrAdd(name: "ETag", value: etag)
        } else {
            headers.remove(name: "etag")
        }
        headers.remove(name: "accept-ranges")
    }

    /// The encoder's last bytes, written just before the response's end.
    func finishClientEncoding() {
        guard let encoder = self.clientEncoder else { return }
        self.clientEncoder = nil
        if let tail = try? encoder.finish(allocator: self.context.channel.allocator), tail.readableBytes > 0, !self.clientGone {
            self.responseBytes += tail.readableBytes
            self.context.write(self.wrapOutboundOut(.body(.byteBuffer(tail))), promise: nil)
        }
    }

    /// Body bytes through the client's decoder or encoder, if one is set up.
    func decodeForClient(_ buffer: ByteBuffer) -> ByteBuffer? {
        if let encoder = self.clientEncoder {
            return (try? encoder.encode(buffer, allocator: self.context.channel.allocator)) ?? ByteBuffer()
        }
        guard let decoder = self.clientDecoder else { return buffer }
        do {
            return try decoder.decode(buffer, allocator: self.context.channel.allocator)
        } catch {
            // Corrupt encoded body from the origin: the client must not get a silently short body.
            self.clientDecoder = nil
            self.context.close(promise: nil)
            return nil
        }
    }
}
