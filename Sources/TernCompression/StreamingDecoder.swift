import NIOCore
import TernPolicy

/// Decodes a body that arrives in chunks (RFC 9110 §8.4.1; gzip RFC 1952, brotli RFC 7932),
/// e.g. an upstream's gzip or br body for a client that does not accept it.
///
/// The total output is capped at `maxOutput` bytes (decompression-bomb guard); ``finish()``
/// reports a body that ended early. A body of zero bytes decodes to nothing without error.
/// Not thread-safe; native state is freed when the decoder is released.
public final class StreamingDecoder {
    /// The coding this decoder removes.
    public let coding: ContentCoding

    private enum Backend {
        case identity
        case brotli(BrotliDecoderStream)
        case gzip(ZlibStream)
    }

    private let backend: Backend
    private var limit: OutputLimit
    private var sawInput = false
    private var finished = false

    /// - Parameter maxOutput: the most decoded bytes this body may produce in total.
    public init(coding: ContentCoding, maxOutput: Int) throws {
        self.coding = coding
        self.limit = OutputLimit(maximum: maxOutput)
        switch coding {
        case .identity: self.backend = .identity
        case .br: self.backend = .brotli(try BrotliDecoderStream())
        case .gzip: self.backend = .gzip(try ZlibStream(inflate: ()))
        }
    }

    /// Decoded bytes produced so far.
    public var producedBytes: Int { self.limit.produced }

    /// Feeds one chunk of the encoded body; returns the decoded bytes it completed.
    /// - Throws: ``CompressionError/corruptInput(_:detail:)``, ``CompressionError/trailingData(_:)``,
    ///   ``CompressionError/outputLimitExceeded(limit:)``, ``CompressionError/alreadyFinished``.
    public func decode(_ chunk: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        guard !self.finished else { throw CompressionError.alreadyFinished }
        if chunk.readableBytes > 0 { self.sawInput = true }
        var output: ByteBuffer?
        switch self.backend {
        case .identity:
            try self.limit.consume(chunk.readableBytes)
            return chunk
        case .brotli(let decoder):
            try chunk.withUnsafeReadableBytes { bytes in
                try decoder.process(bytes, into: &output, limit: &self.limit, allocator: allocator)
            }
        case .gzip(let inflater):
            try chunk.withUnsafeReadableBytes { bytes in
                try inflater.inflate(bytes, into: &output, limit: &self.limit, allocator: allocator)
            }
        }
        return output.orEmpty(allocator)
    }

    /// Declares the end of the encoded body.
    /// - Throws: ``CompressionError/truncatedInput(_:)`` when the stream's end marker (brotli's
    ///   last meta-block, gzip's trailer) was not reached.
    public func finish() throws {
        guard !self.finished else { throw CompressionError.alreadyFinished }
        self.finished = true
        guard self.sawInput else { return }
        switch self.backend {
        case .identity:
            return
        case .brotli(let decoder):
            if !decoder.isFinished { throw CompressionError.truncatedInput(.br) }
        case .gzip(let inflater):
            if !inflater.memberEnded { throw CompressionError.truncatedInput(.gzip) }
        }
    }
}

@available(*, unavailable)
extension StreamingDecoder: Sendable {}
