import NIOHTTP1
import TernPolicy
import XCTest

final class ConditionalsTests: XCTestCase {
    private let etag = EntityTag(opaque: "v2")
    /// Sun, 06 Nov 1994 08:49:37 GMT.
    private let lastModified: Int64 = 784_111_777
    private let before = "Sat, 05 Nov 1994 08:49:37 GMT"
    private let same = "Sun, 06 Nov 1994 08:49:37 GMT"
    private let after = "Mon, 07 Nov 1994 08:49:37 GMT"

    private struct Case {
        var name: String
        var method: HTTPMethod = .GET
        var headers: [(String, String)]
        var expected: ConditionalOutcome
    }

    func testPrecedenceTableOfRFC9110Section13_2_2() {
        let cases: [Case] = [
            Case(name: "no conditionals", headers: [], expected: .proceed),
            // If-Match (strong comparison).
            Case(name: "If-Match strong match", headers: [("If-Match", #""v2""#)], expected: .proceed),
            Case(name: "If-Match in list", headers: [("If-Match", #""v1", "v2""#)], expected: .proceed),
            Case(name: "If-Match split over lines", headers: [("If-Match", #""v1""#), ("If-Match", #""v2""#)], expected: .proceed),
            Case(name: "If-Match *", headers: [("If-Match", "*")], expected: .proceed),
            Case(name: "If-Match weak tag never matches", headers: [("If-Match", #"W/"v2""#)], expected: .preconditionFailed),
            Case(name: "If-Match mismatch", headers: [("If-Match", #""v1""#)], expected: .preconditionFailed),
            Case(name: "If-Match garbage", headers: [("If-Match", "v2")], expected: .preconditionFailed),
            // If-Unmodified-Since.
            Case(name: "IUS later", headers: [("If-Unmodified-Since", self.after)], expected: .proceed),
            Case(name: "IUS same", headers: [("If-Unmodified-Since", self.same)], expected: .proceed),
            Case(name: "IUS earlier", headers: [("If-Unmodified-Since", self.before)], expected: .preconditionFailed),
            Case(name: "IUS invalid ignored", headers: [("If-Unmodified-Since", "yesterday")], expected: .proceed),
            Case(
                name: "IUS ignored when If-Match present",
                headers: [("If-Match", #""v2""#), ("If-Unmodified-Since", self.before)], expected: .proceed
            ),
            // If-None-Match (weak comparison).
            Case(name: "INM match", headers: [("If-None-Match", #""v2""#)], expected: .notModified),
            Case(name: "INM weak match", headers: [("If-None-Match", #"W/"v2""#)], expected: .notModified),
            Case(name: "INM in list", headers: [("If-None-Match", #"W/"v0", "v1", W/"v2""#)], expected: .notModified),
            Case(name: "INM *", headers: [("If-None-Match", "*")], expected: .notModified),
            Case(name: "INM mismatch", headers: [("If-None-Match", #""v1""#)], expected: .proceed),
            Case(name: "INM HEAD", method: .HEAD, headers: [("If-None-Match", #""v2""#)], expected: .notModified),
            Case(name: "INM POST", method: .POST, headers: [("If-None-Match", #""v2""#)], expected: .preconditionFailed),
            Case(name: "INM PUT *", method: .PUT, headers: [("If-None-Match", "*")], expected: .preconditionFailed),
            Case(name: "INM DELETE mismatch", method: .DELETE, headers: [("If-None-Match", #""v1""#)], expected: .proceed),
            // If-Modified-Since.
            Case(name: "IMS same", headers: [("If-Modified-Since", self.same)], expected: .notModified),
            Case(name: "IMS later", headers: [("If-Modified-Since", self.after)], expected: .notModified),
            Case(name: "IMS earlier", headers: [("If-Modified-Since", self.before)], expected: .proceed),
            Case(name: "IMS RFC 850", headers: [("If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT")], expected: .notModified),
            Case(name: "IMS asctime", headers: [("If-Modified-Since", "Sun Nov  6 08:49:37 1994")], expected: .notModified),
            Case(name: "IMS invalid ignored", headers: [("If-Modified-Since", "not a date")], expected: .proceed),
            Case(name: "IMS two lines ignored", headers: [("If-Modified-Since", self.same), ("If-Modified-Since", self.same)], expected: .proceed),
            Case(name: "IMS HEAD", method: .HEAD, headers: [("If-Modified-Since", self.same)], expected: .notModified),
            Case(name: "IMS ignored for POST", method: .POST, headers: [("If-Modified-Since", self.same)], expected: .proceed),
            Case(
                name: "IMS ignored when INM present (mismatch)",
                headers: [("If-None-Match", #""v1""#), ("If-Modified-Since", self.after)], expected: .proceed
            ),
            Case(
                name: "INM decides over IMS (match)",
                headers: [("If-None-Match", #""v2""#), ("If-Modified-Since", self.before)], expected: .notModified
            ),
            // Ordering between the two groups.
            Case(
                name: "If-Match failure beats INM",
                headers: [("If-Match", #""v1""#), ("If-None-Match", #""v2""#)], expected: .preconditionFailed
            ),
            Case(
                name: "If-Match pass then INM match",
                headers: [("If-Match", #""v2""#), ("If-None-Match", #""v2""#)], expected: .notModified
            ),
            Case(
                name: "IUS failure beats IMS",
                headers: [("If-Unmodified-Since", self.before), ("If-Modified-Since", self.after)], expected: .preconditionFailed
            ),
        ]
        for c in cases {
            let outcome = Conditionals.evaluate(
                method: c.method, headers: HTTPHeaders(c.headers), etag: self.etag, lastModified: self.lastModified
            )
            XCTAssertEqual(outcome, c.expected, c.name)
        }
    }

    func testMissingValidators() {
        let headers = HTTPHeaders([("If-Modified-Since", self.after), ("If-Unmodified-Since", self.before)])
        XCTAssertEqual(Conditionals.evaluate(method: .GET, headers: headers, etag: nil, lastModified: nil), .proceed)
        let ifMatch = HTTPHeaders([("If-Match", #""v2""#)])
        XCTAssertEqual(Conditionals.evaluate(method: .GET, headers: ifMatch, etag: nil, lastModified: nil), .preconditionFailed)
        let ifNoneMatch = HTTPHeaders([("If-None-Match", #""v2""#)])
        XCTAssertEqual(Conditionals.evaluate(method: .GET, headers: ifNoneMatch, etag: nil, lastModified: nil), .proceed)
    }

    func testIfRange() {
        let now = self.lastModified + 3600
        let cases: [(String, [(String, String)], Bool)] = [
            ("absent", [], true),
            ("strong match", [("If-Range", #""v2""#)], true),
            ("mismatch", [("If-Range", #""v1""#)], false),
            ("weak tag never matches", [("If-Range", #"W/"v2""#)], false),
            ("exact date", [("If-Range", self.same)], true),
            ("later date", [("If-Range", self.after)], false),
            ("earlier date", [("If-Range", self.before)], false),
            ("garbage", [("If-Range", "tomorrow")], false),
            ("two lines", [("If-Range", #""v2""#), ("If-Range", #""v2""#)], false),
        ]
        for (name, headers, expected) in cases {
            XCTAssertEqual(
                Conditionals.ifRangeMatches(headers: HTTPHeaders(headers), etag: self.etag, lastModified: self.lastModified, now: now),
                expected, name
            )
        }
        // A Last-Modified equal to Date is only a weak validator (RFC 9110 §8.8.2.2).
        let sameSecond = HTTPHeaders([("If-Range", self.same)])
        XCTAssertFalse(Conditionals.ifRangeMatches(headers: sameSecond, etag: nil, lastModified: self.lastModified, now: self.lastModified))
        XCTAssertTrue(Conditionals.ifRangeMatches(headers: sameSecond, etag: nil, lastModified: self.lastModified))
        XCTAssertFalse(Conditionals.ifRangeMatches(headers: HTTPHeaders([("If-Range", #""v2""#)]), etag: nil, lastModified: nil))
    }

    func testOutcomeNames() {
        XCTAssertEqual(ConditionalOutcome.proceed.name, "proceed")
        XCTAssertEqual(ConditionalOutcome.notModified.name, "not-modified")
        XCTAssertEqual(ConditionalOutcome.preconditionFailed.name, "precondition-failed")
    }

    func testContentTypes() {
        let cases: [(String, String)] = [
            ("html", "text/html; charset=utf-8"),
            ("HTM", "text/html; charset=utf-8"),
            (".css", "text/css; charset=utf-8"),
            ("js", "text/javascript; charset=utf-8"),
            ("mjs", "text/javascript; charset=utf-8"),
            ("json", "application/json"),
            ("svg", "image/svg+xml"),
            ("woff2", "font/woff2"),
            ("wasm", "application/wasm"),
            ("weird", "application/octet-stream"),
            ("", "application/octet-stream"),
        ]
        for (ext, expected) in cases {
            XCTAssertEqual(MIMETypes.contentType(forPathExtension: ext), expected, ext)
        }
        XCTAssertEqual(MIMETypes.contentType(forPath: "/a/b.min.js"), "text/javascript; charset=utf-8")
        XCTAssertEqual(MIMETypes.contentType(forPath: "/a.d/README"), "application/octet-stream")
        XCTAssertEqual(MIMETypes.contentType(forPath: ".profile"), "application/octet-stream")
    }
}
