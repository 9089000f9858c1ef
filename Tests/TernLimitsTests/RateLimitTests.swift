import TernLimits
import XCTest

final class RateLimitTests: XCTestCase {
    func testParseAccepts() {
        // (text, rate per second, burst, window seconds, quota)
        let cases: [(String, Double, Int, Int, Int, UInt)] = [
            ("100r/s:200", 100, 200, 1, 100, #line),
            ("5r/s", 5, 5, 1, 5, #line),
            ("10r/m", 10.0 / 60, 1, 60, 10, #line),
            ("90r/m", 1.5, 2, 60, 90, #line),
            ("60r/m", 1, 1, 60, 60, #line),
            ("61r/m", 61.0 / 60, 2, 60, 61, #line),
            ("3600r/h:10", 1, 10, 3600, 3600, #line),
            ("1r/h", 1.0 / 3600, 1, 3600, 1, #line),
            ("1r/s:1", 1, 1, 1, 1, #line),
            (" 10r/s:15 ", 10, 15, 1, 10, #line),
            ("1000000000r/s", 1e9, 1_000_000_000, 1, 1_000_000_000, #line),
        ]
        for (text, rate, burst, window, quota, line) in cases {
            do {
                let limit = try RateLimit.parse(text)
                XCTAssertEqual(limit.rate, rate, accuracy: 1e-12, text, line: line)
                XCTAssertEqual(limit.burst, burst, text, line: line)
                XCTAssertEqual(limit.windowSeconds, window, text, line: line)
                XCTAssertEqual(limit.quota, quota, text, line: line)
            } catch {
                XCTFail("\(text): \(error)", line: line)
            }
        }
    }

    func testParseRejects() {
        let cases: [(String, RateLimit.ParseError, UInt)] = [
            ("", .empty, #line),
            ("   ", .empty, #line),
            ("100", .missingRate("100"), #line),
            ("100/s", .missingRate("100/s"), #line),
            ("r/s", .invalidCount("r/s"), #line),
            ("0r/s", .invalidCount("0r/s"), #line),
            ("-5r/s", .invalidCount("-5r/s"), #line),
            ("+5r/s", .invalidCount("+5r/s"), #line),
            ("05r/s", .invalidCount("05r/s"), #line),
            ("1.5r/s", .invalidCount("1.5r/s"), #line),
            ("1000000001r/s", .invalidCount("1000000001r/s"), #line),
            ("5 r/s", .invalidCount("5 r/s"), #line),
            ("5r/d", .invalidUnit("5r/d"), #line),
            ("5r/", .invalidUnit("5r/"), #line),
            ("5r/sec", .invalidUnit("5r/sec"), #line),
            ("5r/S", .invalidUnit("5r/S"), #line),
            ("5r/s:", .invalidBurst("5r/s:"), #line),
            ("5r/s:0", .invalidBurst("5r/s:0"), #line),
            ("5r/s:x", .invalidBurst("5r/s:x"), #line),
            ("5r/s:10:20", .invalidBurst("5r/s:10:20"), #line),
        ]
        for (text, expected, line) in cases {
            XCTAssertThrowsError(try RateLimit.parse(text), text, line: line) { error in
                XCTAssertEqual(error as? RateLimit.ParseError, expected, text, line: line)
            }
        }
    }

    func testErrorMessagesNameTheInputAndTheFix() {
        XCTAssertEqual(
            RateLimit.ParseError.invalidUnit("5r/d").description,
            "rate limit \"5r/d\": the unit must be s, m or h (requests per second, minute or hour)"
        )
        XCTAssertTrue(RateLimit.ParseError.empty.description.contains("100r/s:200"))
    }

    func testEmissionIntervalAndDescription() throws {
        XCTAssertEqual(try RateLimit.parse("10r/s").emissionInterval, 100_000_000)
        XCTAssertEqual(try RateLimit.parse("10r/m").emissionInterval, 6_000_000_000)
        XCTAssertEqual(try RateLimit.parse("3r/s").emissionInterval, 333_333_333)
        XCTAssertEqual(try RateLimit.parse("1r/h").emissionInterval, 3_600_000_000_000)
        XCTAssertEqual(try RateLimit.parse("100r/s").description, "100r/s:100")
        XCTAssertEqual(try RateLimit.parse("10r/m").description, "10r/m:1")
        XCTAssertEqual(RateLimit(rate: 2, burst: 0).burst, 1)
    }
}
