import NIOCore
import NIOHTTP1
import TernBalancer

extension RequestOutcome {
    /// The passive-health failure kind of an error on an origin connection: a parse or limit error
    /// is an invalid response, a timeout a timeout, anything else (EOF, reset, broken pipe) a reset.
    static func kind(of error: any Error) -> FailureKind {
        switch error {
        case is HTTPParserError, is HTTP1URITooLongError, is OriginResponseLimitError:
            return .invalidResponse
        case let error as ChannelError:
            switch error {
            case .connectTimeout: return .timeout
            default: return .reset
            }
        default:
            return .reset
        }
    }
}

/// An origin's response broke one of its pool's `response_limits` (beyond what `HTTPParserError` says).
struct OriginResponseLimitError: Error, CustomStringConvertible {
    var description: String
}
