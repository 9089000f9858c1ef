import NIOHTTP1
import TernPolicy
import XCTest

final class CacheReuseTests: XCTestCase {
    private static let t0: Int64 = 1_700_000_000
    private static let t0ms: Int64 = t0 * 1000

    private func stored(_ cc: String, extra: [(String, String)] = []) -> StoredResponse {
        var headers = HTTPHeaders([("Date", HTTPDate.format(Self.t0))] + extra)
        if !cc.isEmpty { headers.add(name: "Cache-Control", value: cc) }
        return StoredResponse(status: 200, headers: headers, requestTime: Self.t0ms, responseTime: Self.t0ms)
    }

    private struct Case {
        var name: String
        var cc: String
        var extra: [(String, String)] = []
        var request: [(String, String)] = []
        var method: HTTPMethod = .GET
        var age: Int64
        var options = CachePolicyOptions()
        var expected: ReuseDecision
    }

    private func run(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) {
        for c in cases {
            let decision = CachePolicy.reuse(
                request: HTTPHeaders(c.request),
                method: c.method,
                stored: self.stored(c.cc, extra: c.extra),
                now: Self.t0ms + c.age * 1000,
                options: c.options
            )
            XCTAssertEqual(decision, c.expected, c.name, file: file, line: line)
        }
    }

    // MARK: RFC 9111 §4.2 fresh vs stale

