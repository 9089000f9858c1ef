import CBrotli
import CZlib
import NIOCore
import TernPolicy

/// Encodes a body that arrives in chunks, for responses that are not stored
/// (RFC 9110 §8.4.1; gzip RFC 1952, brotli RFC 7932).
///
/// Defaults favour speed: brotli quality 5, gzip level 5. ``encode(_:allocator:)`` may return
/// an empty buffer while the encoder gathers input; ``flush(allocator:)`` forces out what it has
/// (costs ratio, use it when the peer must see data now); ``finish(allocator:)`` ends the stream.
/// Not thread-safe: one encoder per response, used from one event loop. Native state is freed
/// when the encoder is released.
public final class StreamingEncoder {
    /// The coding this encoder produces.
    public let coding: ContentCoding

    private enum Backend {
        case identity
        case brotli(BrotliEncoderStream)
        case gzip(ZlibStream)
    }

    private let backend: Backend
    private var finished = false

    /// - Parameter level: brotli quality 0…11 (default 5) or gzip level 0…9 (default 5).
    /// - Throws: ``CompressionError/unsupportedLevel(_:_:)``, ``CompressionError/initializationFailed(_:)``.
    public init(coding: ContentCoding, level: Int? = nil) throws {
        self.coding = coding
        let resolved = try CompressionLevels.resolve(level, coding: coding, stored: false)
        switch coding {
        case .identity:
            self.backend = .identity
        case .br:
            self.backend = .brotli(try BrotliEncoderStream(quality: resolved, windowBits: CompressionLevels.brotliWindowBits))
        case .gzip:
            self.backend = .gzip(try ZlibStream(deflateLevel: resolved))
        }
    }

    /// Feeds one chunk; returns the compressed bytes ready so far (often none).
    public func encode(_ chunk: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        try self.run(chunk, brotli: BROTLI_OPERATION_PROCESS, zlib: Z_NO_FLUSH, allocator: allocator)
    }

    /// Emits everything fed so far as complete, decodable output, without ending the stream.
    public func flush(allocator: ByteBufferAllocator) throws -> ByteBuffer {
        try self.run(nil, brotli: BROTLI_OPERATION_FLUSH, zlib: Z_SYNC_FLUSH, allocator: allocator)
    }

    /// Ends the stream and returns the remaining bytes (brotli's last meta-block, gzip's trailer).
    /// Any later call throws ``CompressionError/alreadyFinished``.
    public func finish(allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let tail = try self.run(nil, brotli: BROTLI_OPERATION_FINISH, zlib: Z_FINISH, allocator: allocator)
        self.finished = true
        return tail
    }

    private func run(
        _ chunk: ByteBuffer?,
        brotli operation: BrotliEncoderOperation,
        zlib flush: Int32,
        allocator: ByteBufferAllocator
    ) throws -> ByteBuffer {
        guard !self.finished else { throw CompressionError.alreadyFinished }
        var output: ByteBuffer?
        switch self.backend {
        case .identity:
            return chunk ?? allocator.buffer(capacity: 0)
        case .brotli(let encoder):
            if let chunk {
                try chunk.withUnsafeReadableBytes { bytes in
                    try encoder.process(bytes, operation: operation, into: &output, allocator: allocator)
                }
            } else {
                try encoder.process(UnsafeRawBufferPointer(start: nil, count: 0), operation: operation, into: &output, allocator: allocator)
            }
        case .gzip(let deflater):
            if let chunk {
                try chunk.withUnsafeReadableBytes { bytes in
                    try deflater.deflate(bytes, flush: flush, into: &output, allocator: allocator)
                }
            } else {
                try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), flush: flush, into: &output, allocator: allocator)
            }
        }
        return output.orEmpty(allocator)
    }
}

@available(*, unavailable)
extension StreamingEncoder: Sendable {}
