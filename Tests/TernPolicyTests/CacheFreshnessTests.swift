import NIOHTTP1
import TernPolicy
import XCTest

final class CacheFreshnessTests: XCTestCase {
    /// Tue, 14 Nov 2023 22:13:20 GMT.
    private static let t0: Int64 = 1_700_000_000
    private static let t0ms: Int64 = t0 * 1000

    private static func date(_ offset: Int64) -> String { HTTPDate.format(t0 + offset) }

    private func freshness(
        _ headers: [(String, String)],
        status: Int = 200,
        requestTime: Int64 = t0ms,
        responseTime: Int64 = t0ms,
        now: Int64,
        options: CachePolicyOptions = CachePolicyOptions()
    ) -> Freshness {
        let stored = StoredResponse(status: status, headers: HTTPHeaders(headers), requestTime: requestTime, responseTime: responseTime)
        return CachePolicy.freshness(of: stored, now: now, options: options)
    }

    // MARK: RFC 9111 §4.2.1 freshness lifetime

    func testSection4_2_1Lifetime() {
        struct Case {
            var name: String
            var headers: [(String, String)]
            var status = 200
            var options = CachePolicyOptions()
            var lifetime: Int64
        }
        let d = ("Date", Self.date(0))
        let cases: [Case] = [
            Case(name: "max-age", headers: [d, ("Cache-Control", "max-age=60")], lifetime: 60),
            Case(name: "s-maxage beats max-age", headers: [d, ("Cache-Control", "max-age=60, s-maxage=5")], lifetime: 5),
            Case(name: "max-age beats Expires", headers: [d, ("Cache-Control", "max-age=60"), ("Expires", Self.date(-100))], lifetime: 60),
            Case(name: "max-age beats invalid Expires", headers: [d, ("Cache-Control", "max-age=60"), ("Expires", "0")], lifetime: 60),
            Case(name: "Expires − Date", headers: [d, ("Expires", Self.date(3600))], lifetime: 3600),
            Case(name: "Expires in the past", headers: [d, ("Expires", Self.date(-10))], lifetime: 0),
            Case(name: "Expires: 0 is expired (§5.3)", headers: [d, ("Expires", "0")], lifetime: 0),
            Case(name: "Expires garbage", headers: [d, ("Expires", "soon"), ("Last-Modified", Self.date(-36_000))], lifetime: 0),
            Case(name: "Expires: first line wins", headers: [d, ("Expires", Self.date(100)), ("Expires", Self.date(200))], lifetime: 100),
            Case(name: "Expires − response time without Date", headers: [("Expires", Self.date(50))], lifetime: 50),
            Case(name: "invalid max-age is stale", headers: [d, ("Cache-Control", "max-age=soon"), ("Expires", Self.date(100))], lifetime: 0),
            Case(name: "heuristic 10% of Date − Last-Modified", headers: [d, ("Last-Modified", Self.date(-36_000))], lifetime: 3600),
            Case(name: "heuristic capped", headers: [d, ("Last-Modified", Self.date(-100 * 86_400))], lifetime: 86_400),
            Case(name: "heuristic fraction option", headers: [d, ("Last-Modified", Self.date(-1000))],
                 options: CachePolicyOptions(heuristicFraction: 0.5), lifetime: 500),
            Case(name: "heuristic: Last-Modified after Date", headers: [d, ("Last-Modified", Self.date(100))], lifetime: 0),
            Case(name: "no heuristic for 302", headers: [d, ("Last-Modified", Self.date(-36_000))], status: 302, lifetime: 0),
            Case(name: "public enables heuristic for 302", headers: [d, ("Cache-Control", "public"), ("Last-Modified", Self.date(-36_000))],
                 status: 302, lifetime: 3600),
            Case(name: "negativeTTL for 404", headers: [d, ("Last-Modified", Self.date(-36_000))], status: 404,
                 options: CachePolicyOptions(negativeTTL: 30), lifetime: 30),
            Case(name: "negativeTTL yields to explicit", headers: [d, ("Cache-Control", "max-age=5")], status: 410,
                 options: CachePolicyOptions(negativeTTL: 30), lifetime: 5),
            Case(name: "forceTTL overrides", headers: [d, ("Cache-Control", "max-age=5")], options: CachePolicyOptions(forceTTL: 300), lifetime: 300),
            Case(name: "minTTL raises", headers: [d, ("Cache-Control", "max-age=0")], options: CachePolicyOptions(minTTL: 10), lifetime: 10),
            Case(name: "minTTL does not lower", headers: [d, ("Cache-Control", "max-age=60")], options: CachePolicyOptions(minTTL: 10), lifetime: 60),
            Case(name: "minTTL with invalid Expires", headers: [d, ("Expires", "0")], options: CachePolicyOptions(minTTL: 10), lifetime: 10),
            // RFC 9213: CDN-Cache-Control governs, Expires ignored.
            Case(name: "CDN max-age beats CC", headers: [d, ("Cache-Control", "max-age=3600"), ("CDN-Cache-Control", "max-age=1")], lifetime: 1),
            Case(name: "CDN long beats CC short", headers: [d, ("Cache-Control", "max-age=1"), ("CDN-Cache-Control", "max-age=3600")], lifetime: 3600),
            Case(name: "CDN max-age=0 beats Expires", headers: [d, ("CDN-Cache-Control", "max-age=0"), ("Expires", Self.date(10_000))], lifetime: 0),
            Case(name: "CDN present: Expires ignored", headers: [d, ("CDN-Cache-Control", "public"), ("Expires", Self.date(10_000))], lifetime: 0),
            Case(name: "invalid CDN falls back", headers: [d, ("Cache-Control", "max-age=7"), ("CDN-Cache-Control", "max-age= 100")], lifetime: 7),
        ]
        for c in cases {
            let f = self.freshness(c.headers, status: c.status, now: Self.t0ms, options: c.options)
            XCTAssertEqual(f.lifetime, c.lifetime, c.name)
        }
    }

