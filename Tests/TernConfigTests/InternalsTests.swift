@testable import TernConfig
import XCTest

final class InternalsTests: XCTestCase {
    func testEditDistance() {
        let cases: [(String, String, Int, UInt)] = [
            ("", "", 0, #line), ("abc", "", 3, #line), ("kitten", "sitting", 3, #line),
            ("membres", "members", 2, #line), ("LIMITS", "limits", 0, #line),
        ]
        for (a, b, distance, line) in cases {
            XCTAssertEqual(Suggestions.editDistance(a, b), distance, line: line)
        }
        XCTAssertEqual(Suggestions.closest(to: "orgins", in: ConfigDecoder.topLevelKeys), "origins")
        XCTAssertNil(Suggestions.closest(to: "zzzzzz", in: ConfigDecoder.topLevelKeys))
    }

    func testPathResolution() {
        let cases: [(String, String, String, UInt)] = [
            ("site", "/etc/tern", "/etc/tern/site", #line),
            ("./site/", "/etc/tern", "/etc/tern/site", #line),
            ("../www", "/etc/tern", "/etc/www", #line),
            ("/abs//path/./x", "/etc/tern", "/abs/path/x", #line),
            ("../../../..", "/etc/tern", "/", #line),
            ("site", "conf", "conf/site", #line),
            ("../site", "", "../site", #line),
        ]
        for (path, base, expected, line) in cases {
            XCTAssertEqual(PathResolution.resolve(path, against: base), expected, line: line)
        }
    }
}
