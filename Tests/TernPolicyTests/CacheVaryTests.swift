import NIOHTTP1
import TernPolicy
import XCTest

final class CacheVaryTests: XCTestCase {
    // MARK: RFC 9111 §4.1 Vary field names

    func testSection4_1Fields() {
        let cases: [([(String, String)], [String]?)] = [
            ([], []),
            ([("Vary", "Accept-Encoding")], ["accept-encoding"]),
            ([("Vary", "Accept-Language, accept-encoding"), ("Vary", "ACCEPT-ENCODING")], ["accept-encoding", "accept-language"]),
            ([("Vary", "*")], nil),
            ([("Vary", "Accept, *")], nil),
            ([("Vary", "Accept"), ("Vary", "*")], nil),
            ([("Vary", " , ")], []),
        ]
        for (headers, expected) in cases {
            XCTAssertEqual(CacheVary.fields(HTTPHeaders(headers)), expected, "\(headers)")
        }
    }

    // MARK: RFC 9111 §4.1 matching secondary keys

    func testSection4_1VariantKeysThatMatch() {
        let pairs: [(String, [String], [(String, String)], [(String, String)])] = [
            ("whitespace around commas", ["accept-language"], [("Accept-Language", "en,fr")], [("Accept-Language", " en , fr ")]),
            ("lines combined", ["accept-language"], [("Accept-Language", "en, fr")], [("Accept-Language", "en"), ("Accept-Language", "fr")]),
            ("accept-encoding order and case", ["accept-encoding"], [("Accept-Encoding", "gzip, br")], [("Accept-Encoding", "BR,gzip")]),
            ("accept-encoding params", ["accept-encoding"], [("Accept-Encoding", "gzip;q=0.5")], [("Accept-Encoding", "gzip ; q=0.5")]),
            ("unrelated headers ignored", ["accept"], [("Accept", "text/html"), ("X-A", "1")], [("Accept", "text/html")]),
        ]
        for (name, fields, a, b) in pairs {
            XCTAssertEqual(
                CacheVary.variantKey(fields: fields, request: HTTPHeaders(a)),
                CacheVary.variantKey(fields: fields, request: HTTPHeaders(b)), name
            )
        }
    }

    func testSection4_1VariantKeysThatDiffer() {
        let pairs: [(String, [String], [(String, String)], [(String, String)])] = [
            ("absent vs empty", ["accept"], [], [("Accept", "")]),
            ("different value", ["accept-language"], [("Accept-Language", "en")], [("Accept-Language", "fr")]),
            ("language order matters", ["accept-language"], [("Accept-Language", "en, fr")], [("Accept-Language", "fr, en")]),
            ("case matters outside accept-encoding", ["x-token"], [("X-Token", "a")], [("X-Token", "A")]),
            ("separator forgery", ["a", "b"], [("A", "1\u{1F}b=2")], [("A", "1"), ("B", "2")]),
        ]
        for (name, fields, a, b) in pairs {
            XCTAssertNotEqual(
                CacheVary.variantKey(fields: fields, request: HTTPHeaders(a)),
                CacheVary.variantKey(fields: fields, request: HTTPHeaders(b)), name
            )
        }
    }

    func testVariantKeyEncoding() {
        let key = CacheVary.variantKey(
            fields: ["accept-encoding", "accept-language", "x-absent"],
            request: HTTPHeaders([("Accept-Encoding", "gzip, br"), ("Accept-Language", "en")])
        )
        XCTAssertEqual(key, "accept-encoding=br, gzip\u{1F}accept-language=en\u{1F}x-absent")
        XCTAssertEqual(CacheVary.variantKey(fields: [], request: HTTPHeaders()), "")
    }
}
