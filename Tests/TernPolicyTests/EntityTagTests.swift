import TernPolicy
import XCTest

final class EntityTagTests: XCTestCase {
    func testComparisonTableOfRFC9110Section8_8_3_2() {
        // (tag 1, tag 2, strong comparison, weak comparison)
        let table: [(String, String, Bool, Bool)] = [
            (#"W/"1""#, #"W/"1""#, false, true),
            (#"W/"1""#, #"W/"2""#, false, false),
            (#"W/"1""#, #""1""#, false, true),
            (#""1""#, #""1""#, true, true),
        ]
        for (a, b, strong, weak) in table {
            guard let lhs = EntityTag(parsing: a), let rhs = EntityTag(parsing: b) else {
                XCTFail("unparsable \(a) or \(b)")
                continue
            }
            XCTAssertEqual(lhs.strongMatch(rhs), strong, "\(a) strong \(b)")
            XCTAssertEqual(rhs.strongMatch(lhs), strong, "\(b) strong \(a)")
            XCTAssertEqual(lhs.weakMatch(rhs), weak, "\(a) weak \(b)")
            XCTAssertEqual(rhs.weakMatch(lhs), weak, "\(b) weak \(a)")
        }
    }

    func testParsing() {
        let valid: [(String, String, Bool)] = [
            (#""xyzzy""#, "xyzzy", false),
            (#"W/"xyzzy""#, "xyzzy", true),
            (#""""#, "", false),
            (#"  "a-b_c"  "#, "a-b_c", false),
            (#""!#$%&'()*+,-./:;<=>?@[\]^_`{|}~""#, #"!#$%&'()*+,-./:;<=>?@[\]^_`{|}~"#, false),
            ("\"caf\u{E9}\"", "caf\u{E9}", false),  // obs-text
        ]
        for (text, opaque, weak) in valid {
            let tag = EntityTag(parsing: text)
            XCTAssertEqual(tag?.opaque, opaque, text)
            XCTAssertEqual(tag?.isWeak, weak, text)
        }
        let invalid = [
            "", "xyzzy", #""xyzzy"#, #"xyzzy""#, #"w/"xyzzy""#, #"W/xyzzy"#, #"W/ "x""#,
            #""a b""#, #""a"b""#, #""a" x"#, "\"a\u{7F}\"", "\"a\tb\"", "*",
        ]
        for text in invalid {
            XCTAssertNil(EntityTag(parsing: text), text)
        }
    }

    func testHeaderValueRoundTrips() {
        XCTAssertEqual(EntityTag(opaque: "abc").headerValue, #""abc""#)
        XCTAssertEqual(EntityTag(opaque: "abc", isWeak: true).headerValue, #"W/"abc""#)
        for text in [#""abc""#, #"W/"abc""#, #""""#] {
            XCTAssertEqual(EntityTag(parsing: text)?.headerValue, text)
        }
    }

    func testParseList() {
        let a = EntityTag(opaque: "a")
        let wb = EntityTag(opaque: "b", isWeak: true)
        let cases: [(String, EntityTagList)] = [
            ("*", .any),
            (" * ", .any),
            (#""a""#, .tags([a])),
            (#""a", W/"b""#, .tags([a, wb])),
            (#""a",W/"b""#, .tags([a, wb])),
            (#", , "a" ,, W/"b" ,"#, .tags([a, wb])),
            (#""a,b", "c""#, .tags([EntityTag(opaque: "a,b"), EntityTag(opaque: "c")])),
            (#"bogus, "a""#, .tags([a])),
            (#""a" junk, W/"b""#, .tags([wb])),
            (#"*, "a""#, .tags([a])),
            ("", .tags([])),
            ("garbage", .tags([])),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(EntityTag.parseList(text), expected, text)
        }
    }

    func testListMatching() {
        let strong = EntityTag(opaque: "v1")
        let weak = EntityTag(opaque: "v1", isWeak: true)
        let list = EntityTag.parseList(#"W/"v0", "v1""#)
        XCTAssertTrue(list.containsStrongMatch(strong))
        XCTAssertFalse(list.containsStrongMatch(weak))
        XCTAssertTrue(list.containsWeakMatch(weak))
        XCTAssertFalse(EntityTag.parseList(#"W/"v1""#).containsStrongMatch(strong))
        XCTAssertTrue(EntityTag.parseList(#"W/"v1""#).containsWeakMatch(strong))
        XCTAssertFalse(list.containsWeakMatch(nil))
        XCTAssertTrue(EntityTagList.any.containsStrongMatch(nil))
        XCTAssertTrue(EntityTagList.any.containsWeakMatch(strong))
    }
}