    // MARK: RFC 9111 §4.2.3 age calculation, §5.1 Age parsing

    func testSection4_2_3Age() {
        struct Case {
            var name: String
            var headers: [(String, String)]
            var requestTime: Int64 = CacheFreshnessTests.t0ms
            var responseTime: Int64 = CacheFreshnessTests.t0ms
            var now: Int64
            var age: Int64
        }
        let t = Self.t0ms
        let d = ("Date", Self.date(0))
        let cases: [Case] = [
            Case(name: "resident time", headers: [d], now: t + 30_000, age: 30),
            Case(name: "floored to seconds", headers: [d], now: t + 59_999, age: 59),
            Case(name: "now before response time", headers: [d], now: t - 5_000, age: 0),
            Case(name: "Age header", headers: [d, ("Age", "15")], now: t, age: 15),
            Case(name: "Age plus response delay", headers: [d, ("Age", "10")], requestTime: t - 5_000, now: t, age: 15),
            Case(name: "apparent age from Date", headers: [("Date", Self.date(-100))], now: t, age: 100),
            Case(name: "max of apparent and corrected", headers: [("Date", Self.date(-100)), ("Age", "20")], now: t + 1_000, age: 101),
            Case(name: "Date in the future", headers: [("Date", Self.date(500))], now: t, age: 0),
            Case(name: "no Date: response time", headers: [], now: t + 2_000, age: 2),
            Case(name: "invalid Date: response time", headers: [("Date", "yesterday")], now: t + 2_000, age: 2),
            Case(name: "Age non-numeric ignored", headers: [d, ("Age", "abc")], now: t, age: 0),
            Case(name: "Age negative ignored", headers: [d, ("Age", "-7200")], now: t, age: 0),
            Case(name: "Age float ignored", headers: [d, ("Age", "7200.0")], now: t, age: 0),
            Case(name: "Age list: first member", headers: [d, ("Age", "10, 20")], now: t, age: 10),
            Case(name: "Age lines: first line", headers: [d, ("Age", "30"), ("Age", "5")], now: t, age: 30),
            Case(name: "Age huge clamps", headers: [d, ("Age", "99999999999999999999")], now: t, age: 2_147_483_648),
        ]
        for c in cases {
            let f = self.freshness(c.headers, requestTime: c.requestTime, responseTime: c.responseTime, now: c.now)
            XCTAssertEqual(f.currentAge, c.age, c.name)
        }
    }

