import TernCore
import XCTest

final class DurationParsingTests: XCTestCase {
    func testParseAccepts() {
        let cases: [(String, Duration, UInt)] = [
            ("250ms", .milliseconds(250), #line),
            ("30s", .seconds(30), #line),
            ("5m", .seconds(300), #line),
            ("1h", .seconds(3600), #line),
            ("1d", .seconds(86400), #line),
            ("1.5s", .milliseconds(1500), #line),
            ("0.25h", .seconds(900), #line),
            ("0s", .zero, #line),
            ("0", .zero, #line),
            ("45", .seconds(45), #line),
            ("1h30m", .seconds(5400), #line),
            ("1m0.5s", .milliseconds(60_500), #line),
            ("  10s ", .seconds(10), #line),
            ("0.000000001s", .nanoseconds(1), #line),
        ]
        for (text, expected, line) in cases {
            XCTAssertEqual(DurationParsing.parse(text), expected, "parse(\(text))", line: line)
        }
    }

    func testParseRejects() {
        let cases: [(String, UInt)] = [
            ("", #line), ("s", #line), ("-5s", #line), ("-1", #line), ("30x", #line), ("5 s", #line),
            ("1.s", #line), (".5s", #line), ("1.5", #line), ("5S", #line), ("1w", #line), ("10us", #line),
            ("1.0000000001s", #line), ("99999999999999d", #line), ("9223372036854775807", #line), ("1s2", #line),
        ]
        for (text, line) in cases {
            XCTAssertNil(DurationParsing.parse(text), "parse(\(text))", line: line)
        }
    }

    func testFormat() {
        let cases: [(Duration, String, UInt)] = [
            (.zero, "0s", #line), (.seconds(30), "30s", #line), (.milliseconds(250), "250ms", #line),
            (.seconds(300), "5m", #line), (.seconds(90), "90s", #line), (.seconds(3600), "1h", #line),
            (.seconds(86400), "1d", #line), (.seconds(172_800), "2d", #line), (.milliseconds(1500), "1500ms", #line),
            (.nanoseconds(1500), "0.0000015s", #line), (.seconds(-30), "-30s", #line),
        ]
        for (duration, text, line) in cases {
            XCTAssertEqual(formatDuration(duration), text, line: line)
            if !text.hasPrefix("-") {
                XCTAssertEqual(DurationParsing.parse(text), duration, "round trip \(text)", line: line)
            }
        }
    }
}
