import NIOHTTP1
import TernPolicy
import XCTest

final class CacheStorabilityTests: XCTestCase {
    private struct Case {
        var name: String
        var method: HTTPMethod = .GET
        var request: [(String, String)] = []
        var status: Int = 200
        var response: [(String, String)]
        var options = CachePolicyOptions()
        var expected: StorabilityDecision
    }

    private static let date = "Tue, 14 Nov 2023 22:13:20 GMT"
    private static let lastModified = "Tue, 14 Nov 2023 12:13:20 GMT"

    private func run(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) {
        for c in cases {
            let decision = CachePolicy.storability(
                method: c.method,
                requestHeaders: HTTPHeaders(c.request),
                status: c.status,
                responseHeaders: HTTPHeaders(c.response),
                options: c.options
            )
            XCTAssertEqual(decision, c.expected, c.name, file: file, line: line)
        }
    }

    // MARK: RFC 9111 §3: storing responses

    func testSection3StoringResponses() {
        let fresh = [("Cache-Control", "max-age=60")]
        self.run([
            Case(name: "fresh 200", response: fresh, expected: .store),
            Case(name: "bypass route", response: fresh, options: CachePolicyOptions(bypass: true), expected: .doNotStore(.bypass)),
            Case(name: "POST", method: .POST, response: fresh, expected: .doNotStore(.method)),
            Case(name: "HEAD responses are not stored", method: .HEAD, response: fresh, expected: .doNotStore(.method)),
            Case(name: "request no-store", request: [("Cache-Control", "no-store")], response: fresh, expected: .doNotStore(.requestNoStore)),
            Case(name: "206", status: 206, response: fresh, expected: .doNotStore(.partial)),
            Case(name: "304", status: 304, response: fresh, expected: .doNotStore(.status)),
            Case(name: "1xx", status: 103, response: fresh, expected: .doNotStore(.status)),
            Case(name: "no-store", response: [("Cache-Control", "max-age=60, no-store")], expected: .doNotStore(.responseNoStore)),
            Case(name: "NO-STORE upper case", response: [("Cache-Control", "NO-STORE")], expected: .doNotStore(.responseNoStore)),
            Case(name: "no-store on second line", response: [("Cache-Control", "max-age=60"), ("Cache-Control", "no-store")],
                 expected: .doNotStore(.responseNoStore)),
            Case(name: "private", response: [("Cache-Control", "private, max-age=60")], expected: .doNotStore(.privateResponse)),
            Case(name: "qualified private stores the rest", response: [("Cache-Control", #"private="x-user", max-age=60"#)], expected: .store),
            Case(name: "Vary: *", response: fresh + [("Vary", "Accept, *")], expected: .doNotStore(.varyStar)),
            Case(name: "Vary: accept-encoding", response: fresh + [("Vary", "Accept-Encoding")], expected: .store),
            Case(name: "too large", response: fresh + [("Content-Length", "100")],
                 options: CachePolicyOptions(maxObjectSize: 99), expected: .doNotStore(.tooLarge)),
            Case(name: "exactly max size", response: fresh + [("Content-Length", "99")],
                 options: CachePolicyOptions(maxObjectSize: 99), expected: .store),
        ])
    }

    // MARK: RFC 9111 §3 + RFC 9110 §15.1: status codes and explicit freshness

    func testSection3StatusCodesAndFreshness() {
        let heuristic = [("Date", Self.date), ("Last-Modified", Self.lastModified)]
        var cases: [Case] = []
        for status in [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501] {
            cases.append(Case(name: "heuristic \(status)", status: status, response: heuristic, expected: .store))
        }
        for status in [201, 302, 303, 307, 400, 403, 500, 502, 503] {
            cases.append(Case(name: "not heuristic \(status)", status: status, response: heuristic, expected: .doNotStore(.status)))
            cases.append(Case(name: "\(status) with max-age", status: status, response: [("Cache-Control", "max-age=5")], expected: .store))
        }
        cases += [
            Case(name: "302 with Expires", status: 302,
                 response: [("Date", Self.date), ("Expires", "Tue, 14 Nov 2023 23:13:20 GMT")], expected: .store),
            Case(name: "302 with s-maxage", status: 302, response: [("Cache-Control", "s-maxage=5")], expected: .store),
            Case(name: "302 with public + validator", status: 302,
                 response: [("Cache-Control", "public"), ("ETag", #""a""#)], expected: .store),
            Case(name: "no freshness, no validator", response: [("Date", Self.date)], expected: .doNotStore(.noFreshness)),
            Case(name: "no freshness, ETag", response: [("ETag", #""a""#)], expected: .store),
            Case(name: "max-age=0, no validator", response: [("Cache-Control", "max-age=0")], expected: .doNotStore(.noFreshness)),
            Case(name: "max-age=0 with ETag (revalidatable)", response: [("Cache-Control", "max-age=0"), ("ETag", #""a""#)], expected: .store),
            Case(name: "Expires: 0 without validator", response: [("Date", Self.date), ("Expires", "0")], expected: .doNotStore(.noFreshness)),
            Case(name: "Expires: 0 with Last-Modified", response: [("Date", Self.date), ("Expires", "0"), ("Last-Modified", Self.lastModified)],
                 expected: .store),
            Case(name: "no-cache without validator", response: [("Cache-Control", "no-cache, max-age=60")], expected: .doNotStore(.noFreshness)),
            Case(name: "no-cache with validator", response: [("Cache-Control", "no-cache"), ("ETag", #""a""#)], expected: .store),
            Case(name: "minTTL rescues", response: [("Cache-Control", "max-age=0")], options: CachePolicyOptions(minTTL: 10), expected: .store),
            Case(name: "forceTTL rescues", response: [], options: CachePolicyOptions(forceTTL: 10), expected: .store),
            Case(name: "negativeTTL for 404", status: 404, response: [], options: CachePolicyOptions(negativeTTL: 30), expected: .store),
            Case(name: "404 without anything", status: 404, response: [], expected: .doNotStore(.noFreshness)),
            Case(name: "Expires without Date: unknown lifetime, stored", response: [("Expires", "Tue, 14 Nov 2023 23:13:20 GMT")], expected: .store),
        ]
        self.run(cases)
    }

    // MARK: RFC 9111 §5.2.2.3 must-understand

    func testSection5_2_2_3MustUnderstand() {
        self.run([
            Case(name: "understood status ignores no-store", response: [("Cache-Control", "must-understand, no-store, max-age=60")], expected: .store),
            Case(name: "unknown status", status: 299, response: [("Cache-Control", "must-understand, no-store, max-age=60")],
                 expected: .doNotStore(.mustUnderstand)),
        ])
    }

    // MARK: RFC 9111 §3.5 Authorization

    func testSection3_5Authorization() {
        let auth = [("Authorization", "Bearer x")]
        self.run([
            Case(name: "plain max-age", request: auth, response: [("Cache-Control", "max-age=60")], expected: .doNotStore(.authorization)),
            Case(name: "public", request: auth, response: [("Cache-Control", "public, max-age=60")], expected: .store),
            Case(name: "s-maxage", request: auth, response: [("Cache-Control", "s-maxage=60")], expected: .store),
            Case(name: "must-revalidate", request: auth, response: [("Cache-Control", "must-revalidate, max-age=60")], expected: .store),
        ])
    }

    // MARK: Set-Cookie (Tern default, RFC 9111 §3.5 spirit)

    func testSetCookie() {
        let fresh = ("Cache-Control", "max-age=60")
        self.run([
            Case(name: "refused", response: [fresh, ("Set-Cookie", "a=b")], expected: .doNotStore(.setCookie)),
            Case(name: "route opt-in", response: [fresh, ("Set-Cookie", "a=b")], options: CachePolicyOptions(cacheSetCookie: true), expected: .store),
            Case(name: "private=set-cookie lets the rest be stored",
                 response: [("Cache-Control", #"max-age=60, private="Set-Cookie""#), ("Set-Cookie", "a=b")], expected: .store),
            Case(name: "no-cache=set-cookie likewise",
                 response: [("Cache-Control", #"max-age=60, no-cache="set-cookie""#), ("Set-Cookie", "a=b")], expected: .store),
        ])
    }

    // MARK: RFC 9213 CDN-Cache-Control

    func testRFC9213TargetedField() {
        self.run([
            Case(name: "CDN max-age beats CC no-store", response: [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600")],
                 expected: .store),
            Case(name: "CDN no-store beats CC max-age", response: [("Cache-Control", "max-age=600"), ("CDN-Cache-Control", "no-store")],
                 expected: .doNotStore(.responseNoStore)),
            Case(name: "CDN private", response: [("Cache-Control", "max-age=600"), ("CDN-Cache-Control", "private")],
                 expected: .doNotStore(.privateResponse)),
            Case(name: "invalid CDN-CC falls back", response: [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=10000, &&&&&")],
                 expected: .doNotStore(.responseNoStore)),
            Case(name: "wrong type falls back", response: [("Cache-Control", "no-store"), ("CDN-Cache-Control", #"max-age="10000""#)],
                 expected: .doNotStore(.responseNoStore)),
            Case(name: "targeted field list configurable",
                 response: [("Cache-Control", "no-store"), ("Tern-Cache-Control", "max-age=60")],
                 options: CachePolicyOptions(targetedFields: ["tern-cache-control", "cdn-cache-control"]), expected: .store),
        ])
    }

    // MARK: Request bypass (RFC 9111 §4)

    func testRequestBypassReason() {
        let cases: [(String, HTTPMethod, [(String, String)], CachePolicyOptions, NoCacheReason?)] = [
            ("GET", .GET, [], CachePolicyOptions(), nil),
            ("HEAD", .HEAD, [], CachePolicyOptions(), nil),
            ("POST", .POST, [], CachePolicyOptions(), .method),
            ("unknown method", .RAW(value: "PURGEX"), [], CachePolicyOptions(), .method),
            ("bypass route", .GET, [], CachePolicyOptions(bypass: true), .bypass),
            ("upgrade", .GET, [("Upgrade", "websocket"), ("Connection", "upgrade")], CachePolicyOptions(), .upgrade),
            ("request no-store still looks up (§5.2.1.5)", .GET, [("Cache-Control", "no-store")], CachePolicyOptions(), nil),
        ]
        for (name, method, headers, options, expected) in cases {
            XCTAssertEqual(
                CachePolicy.requestBypassReason(method: method, requestHeaders: HTTPHeaders(headers), options: options),
                expected, name
            )
        }
    }

    // MARK: RFC 9111 §3.1 storing header fields

    func testSection3_1HeadersForStorage() {
        let headers = HTTPHeaders([
            ("Cache-Control", #"max-age=60, no-cache="X-Secret", private="X-User""#),
            ("Connection", "close, X-Hop"), ("X-Hop", "1"), ("Keep-Alive", "timeout=5"),
            ("Proxy-Authenticate", "Basic"), ("X-Secret", "s"), ("X-User", "u"), ("X-Keep", "k"), ("Age", "3"),
        ])
        let stored = CachePolicy.headersForStorage(headers)
        XCTAssertEqual(stored.map(\.name), ["Cache-Control", "X-Keep", "Age"])
    }

    func testNoCacheReasonStrings() {
        XCTAssertEqual(Set(NoCacheReason.allCases.map(\.rawValue)).count, NoCacheReason.allCases.count)
        XCTAssertEqual(NoCacheReason.setCookie.rawValue, "set-cookie")
        XCTAssertEqual(NoCacheReason.status.rawValue, "uncacheable-status")
        for reason in NoCacheReason.allCases {
            XCTAssertTrue(reason.rawValue.allSatisfy { $0.isLowercase || $0 == "-" }, reason.rawValue)
        }
    }
}
