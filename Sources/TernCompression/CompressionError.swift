import TernPolicy

/// Why an encode or decode failed. ``reason`` is a stable string for logs and metrics.
public enum CompressionError: Error, Sendable, Equatable {
    /// `level` is outside the coding's range (brotli 0…11, gzip 0…9).
    case unsupportedLevel(ContentCoding, Int)
    /// The native encoder or decoder could not be created (out of memory or bad parameters).
    case initializationFailed(ContentCoding)
    /// The native encoder reported a failure.
    case encoderFailed(ContentCoding)
    /// The input is not valid data in this coding; `detail` is the library's message.
    case corruptInput(ContentCoding, detail: String)
    /// The input ended before the coding's end marker (a cut-off body).
    case truncatedInput(ContentCoding)
    /// Bytes followed the end of a brotli stream.
    case trailingData(ContentCoding)
    /// Decoding would produce more than `limit` bytes (a decompression bomb or an oversized body).
    case outputLimitExceeded(limit: Int)
    /// `encode`/`decode`/`flush`/`finish` was called after `finish()`.
    case alreadyFinished

    /// Stable kebab-case name of the case, e.g. `"output-limit-exceeded"`.
    public var reason: String {
        switch self {
        case .unsupportedLevel: return "unsupported-level"
        case .initializationFailed: return "initialization-failed"
        case .encoderFailed: return "encoder-failed"
        case .corruptInput: return "corrupt-input"
        case .truncatedInput: return "truncated-input"
        case .trailingData: return "trailing-data"
        case .outputLimitExceeded: return "output-limit-exceeded"
        case .alreadyFinished: return "already-finished"
        }
    }
}
