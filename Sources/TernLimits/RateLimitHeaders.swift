/// Response header fields describing a rate limit decision, per draft-ietf-httpapi-ratelimit-headers-11
/// (May 2026) §3 `RateLimit-Policy` and §4 `RateLimit`, plus `Retry-After` (RFC 9110 §10.2.3).
///
/// For a policy named `api` with limit `100r/s:200`:
///
/// ```
/// RateLimit-Policy: "api";q=100;w=1
/// RateLimit: "api";r=199;t=1
/// ```
///
/// - `q`/`w` (§3.1.1, §3.1.3): the sustained rate as requests per window, from the limit's unit
///   (`10r/m` → `q=10;w=60`). The burst is not advertised; `r` may therefore exceed `q`.
/// - `r` (§4.1.1): requests admitted right now if sent at once (0 when limited).
/// - `t` (§4.1.2), whole seconds rounded up: when allowed, the time until the full burst is available
///   again; when limited, the time until the next request is admitted. Since §6 says `Retry-After` should
///   not point earlier than the end of the effective window, `t` then equals `Retry-After`.
/// - `Retry-After` (limited only): delay-seconds, rounded up so a client that waits is admitted (≥ 1).
///
/// The policy name becomes an sf-string (RFC 9651 §3.3.3): `"` and `\` are escaped and characters
/// outside printable US-ASCII are dropped.
public enum RateLimitHeaders {
    /// The header fields for `decision` under `limit`, in the order they should be sent.
    public static func make(policyName: String, limit: RateLimit, decision: GCRA.Decision) -> [(String, String)] {
        let name = self.structuredString(policyName)
        var fields: [(String, String)] = [
            ("RateLimit-Policy", "\(name);q=\(limit.quota);w=\(limit.windowSeconds)")
        ]
        switch decision {
        case .allowed(let remaining, let resetAfter):
            fields.append(("RateLimit", "\(name);r=\(remaining);t=\(self.seconds(resetAfter))"))
        case .limited(let retryAfter, _):
            let seconds = self.seconds(retryAfter)
            fields.append(("RateLimit", "\(name);r=0;t=\(seconds)"))
            fields.append(("Retry-After", "\(seconds)"))
        }
        return fields
    }

    /// Nanoseconds as whole seconds, rounded up; never negative.
    static func seconds(_ nanoseconds: Int64) -> Int64 {
        guard nanoseconds > 0 else { return 0 }
        return (nanoseconds - 1) / 1_000_000_000 + 1
    }

    /// `text` as an RFC 9651 §4.1.6 sf-string.
    static func structuredString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars where scalar.value >= 0x20 && scalar.value <= 0x7E {
            if scalar == "\"" || scalar == "\\" { result.append("\\") }
            result.unicodeScalars.append(scalar)
        }
        result.append("\"")
        return result
    }
}
