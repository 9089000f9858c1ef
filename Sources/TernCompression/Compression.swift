import NIOCore
import TernPolicy

/// One-shot content-coding encode and decode of whole bodies (RFC 9110 §8.4.1; gzip RFC 1952,
/// brotli RFC 7932). I/O-free: `ByteBuffer` in, `ByteBuffer` out.
///
/// CPU-heavy: a 128 KiB script costs milliseconds at the stored levels (Docs/compression.md).
/// Run it off the event loops (e.g. on a `NIOThreadPool`) and store the result as a variant.
public enum Compression {
    /// Default brotli quality for stored variants (see Docs/compression.md for the measurement).
    public static let defaultStoredBrotliQuality = CompressionLevels.storedBrotli
    /// Default gzip level for stored variants.
    public static let defaultStoredGzipLevel = CompressionLevels.storedGzip

    /// Encodes all readable bytes of `input` with `coding`.
    ///
    /// - Parameters:
    ///   - level: brotli quality 0…11 (default 8, window 2^22) or gzip level 0…9 (default 6);
    ///     ignored for identity, which returns `input` unchanged.
    /// - Throws: ``CompressionError/unsupportedLevel(_:_:)`` for an out-of-range level,
    ///   ``CompressionError/encoderFailed(_:)`` / ``CompressionError/initializationFailed(_:)``.
    public static func compress(
        _ input: ByteBuffer,
        coding: ContentCoding,
        level: Int? = nil,
        allocator: ByteBufferAllocator
    ) throws -> ByteBuffer {
        let resolved = try CompressionLevels.resolve(level, coding: coding, stored: true)
        switch coding {
        case .identity:
            return input
        case .br:
            return try input.withUnsafeReadableBytes { bytes in
                try BrotliEncoderStream.compress(
                    bytes, quality: resolved, windowBits: CompressionLevels.brotliWindowBits, allocator: allocator
                )
            }
        case .gzip:
            let deflater = try ZlibStream(deflateLevel: resolved, sizeHint: input.readableBytes)
            return try input.withUnsafeReadableBytes { bytes in
                try deflater.deflateAll(bytes, allocator: allocator)
            }
        }
    }

    /// Decodes all readable bytes of `input`, which must be one complete body in `coding`
    /// (several concatenated gzip members are accepted). Empty input decodes to empty output.
    ///
    /// - Parameter maxOutput: the most bytes the result may hold; more throws
    ///   ``CompressionError/outputLimitExceeded(limit:)`` after at most `maxOutput + 1` bytes
    ///   were produced (the decompression-bomb guard). Applies to identity too.
    /// - Throws: ``CompressionError/corruptInput(_:detail:)``, ``CompressionError/truncatedInput(_:)``,
    ///   ``CompressionError/trailingData(_:)``, ``CompressionError/outputLimitExceeded(limit:)``.
    public static func decompress(
        _ input: ByteBuffer,
        coding: ContentCoding,
        maxOutput: Int,
        allocator: ByteBufferAllocator
    ) throws -> ByteBuffer {
        let decoder = try StreamingDecoder(coding: coding, maxOutput: maxOutput)
        let output = try decoder.decode(input, allocator: allocator)
        try decoder.finish()
        return output
    }
}