    func testFreshnessBoundaryAndDerivedValues() {
        let headers = [("Date", Self.date(0)), ("Cache-Control", "max-age=60")]
        let justFresh = self.freshness(headers, now: Self.t0ms + 59_999)
        XCTAssertTrue(justFresh.isFresh)
        XCTAssertEqual(justFresh.ttlRemaining, 1)
        XCTAssertEqual(justFresh.staleness, 0)

        let stale = self.freshness(headers, now: Self.t0ms + 60_000)
        XCTAssertFalse(stale.isFresh)
        XCTAssertEqual(stale.ttlRemaining, 0)

        let staler = self.freshness(headers, now: Self.t0ms + 90_000)
        XCTAssertEqual(staler.staleness, 30)
        XCTAssertEqual(staler.ttlRemaining, -30)

        let ageStale = self.freshness([("Date", Self.date(0)), ("Cache-Control", "max-age=10"), ("Age", "15")], now: Self.t0ms)
        XCTAssertFalse(ageStale.isFresh)
    }

    // MARK: RFC 9111 §5.2.2 flags, RFC 5861 windows, RFC 8246

    func testStaleWindowsAndFlags() {
        struct Case {
            var name: String
            var cc: String
            var options = CachePolicyOptions()
            var swr: Int64
            var sie: Int64
            var mustRevalidate: Bool
        }
        let cases: [Case] = [
            Case(name: "none", cc: "max-age=60", swr: 0, sie: 0, mustRevalidate: false),
            Case(name: "explicit", cc: "max-age=60, stale-while-revalidate=30, stale-if-error=300", swr: 30, sie: 300, mustRevalidate: false),
            Case(name: "route defaults", cc: "max-age=60", options: CachePolicyOptions(defaultStaleWhileRevalidate: 10, defaultStaleIfError: 20),
                 swr: 10, sie: 20, mustRevalidate: false),
            Case(name: "explicit beats defaults", cc: "max-age=60, stale-while-revalidate=5",
                 options: CachePolicyOptions(defaultStaleWhileRevalidate: 10), swr: 5, sie: 0, mustRevalidate: false),
            Case(name: "must-revalidate forbids", cc: "max-age=60, must-revalidate, stale-while-revalidate=30, stale-if-error=30",
                 swr: 0, sie: 0, mustRevalidate: true),
            Case(name: "proxy-revalidate forbids", cc: "max-age=60, proxy-revalidate, stale-if-error=30", swr: 0, sie: 0, mustRevalidate: true),
            Case(name: "no-cache forbids", cc: "no-cache, stale-while-revalidate=30", swr: 0, sie: 0, mustRevalidate: false),
            Case(name: "s-maxage implies proxy-revalidate", cc: "s-maxage=60",
                 options: CachePolicyOptions(defaultStaleWhileRevalidate: 10, defaultStaleIfError: 10), swr: 0, sie: 0, mustRevalidate: true),
            Case(name: "s-maxage with explicit stale-*", cc: "s-maxage=60, stale-while-revalidate=30, stale-if-error=40",
                 swr: 30, sie: 40, mustRevalidate: true),
        ]
        for c in cases {
            let f = self.freshness([("Date", Self.date(0)), ("Cache-Control", c.cc)], now: Self.t0ms, options: c.options)
            XCTAssertEqual(f.staleWhileRevalidate, c.swr, c.name)
            XCTAssertEqual(f.staleIfError, c.sie, c.name)
            XCTAssertEqual(f.mustRevalidate, c.mustRevalidate, c.name)
        }
        let flags = self.freshness([("Cache-Control", "no-cache, immutable, max-age=9")], now: Self.t0ms)
        XCTAssertTrue(flags.noCache)
        XCTAssertTrue(flags.immutable)
    }

    // MARK: RFC 9111 §5.1 Age field value

    func testSection5_1AgeHeaderValue() {
        XCTAssertEqual(CachePolicy.ageHeaderValue(Freshness(lifetime: 60, currentAge: 42)), "42")
        XCTAssertEqual(CachePolicy.ageHeaderValue(Freshness(lifetime: 60, currentAge: 0)), "0")
        XCTAssertEqual(CachePolicy.ageHeaderValue(Freshness(lifetime: 60, currentAge: 5_000_000_000)), "2147483648")
    }
}
