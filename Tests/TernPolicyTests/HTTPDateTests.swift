import XCTest

@testable import TernPolicy

final class HTTPDateTests: XCTestCase {
    /// 1994-11-06T08:49:37Z, the RFC 9110 §5.6.7 example.
    private let example: Int64 = 784_111_777

    func testParsesTheThreeFormsOfRFC9110() {
        let cases: [(String, Int64?)] = [
            ("Sun, 06 Nov 1994 08:49:37 GMT", self.example),
            ("Sunday, 06-Nov-94 08:49:37 GMT", self.example),
            ("Sun Nov  6 08:49:37 1994", self.example),
            ("Sun Nov 06 08:49:37 1994", self.example),
            ("  Sun, 06 Nov 1994 08:49:37 GMT \t", self.example),
            ("sun, 06 nov 1994 08:49:37 gmt", self.example),
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            ("Wed, 31 Dec 1969 23:59:59 GMT", -1),
            ("Tue, 29 Feb 2000 12:00:00 GMT", 951_825_600),
            ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
            ("Tue, 19 Jan 2038 03:14:08 GMT", 2_147_483_648),
            ("Thursday, 01-Jan-70 00:00:00 GMT", 0),
            ("Saturday, 01-Jan-00 00:00:00 GMT", 946_684_800),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(HTTPDate.parse(text), expected, text)
        }
    }

    func testRejectsInvalidDates() {
        let invalid = [
            "",
            "garbage",
            "Sun, 06 Nov 1994 08:49:37",  // no GMT
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 GMT+1",
            "Sun, 6 Nov 1994 08:49:37 GMT",  // one-digit day in IMF-fixdate
            "Sun, 06 Nov 94 08:49:37 GMT",  // two-digit year in IMF-fixdate
            "Sun, 06 Nox 1994 08:49:37 GMT",
            "Sux, 06 Nov 1994 08:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun,06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 19945 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",  // asctime needs two columns for the day
            "Sun Nov  6 08:49:37 94",
            "Sun Nov  6 08:49:37 1994 GMT",
            "1994-11-06T08:49:37Z",
            "784111777",
        ]
        for text in invalid {
            XCTAssertNil(HTTPDate.parse(text), text)
        }
    }

    func testFormatsIMFFixdate() {
        let cases: [(Int64, String)] = [
            (self.example, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (951_825_600, "Tue, 29 Feb 2000 12:00:00 GMT"),
            (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (Int64.max, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ]
        for (seconds, expected) in cases {
            XCTAssertEqual(HTTPDate.format(seconds), expected, "\(seconds)")
        }
    }

    func testRoundTripsAcrossCenturiesAndLeapYears() {
        var t: Int64 = -2_208_988_800  // 1900-01-01
        while t < 4_102_444_800 {  // 2100-01-01
            XCTAssertEqual(HTTPDate.parse(HTTPDate.format(t)), t)
            t += 86_400 * 37 + 3_671
        }
    }

    func testCivilArithmeticAgreesDayByDay() {
        var expected: Int64 = HTTPDate.days(fromCivilYear: 1600, month: 1, day: 1)
        for year in Int64(1600)...2400 {
            for month in 1...12 {
                for day in 1...HTTPDate.daysInMonth(year: year, month: month) {
                    XCTAssertEqual(HTTPDate.days(fromCivilYear: year, month: month, day: day), expected)
                    let civil = HTTPDate.civil(fromDays: expected)
                    XCTAssertTrue(civil == (year, month, day))
                    expected += 1
                }
            }
        }
    }

    func testRFC850YearsRelativeToNow() {
        let now2025: Int64 = 1_735_689_600  // 2025-01-01
        // 76 would be 2076, more than 50 years ahead: 1976.
        XCTAssertEqual(HTTPDate.parse("Thursday, 01-Jan-76 00:00:00 GMT", now: now2025), 189_302_400)
        // 75 → 2075 is exactly 50 years ahead, not more: kept.
        XCTAssertEqual(HTTPDate.parse("Tuesday, 01-Jan-75 00:00:00 GMT", now: now2025), 3_313_526_400)
        // 70 → 2070 is at most 50 years ahead: kept.
        XCTAssertEqual(HTTPDate.parse("Tuesday, 01-Jan-70 00:00:00 GMT", now: now2025), 3_155_760_000)
        XCTAssertEqual(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: now2025), self.example)
        XCTAssertNil(HTTPDate.parse("Sun, 31 Feb 1994 08:49:37 GMT", now: now2025))
    }
}
