import TernCore
import XCTest

final class JSONStringTests: XCTestCase {
    func testQuoting() {
        let cases: [(String, String)] = [
            ("plain", "\"plain\""),
            ("a\"b\\c", "\"a\\\"b\\\\c\""),
            ("l1\nl2\r\t", "\"l1\\nl2\\r\\t\""),
            ("\u{1}\u{1F}\u{7F}", "\"\\u0001\\u001f\\u007f\""),
            ("café ☕", "\"café ☕\""),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(JSONString.quoted(value), expected, value.debugDescription)
            var out = "x="
            JSONString.append(value, to: &out)
            XCTAssertEqual(out, "x=" + expected)
        }
    }
}
