/// A request rate with a burst allowance, such as `100r/s:200` (100 per second, up to 200 at once).
///
/// Text form: `<count>r/<unit>[:<burst>]` where `count` and `burst` are positive decimal integers
/// without leading zeros (at most 1,000,000,000) and `unit` is `s`, `m` or `h`. Without `:burst`, the
/// burst is the rate per second rounded up, at least 1: `5r/s` → 5, `10r/m` → 1, `90r/m` → 2.
///
/// `burst` is the number of requests admitted at once from an idle client; see ``GCRA`` for the
/// exact admission rule. The unit is also the window advertised in `RateLimit-Policy` (`w=`).
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// The sustained rate in requests per second.
    public var rate: Double
    /// The number of requests an idle client may send at once (≥ 1).
    public var burst: Int
    /// The window, in seconds, used to advertise the policy (`q` requests per `w` seconds): 1, 60 or 3600.
    public var windowSeconds: Int

    /// Creates a limit of `rate` requests per second; `burst` below 1 is raised to 1.
    ///
    /// - Precondition: `rate` is finite and positive, `windowSeconds` is positive.
    public init(rate: Double, burst: Int, windowSeconds: Int = 1) {
        precondition(rate.isFinite && rate > 0, "rate must be finite and positive")
        precondition(windowSeconds > 0, "windowSeconds must be positive")
        self.rate = rate
        self.burst = max(1, burst)
        self.windowSeconds = windowSeconds
    }

    /// Why a rate limit text was rejected; `description` is a message fit for a configuration error.
    public enum ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The text is empty.
        case empty
        /// There is no `r/` between the count and the unit.
        case missingRate(String)
        /// The count is not a positive integer ≤ 1,000,000,000 without leading zeros.
        case invalidCount(String)
        /// The unit is not `s`, `m` or `h`.
        case invalidUnit(String)
        /// The burst is not a positive integer ≤ 1,000,000,000 without leading zeros.
        case invalidBurst(String)

        public var description: String {
            switch self {
            case .empty:
                return "empty rate limit; expected e.g. \"100r/s\", \"10r/m\" or \"100r/s:200\""
            case .missingRate(let text):
                return "rate limit \"\(text)\": expected <count>r/<unit>[:<burst>], e.g. \"100r/s:200\""
            case .invalidCount(let text):
                return "rate limit \"\(text)\": the count must be a whole number from 1 to 1000000000"
            case .invalidUnit(let text):
                return "rate limit \"\(text)\": the unit must be s, m or h (requests per second, minute or hour)"
            case .invalidBurst(let text):
                return "rate limit \"\(text)\": the burst after ':' must be a whole number from 1 to 1000000000"
            }
        }
    }

    /// The largest count or burst accepted by ``parse(_:)``.
    public static let maximumCount = 1_000_000_000

    /// Parses `100r/s:200`, `10r/m`, `5r/s` (surrounding spaces are ignored).
    public static func parse(_ text: String) throws(ParseError) -> RateLimit {
        let input = text.trimmingSpaces
        guard !input.isEmpty else { throw .empty }
        let (rateText, burstText): (Substring, Substring?)
        if let colon = input.firstIndex(of: ":") {
            rateText = input[..<colon]
            burstText = input[input.index(after: colon)...]
        } else {
            rateText = input
            burstText = nil
        }
        guard let slash = rateText.firstIndex(of: "/"), slash > rateText.startIndex,
            rateText[rateText.index(before: slash)] == "r"
        else { throw .missingRate(text) }
        let countText = rateText[..<rateText.index(before: slash)]
        guard let count = RateLimit.parseCount(countText) else { throw .invalidCount(text) }
        let window: Int
        switch rateText[rateText.index(after: slash)...] {
        case "s": window = 1
        case "m": window = 60
        case "h": window = 3600
        default: throw .invalidUnit(text)
        }
        let rate = Double(count) / Double(window)
        var burst = max(1, Int(rate.rounded(FloatingPointRoundingRule.up)))
        if let burstText {
            guard let parsed = RateLimit.parseCount(burstText) else { throw .invalidBurst(text) }
            burst = parsed
        }
        return RateLimit(rate: rate, burst: burst, windowSeconds: window)
    }

    /// GCRA's emission interval T = 1/rate in nanoseconds, rounded to the nearest nanosecond (≥ 1).
    public var emissionInterval: Int64 {
        let nanoseconds = (1e9 / self.rate).rounded()
        guard nanoseconds < 9e18 else { return 9_000_000_000_000_000_000 }
        return max(1, Int64(nanoseconds))
    }

    /// The quota advertised in `RateLimit-Policy`: requests per ``windowSeconds``, rounded.
    public var quota: Int {
        Int((self.rate * Double(self.windowSeconds)).rounded())
    }

    /// The canonical text form, e.g. `100r/s:200`, `10r/m:1`.
    public var description: String {
        let unit: String
        switch self.windowSeconds {
        case 60: unit = "m"
        case 3600: unit = "h"
        case 1: unit = "s"
        default: return "\(self.rate)r/s:\(self.burst)"
        }
        return "\(self.quota)r/\(unit):\(self.burst)"
    }

    static func parseCount(_ text: Substring) -> Int? {
        guard (1...10).contains(text.count), text.first != "0",
            text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text), value <= RateLimit.maximumCount
        else { return nil }
        return value
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var result = self[...]
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
