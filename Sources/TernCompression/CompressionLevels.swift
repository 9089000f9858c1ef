import TernPolicy

/// Default and allowed levels per coding; the measurements behind the defaults are in
/// Docs/compression.md.
enum CompressionLevels {
    /// Stored variants (compressed once, served many times): brotli quality 8. On 128 KiB of
    /// real JavaScript/HTML, q9 was as small (±0.1%) at ~5× the CPU; q10/q11 are 6–9% smaller
    /// at 14–37× q8's CPU (static precompression territory, opt in with `level:`).
    static let storedBrotli = 8
    /// Stored variants: gzip level 6; level 9 costs ~40% more CPU for 0.2–0.7% smaller output.
    static let storedGzip = 6
    /// Streamed responses (compressed on every request): brotli quality 5, smaller than gzip -9
    /// for less CPU than gzip -6.
    static let streamingBrotli = 5
    /// Streamed responses: gzip level 5, ~30% less CPU than level 6 for ~1% larger output.
    static let streamingGzip = 5
    /// Brotli window: 2^22 = 4 MiB, the encoder's default and the largest in RFC 7932 decoders'
    /// required range without the large-window extension.
    static let brotliWindowBits: Int32 = 22
    /// zlib window bits for the gzip wrapper: 15 (32 KiB window) + 16 (gzip header/trailer).
    static let gzipWindowBits: Int32 = 31

    /// The smallest power-of-two window (in bits) that holds `inputSize` bytes, within `range`.
    static func windowBits(fitting inputSize: Int, range: ClosedRange<Int32>) -> Int32 {
        var bits = range.lowerBound
        while bits < range.upperBound, (1 << Int(bits)) < inputSize { bits += 1 }
        return bits
    }

    // Brotli keeps its 2^22 window for one-shot use: `BrotliEncoderCompress` sizes its tables from the
    // input itself, and a smaller `lgwin` made a 1 KiB body cost 2.6× the instructions (callgrind).

    /// One-shot gzip of `inputSize` bytes: zlib window bits (9...15, +16 for the gzip wrapper) and a
    /// memory level (hash table of 2^(memLevel+7) entries) sized to the input. For a 1 KiB body this
    /// initialises ~4 KiB instead of ~64 KiB (a profile of the miss path found zlib's `deflateReset`
    /// memset at ~65k instructions per stored object); decoders accept any window up to 15.
    static func gzipParameters(inputSize: Int) -> (windowBits: Int32, memLevel: Int32) {
        // zlib wants the window to cover the input plus its 262-byte lookahead.
        let bits = Self.windowBits(fitting: inputSize + 262, range: 9...15)
        return (bits + 16, max(1, min(8, bits - 6)))
    }

    /// `level` validated for `coding`, or the default for its use.
    static func resolve(_ level: Int?, coding: ContentCoding, stored: Bool) throws -> Int32 {
        switch coding {
        case .identity:
            return 0
        case .br:
            let value = level ?? (stored ? Self.storedBrotli : Self.streamingBrotli)
            guard (0...11).contains(value) else { throw CompressionError.unsupportedLevel(coding, value) }
            return Int32(value)
        case .gzip:
            let value = level ?? (stored ? Self.storedGzip : Self.streamingGzip)
            guard (0...9).contains(value) else { throw CompressionError.unsupportedLevel(coding, value) }
            return Int32(value)
        }
    }
}
