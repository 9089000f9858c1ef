import TernLimits
import XCTest

final class RateLimitHeadersTests: XCTestCase {
    func fields(_ name: String, _ limit: String, _ decision: GCRA.Decision) throws -> [String] {
        RateLimitHeaders.make(policyName: name, limit: try RateLimit.parse(limit), decision: decision).map { "\($0.0): \($0.1)" }
    }

    func testAllowed() throws {
        var state: GCRAState?
        let limit = try RateLimit.parse("100r/s:200")
        let decision = GCRA.check(state: &state, limit: limit, now: 0)
        XCTAssertEqual(try self.fields("api", "100r/s:200", decision), [
            "RateLimit-Policy: \"api\";q=100;w=1",
            "RateLimit: \"api\";r=199;t=1",
        ])
        XCTAssertEqual(try self.fields("slow", "10r/m", .allowed(remaining: 0, resetAfter: 6_000_000_000)), [
            "RateLimit-Policy: \"slow\";q=10;w=60",
            "RateLimit: \"slow\";r=0;t=6",
        ])
    }

    func testLimitedAddsRetryAfterRoundedUp() throws {
        XCTAssertEqual(try self.fields("api", "10r/s:20", .limited(retryAfter: 100_000_000, resetAfter: 2_000_000_000)), [
            "RateLimit-Policy: \"api\";q=10;w=1",
            "RateLimit: \"api\";r=0;t=1",
            "Retry-After: 1",
        ])
        XCTAssertEqual(try self.fields("h", "1r/h", .limited(retryAfter: 3_600_000_000_000, resetAfter: 3_600_000_000_000)), [
            "RateLimit-Policy: \"h\";q=1;w=3600",
            "RateLimit: \"h\";r=0;t=3600",
            "Retry-After: 3600",
        ])
        // Exactly 2 s stays 2; one nanosecond more becomes 3.
        XCTAssertEqual(try self.fields("a", "1r/s", .limited(retryAfter: 2_000_000_000, resetAfter: 2_000_000_000)).last, "Retry-After: 2")
        XCTAssertEqual(try self.fields("a", "1r/s", .limited(retryAfter: 2_000_000_001, resetAfter: 2_000_000_001)).last, "Retry-After: 3")
        XCTAssertEqual(try self.fields("a", "1r/s", .limited(retryAfter: 1, resetAfter: 1)).last, "Retry-After: 1")
    }

    func testPolicyNameIsAValidStructuredString() throws {
        let fields = try self.fields("we\"ird\\näme\u{1}", "1r/s", .allowed(remaining: 0, resetAfter: 1_000_000_000))
        XCTAssertEqual(fields.first, "RateLimit-Policy: \"we\\\"ird\\\\nme\";q=1;w=1")
    }
}
