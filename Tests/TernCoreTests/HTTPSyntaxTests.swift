import TernCore
import XCTest

final class HTTPSyntaxTests: XCTestCase {
    func testTokens() {
        for token in ["GET", "|GET", "x-device", "a!#$%&'*+-.^_`|~9"] {
            XCTAssertTrue(HTTPSyntax.isToken(token), token)
        }
        for text in ["", "a b", "Header:", "a,b", "\"q\"", "caf\u{E9}", "a\tb", "(x)", "a/b", "{x}"] {
            XCTAssertFalse(HTTPSyntax.isToken(text), text.debugDescription)
        }
    }

    func testOWS() {
        let cases: [(String, String)] = [(" \t a b \t", "a b"), ("x", "x"), ("  ", ""), ("", ""), ("\u{A0}x", "\u{A0}x")]
        for (text, expected) in cases {
            XCTAssertEqual(String(HTTPSyntax.trimOWS(Substring(text))), expected, text.debugDescription)
            XCTAssertEqual(String(Substring(text).trimmingSpaces()), expected)
        }
    }
}
