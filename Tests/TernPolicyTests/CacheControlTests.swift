import NIOHTTP1
import TernPolicy
import XCTest

final class CacheControlTests: XCTestCase {
    private func parse(_ lines: String..., field: String = "Cache-Control") -> CacheControl {
        CacheControl(HTTPHeaders(lines.map { (field, $0) }), field: field.lowercased())
    }

    // MARK: RFC 9111 §5.2 syntax

    func testSection5_2Syntax() {
        struct Case {
            var name: String
            var lines: [String]
            var check: (CacheControl) -> Bool
        }
        let cases: [Case] = [
            Case(name: "absent", lines: []) { $0.isEmpty },
            Case(name: "max-age", lines: ["max-age=60"]) { $0.maxAge == 60 },
            Case(name: "upper-case name", lines: ["MAX-AGE=60"]) { $0.maxAge == 60 },
            Case(name: "mixed-case name", lines: ["Max-Age=60, No-Store"]) { $0.maxAge == 60 && $0.noStore },
            Case(name: "quoted value", lines: [#"max-age="60""#]) { $0.maxAge == 60 },
            Case(name: "leading zeros", lines: ["max-age=003600"]) { $0.maxAge == 3600 },
            Case(name: "single-quoted is invalid → stale", lines: ["max-age='60'"]) { $0.maxAge == 0 },
            Case(name: "non-numeric → stale", lines: ["max-age=abc"]) { $0.maxAge == 0 },
            Case(name: "decimal → stale", lines: ["max-age=1.5"]) { $0.maxAge == 0 },
            Case(name: "negative → stale", lines: ["max-age=-1"]) { $0.maxAge == 0 },
            Case(name: "missing value → stale", lines: ["max-age"]) { $0.maxAge == 0 },
            Case(name: "space after = → stale", lines: ["max-age= 60"]) { $0.maxAge == 0 },
            Case(name: "space before = is not max-age", lines: ["max-age =60"]) { $0.maxAge == nil },
            Case(name: "huge clamps", lines: ["max-age=99999999999999999999999"]) { $0.maxAge == 2_147_483_648 },
            Case(name: "2^31 exactly", lines: ["s-maxage=2147483648"]) { $0.sMaxAge == 2_147_483_648 },
            Case(name: "duplicate same line: first wins", lines: ["max-age=1800, max-age=1"]) { $0.maxAge == 1800 },
            Case(name: "duplicate lines: first wins", lines: ["max-age=1", "max-age=1800"]) { $0.maxAge == 1 },
            Case(name: "multiple lines combine", lines: ["public", "max-age=5, must-revalidate"]) {
                $0.isPublic && $0.maxAge == 5 && $0.mustRevalidate
            },
            Case(name: "quoted comma does not split", lines: [#"extension="max-age=100, no-store", max-age=1"#]) {
                $0.maxAge == 1 && !$0.noStore && $0.extensions == [.init(name: "extension", value: "max-age=100, no-store")]
            },
            Case(name: "quoted max-age after the real one", lines: [#"max-age=1, extension="max-age=100""#]) { $0.maxAge == 1 },
            Case(name: "empty elements skipped", lines: [" , ,no-cache,, "]) { $0.noCache && $0.extensions.isEmpty },
            Case(name: "unknown kept", lines: ["foo, bar=baz"]) {
                $0.extensions == [.init(name: "foo"), .init(name: "bar", value: "baz")] && !$0.isEmpty
            },
            Case(name: "all booleans", lines: ["no-store, no-transform, only-if-cached, must-revalidate, proxy-revalidate, must-understand, public, immutable"]) {
                $0.noStore && $0.noTransform && $0.onlyIfCached && $0.mustRevalidate && $0.proxyRevalidate
                    && $0.mustUnderstand && $0.isPublic && $0.immutable
            },
        ]
        for c in cases {
            XCTAssertTrue(c.check(CacheControl(HTTPHeaders(c.lines.map { ("Cache-Control", $0) }))), c.name)
        }
    }

    // MARK: RFC 9111 §5.2.1 request directives

    /// First occurrence wins however many directives come between (the duplicate check switches from
    /// a small array to a set past 16 names; a hostile field with thousands stays linear).
    func testFirstOccurrenceWinsInLongFields() {
        let filler = (0..<40).map { "x\($0)" }.joined(separator: ", ")
        XCTAssertEqual(self.parse("max-age=5, \(filler), max-age=9").maxAge, 5)
        XCTAssertEqual(self.parse("\(filler), max-age=5, x3, max-age=9").maxAge, 5)
        XCTAssertEqual(self.parse("\(filler)", "s-maxage=7", "s-maxage=8").sMaxAge, 7)
        let hostile = (0..<5_000).map { "d\($0)" }.joined(separator: ",") + ",max-age=3"
        XCTAssertEqual(self.parse(hostile).maxAge, 3)
    }

    func testSection5_2_1RequestDirectives() {
        XCTAssertEqual(self.parse("max-stale").maxStale, .any)
        XCTAssertEqual(self.parse("max-stale=30").maxStale, .seconds(30))
        XCTAssertNil(self.parse("max-stale=x").maxStale, "invalid max-stale is ignored")
        XCTAssertEqual(self.parse("min-fresh=10").minFresh, 10)
        XCTAssertNil(self.parse("min-fresh=ten").minFresh)
        XCTAssertTrue(self.parse("only-if-cached").onlyIfCached)
        XCTAssertEqual(self.parse("max-age=0").maxAge, 0)
    }

    // MARK: RFC 9111 §5.2.2.4 / §5.2.2.7 qualified forms

    func testSection5_2_2QualifiedNoCacheAndPrivate() {
        let q = self.parse(#"no-cache="Set-Cookie, X-Foo", private="X-Bar""#)
        XCTAssertFalse(q.noCache)
        XCTAssertEqual(q.noCacheFields, ["set-cookie", "x-foo"])
        XCTAssertFalse(q.isPrivate)
        XCTAssertEqual(q.privateFields, ["x-bar"])

        let token = self.parse("no-cache=set-cookie")
        XCTAssertEqual(token.noCacheFields, ["set-cookie"])

        let both = self.parse(#"no-cache="a", no-cache"#)
        XCTAssertTrue(both.noCache, "an unqualified occurrence wins (most restrictive)")
        XCTAssertEqual(both.noCacheFields, ["a"])

        XCTAssertTrue(self.parse(#"private="""#).isPrivate, "an empty list is the unqualified form")
    }

    // MARK: RFC 5861

    func testRFC5861Directives() {
        let cc = self.parse("max-age=60, stale-while-revalidate=30, stale-if-error=600")
        XCTAssertEqual(cc.staleWhileRevalidate, 30)
        XCTAssertEqual(cc.staleIfError, 600)
        XCTAssertNil(self.parse("stale-while-revalidate=soon").staleWhileRevalidate)
    }

    // MARK: RFC 9213 targeted fields

    func testRFC9213StructuredDictionary() {
        struct Case {
            var name: String
            var value: String
            var check: (CacheControl) -> Bool
        }
        let cases: [Case] = [
            Case(name: "max-age", value: "max-age=3600") { $0.maxAge == 3600 },
            Case(name: "case-insensitive keys", value: "MaX-aGe=3600") { $0.maxAge == 3600 },
            Case(name: "extension", value: "foobar, max-age=3600") { $0.maxAge == 3600 && $0.extensions.count == 1 },
            Case(name: "large integer clamps", value: "max-age=99999999999") { $0.maxAge == 2_147_483_648 },
            Case(name: "boolean true", value: "no-store=?1") { $0.noStore },
            Case(name: "boolean false", value: "no-store=?0, max-age=5") { !$0.noStore && $0.maxAge == 5 },
            Case(name: "parameters ignored", value: "max-age=5;foo=bar") { $0.maxAge == 5 },
            Case(name: "string is the wrong type", value: #"max-age="10000""#) { $0.isEmpty },
            Case(name: "decimal is the wrong type", value: "max-age=1.5") { $0.isEmpty },
            Case(name: "negative integer", value: "max-age=-1") { $0.isEmpty },
            Case(name: "garbage member", value: "max-age=10000, &&&&&") { $0.isEmpty },
            Case(name: "space before =", value: "max-age =100") { $0.isEmpty },
            Case(name: "space after =", value: "max-age= 100") { $0.isEmpty },
            Case(name: "trailing comma", value: "max-age=1,") { $0.isEmpty },
            Case(name: "private list as string", value: #"private="set-cookie""#) { $0.privateFields == ["set-cookie"] },
            Case(name: "duplicate: last wins", value: "max-age=1, max-age=2") { $0.maxAge == 2 },
        ]
        for c in cases {
            XCTAssertTrue(c.check(CacheControl(fieldValue: c.value, structured: true)), c.name)
            XCTAssertTrue(c.check(self.parse(c.value, field: "CDN-Cache-Control")), c.name + " (headers)")
        }
    }
}