    func testSection4_2FreshAndStale() {
        self.run([
            Case(name: "fresh", cc: "max-age=60", age: 10, expected: .fresh),
            Case(name: "HEAD from GET", cc: "max-age=60", method: .HEAD, age: 10, expected: .fresh),
            Case(name: "POST never", cc: "max-age=60", method: .POST, age: 10, expected: .revalidate),
            Case(name: "stale", cc: "max-age=60", age: 60, expected: .revalidate),
            Case(name: "max-age=0", cc: "max-age=0", extra: [("ETag", #""a""#)], age: 0, expected: .revalidate),
            Case(name: "no-cache while fresh (§5.2.2.4)", cc: "no-cache, max-age=60", age: 1, expected: .revalidate),
            Case(name: "qualified no-cache, field stripped", cc: #"no-cache="x-secret", max-age=60"#, age: 1, expected: .fresh),
            Case(name: "qualified no-cache, field still stored", cc: #"no-cache="x-secret", max-age=60"#,
                 extra: [("X-Secret", "1")], age: 1, expected: .revalidate),
            Case(name: "Expires: 0", cc: "", extra: [("Expires", "0"), ("ETag", #""a""#)], age: 0, expected: .revalidate),
        ])
    }

    // MARK: RFC 9111 §5.2.1 request directives

    func testSection5_2_1RequestDirectives() {
        self.run([
            Case(name: "request no-cache", cc: "max-age=60", request: [("Cache-Control", "no-cache")], age: 1, expected: .revalidate),
            Case(name: "request max-age=0", cc: "max-age=60", request: [("Cache-Control", "max-age=0")], age: 0, expected: .revalidate),
            Case(name: "request max-age satisfied", cc: "max-age=60", request: [("Cache-Control", "max-age=20")], age: 20, expected: .fresh),
            Case(name: "request max-age exceeded", cc: "max-age=60", request: [("Cache-Control", "max-age=20")], age: 21, expected: .revalidate),
            Case(name: "min-fresh satisfied", cc: "max-age=60", request: [("Cache-Control", "min-fresh=30")], age: 30, expected: .fresh),
            Case(name: "min-fresh not satisfied", cc: "max-age=60", request: [("Cache-Control", "min-fresh=30")], age: 31, expected: .revalidate),
            Case(name: "max-stale any", cc: "max-age=60", request: [("Cache-Control", "max-stale")], age: 1000, expected: .fresh),
            Case(name: "max-stale=30 within", cc: "max-age=60", request: [("Cache-Control", "max-stale=30")], age: 90, expected: .fresh),
            Case(name: "max-stale=30 beyond", cc: "max-age=60", request: [("Cache-Control", "max-stale=30")], age: 91, expected: .revalidate),
            Case(name: "max-stale vs must-revalidate (§5.2.2.2)", cc: "max-age=60, must-revalidate",
                 request: [("Cache-Control", "max-stale")], age: 61, expected: .revalidate),
            Case(name: "max-stale vs s-maxage (§5.2.2.10)", cc: "s-maxage=60", request: [("Cache-Control", "max-stale")], age: 61, expected: .revalidate),
            Case(name: "max-stale vs no-cache", cc: "no-cache", extra: [("ETag", #""a""#)],
                 request: [("Cache-Control", "max-stale")], age: 1, expected: .revalidate),
            Case(name: "only-if-cached hit", cc: "max-age=60", request: [("Cache-Control", "only-if-cached")], age: 1, expected: .fresh),
            Case(name: "only-if-cached stale → 504", cc: "max-age=60", request: [("Cache-Control", "only-if-cached")], age: 61,
                 expected: .onlyIfCachedMiss),
            Case(name: "only-if-cached + no-cache → 504", cc: "max-age=60", request: [("Cache-Control", "only-if-cached, no-cache")],
                 age: 1, expected: .onlyIfCachedMiss),
            Case(name: "request directives off", cc: "max-age=60", request: [("Cache-Control", "no-cache, max-age=0")], age: 1,
                 options: CachePolicyOptions(honorRequestCacheControl: false), expected: .fresh),
            Case(name: "request directives off: only-if-cached kept", cc: "max-age=60", request: [("Cache-Control", "only-if-cached")],
                 age: 61, options: CachePolicyOptions(honorRequestCacheControl: false), expected: .onlyIfCachedMiss),
            Case(name: "Pragma ignored (RFC 9111 §5.4)", cc: "max-age=60", request: [("Pragma", "no-cache")], age: 1, expected: .fresh),
        ])
    }

    // MARK: RFC 5861 §3 stale-while-revalidate

    func testRFC5861StaleWhileRevalidate() {
        self.run([
            Case(name: "within window", cc: "max-age=60, stale-while-revalidate=30", age: 89, expected: .staleWhileRevalidate),
            Case(name: "window end", cc: "max-age=60, stale-while-revalidate=30", age: 90, expected: .revalidate),
            Case(name: "route default grace", cc: "max-age=60", age: 65,
                 options: CachePolicyOptions(defaultStaleWhileRevalidate: 10), expected: .staleWhileRevalidate),
            Case(name: "must-revalidate", cc: "max-age=60, must-revalidate, stale-while-revalidate=30", age: 61, expected: .revalidate),
            Case(name: "s-maxage with explicit swr", cc: "s-maxage=60, stale-while-revalidate=30", age: 61, expected: .staleWhileRevalidate),
            Case(name: "request no-cache", cc: "max-age=60, stale-while-revalidate=30", request: [("Cache-Control", "no-cache")],
                 age: 61, expected: .revalidate),
            Case(name: "only-if-cached serves stale", cc: "max-age=60, stale-while-revalidate=30",
                 request: [("Cache-Control", "only-if-cached")], age: 61, expected: .staleWhileRevalidate),
        ])
    }

    // MARK: RFC 5861 §4 stale-if-error

    func testRFC5861StaleIfError() {
        struct Case {
            var name: String
            var cc: String
            var request: [(String, String)] = []
            var failure: OriginFailure = .status(503)
            var age: Int64
            var options = CachePolicyOptions()
            var expected: Bool
        }
        let cases: [Case] = [
            Case(name: "within window", cc: "max-age=60, stale-if-error=300", age: 359, expected: true),
            Case(name: "beyond window", cc: "max-age=60, stale-if-error=300", age: 360, expected: false),
            Case(name: "connect error", cc: "max-age=60, stale-if-error=300", failure: .connect, age: 100, expected: true),
            Case(name: "timeout", cc: "max-age=60, stale-if-error=300", failure: .timeout, age: 100, expected: true),
            Case(name: "500", cc: "max-age=60, stale-if-error=300", failure: .status(500), age: 100, expected: true),
            Case(name: "502", cc: "max-age=60, stale-if-error=300", failure: .status(502), age: 100, expected: true),
            Case(name: "504", cc: "max-age=60, stale-if-error=300", failure: .status(504), age: 100, expected: true),
            Case(name: "501 is not an error here", cc: "max-age=60, stale-if-error=300", failure: .status(501), age: 100, expected: false),
            Case(name: "404 is not an error here", cc: "max-age=60, stale-if-error=300", failure: .status(404), age: 100, expected: false),
            Case(name: "no permission", cc: "max-age=60", age: 61, expected: false),
            Case(name: "fresh copy", cc: "max-age=60", age: 10, expected: true),
            Case(name: "route default", cc: "max-age=60", age: 100, options: CachePolicyOptions(defaultStaleIfError: 60), expected: true),
            Case(name: "must-revalidate → 504", cc: "max-age=60, must-revalidate, stale-if-error=300", age: 100, expected: false),
            Case(name: "must-revalidate even when fresh", cc: "max-age=60, must-revalidate", age: 10, expected: true),
            Case(name: "no-cache", cc: "no-cache, max-age=60, stale-if-error=300", age: 10, expected: false),
            Case(name: "request stale-if-error", cc: "max-age=60", request: [("Cache-Control", "stale-if-error=100")], age: 100, expected: true),
            Case(name: "request max-stale", cc: "max-age=60", request: [("Cache-Control", "max-stale=40")], age: 100, expected: true),
            Case(name: "request max-stale too small", cc: "max-age=60", request: [("Cache-Control", "max-stale=39")], age: 100, expected: false),
            Case(name: "s-maxage ignores request permission", cc: "s-maxage=60", request: [("Cache-Control", "max-stale")], age: 100, expected: false),
            Case(name: "request no-cache", cc: "max-age=60, stale-if-error=300", request: [("Cache-Control", "no-cache")], age: 100, expected: false),
        ]
        for c in cases {
            let stored = self.stored(c.cc)
            let allowed = CachePolicy.staleIfErrorAllowed(
                stored: stored, request: HTTPHeaders(c.request), failure: c.failure, now: Self.t0ms + c.age * 1000, options: c.options
            )
            XCTAssertEqual(allowed, c.expected, c.name)
        }
    }
}
