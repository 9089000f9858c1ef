/// Parsing and formatting of HTTP dates (RFC 9110 §5.6.7).
///
/// Timestamps are whole seconds since the Unix epoch (1970-01-01T00:00:00Z) as `Int64`.
/// The civil-date arithmetic is hand-written (Howard Hinnant's `days_from_civil` /
/// `civil_from_days`), so parsing and formatting are allocation-light, locale-free and
/// deterministic; nothing here reads the clock.
///
/// Accepted forms, as a recipient MUST per §5.6.7:
/// - IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT` (the only form ever generated),
/// - obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`,
/// - ANSI C `asctime()`: `Sun Nov  6 08:49:37 1994`.
///
/// Day and month names and `GMT` are matched case-insensitively; the day name must be a valid
/// one but is not checked against the date. Leading and trailing whitespace is ignored.
public enum HTTPDate {
    /// Parses an HTTP-date in any of the three forms of RFC 9110 §5.6.7.
    ///
    /// A two-digit RFC 850 year is read with a fixed pivot: `00`–`69` → 20xx, `70`–`99` → 19xx.
    /// Use ``parse(_:now:)`` for the exact "not more than 50 years in the future" rule.
    ///
    /// - Returns: seconds since the epoch, or `nil` when the text is not a valid HTTP-date
    ///   (unknown form, bad name, out-of-range field such as `31 Feb` or `25:00:00`).
    public static func parse(_ s: String) -> Int64? {
        Self.parse(s, twoDigitYear: { yy in yy < 70 ? 2000 + yy : 1900 + yy })
    }

    /// Parses an HTTP-date, resolving a two-digit RFC 850 year against `now` (RFC 9110 §5.6.7):
    /// a year that appears to be more than 50 years in the future is taken as the most recent
    /// past year with the same last two digits.
    ///
    /// - Parameter now: the caller's current time, seconds since the epoch.
    public static func parse(_ s: String, now: Int64) -> Int64? {
        let currentYear = Self.civil(fromDays: Self.floorDiv(now, 86_400)).year
        return Self.parse(s, twoDigitYear: { yy in
            var year = currentYear - (currentYear % 100) + yy
            if year > currentYear + 50 { year -= 100 }
            return year
        })
    }

    /// Formats a timestamp as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
    ///
    /// Values outside the four-digit years (before 0000-01-01 or after 9999-12-31) are clamped.
    public static func format(_ secondsSinceEpoch: Int64) -> String {
        let t = min(max(secondsSinceEpoch, Self.minimumTimestamp), Self.maximumTimestamp)
        let days = Self.floorDiv(t, 86_400)
        let secondOfDay = Int(t - days * 86_400)
        let (year, month, day) = Self.civil(fromDays: days)
        let weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (index 4).

        var out = [UInt8]()
        out.reserveCapacity(29)
        out.append(contentsOf: Self.dayNames[weekday])
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: " "))
        Self.appendDigits(&out, day, count: 2)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: Self.monthNames[month - 1])
        out.append(UInt8(ascii: " "))
        Self.appendDigits(&out, Int(year), count: 4)
        out.append(UInt8(ascii: " "))
        Self.appendDigits(&out, secondOfDay / 3600, count: 2)
        out.append(UInt8(ascii: ":"))
        Self.appendDigits(&out, (secondOfDay / 60) % 60, count: 2)
        out.append(UInt8(ascii: ":"))
        Self.appendDigits(&out, secondOfDay % 60, count: 2)
        out.append(contentsOf: Array(" GMT".utf8))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Civil-date arithmetic

    /// Days since 1970-01-01 for a proleptic Gregorian date (Hinnant's `days_from_civil`).
    static func days(fromCivilYear year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
    public static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func isLeapYear(_ y: Int64) -> Bool {
        (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
    }

    static func daysInMonth(year: Int64, month: Int) -> Int {
        switch month {
        case 2: return Self.isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// 0000-01-01T00:00:00Z.
    private static let minimumTimestamp: Int64 = -62_167_219_200
    /// 9999-12-31T23:59:59Z.
    private static let maximumTimestamp: Int64 = 253_402_300_799

    private static let dayNames: [[UInt8]] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].map { Array($0.utf8) }
    private static let longDayNames: [[UInt8]] =
        ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"].map { Array($0.utf8) }
    private static let monthNames: [[UInt8]] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map { Array($0.utf8) }

    private static func appendDigits(_ out: inout [UInt8], _ value: Int, count: Int) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8((v / divisor) % 10))
            v %= divisor
            divisor /= 10
        }
    }

    // MARK: - Parsing

    private static func parse(_ s: String, twoDigitYear: (Int64) -> Int64) -> Int64? {
        var bytes = Array(s.utf8)
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        var start = 0
        while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        var scanner = Scanner(bytes: bytes[start...])

        // All three forms start with a day name; the character after it tells them apart.
        guard let name = scanner.letters() else { return nil }
        let fields: Fields?
        if scanner.consume(UInt8(ascii: ",")) {
            if name.count == 3, Self.dayNames.contains(where: { Self.equalsIgnoringCase($0, name) }) {
                fields = Self.parseIMFFixdate(&scanner)
            } else if Self.longDayNames.contains(where: { Self.equalsIgnoringCase($0, name) }) {
                fields = Self.parseRFC850(&scanner, twoDigitYear: twoDigitYear)
            } else {
                return nil
            }
        } else if name.count == 3, Self.dayNames.contains(where: { Self.equalsIgnoringCase($0, name) }) {
            fields = Self.parseAsctime(&scanner)
        } else {
            return nil
        }
        guard let f = fields, scanner.isAtEnd else { return nil }
        guard f.month >= 1, f.month <= 12, f.day >= 1, f.day <= Self.daysInMonth(year: f.year, month: f.month),
            f.hour <= 23, f.minute <= 59, f.second <= 60
        else { return nil }
        let days = Self.days(fromCivilYear: f.year, month: f.month, day: f.day)
        return days * 86_400 + Int64(f.hour * 3600 + f.minute * 60 + f.second)
    }

    private struct Fields {
        var year: Int64
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
    }

    /// `SP 2DIGIT SP month SP 4DIGIT SP hh:mm:ss SP "GMT"` (after `day-name ","`).
    private static func parseIMFFixdate(_ sc: inout Scanner) -> Fields? {
        guard sc.consume(0x20), let day = sc.digits(exactly: 2), sc.consume(0x20),
            let month = Self.month(sc.letters()), sc.consume(0x20),
            let year = sc.digits(exactly: 4), sc.consume(0x20),
            let (h, m, s) = Self.timeOfDay(&sc), sc.consume(0x20), Self.gmt(&sc)
        else { return nil }
        return Fields(year: Int64(year), month: month, day: day, hour: h, minute: m, second: s)
    }

    /// `SP 2DIGIT "-" month "-" 2DIGIT SP hh:mm:ss SP "GMT"` (after `day-name-l ","`).
    private static func parseRFC850(_ sc: inout Scanner, twoDigitYear: (Int64) -> Int64) -> Fields? {
        guard sc.consume(0x20), let day = sc.digits(exactly: 2), sc.consume(UInt8(ascii: "-")),
            let month = Self.month(sc.letters()), sc.consume(UInt8(ascii: "-")),
            let yy = sc.digits(exactly: 2), sc.consume(0x20),
            let (h, m, s) = Self.timeOfDay(&sc), sc.consume(0x20), Self.gmt(&sc)
        else { return nil }
        return Fields(year: twoDigitYear(Int64(yy)), month: month, day: day, hour: h, minute: m, second: s)
    }

    /// `SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP hh:mm:ss SP 4DIGIT` (after `day-name`).
    private static func parseAsctime(_ sc: inout Scanner) -> Fields? {
        guard sc.consume(0x20), let month = Self.month(sc.letters()), sc.consume(0x20) else { return nil }
        let day: Int
        if sc.consume(0x20) {
            guard let d = sc.digits(exactly: 1) else { return nil }
            day = d
        } else {
            guard let d = sc.digits(exactly: 2) else { return nil }
            day = d
        }
        guard sc.consume(0x20), let (h, m, s) = Self.timeOfDay(&sc), sc.consume(0x20),
            let year = sc.digits(exactly: 4)
        else { return nil }
        return Fields(year: Int64(year), month: month, day: day, hour: h, minute: m, second: s)
    }

    private static func timeOfDay(_ sc: inout Scanner) -> (Int, Int, Int)? {
        guard let h = sc.digits(exactly: 2), sc.consume(UInt8(ascii: ":")),
            let m = sc.digits(exactly: 2), sc.consume(UInt8(ascii: ":")),
            let s = sc.digits(exactly: 2)
        else { return nil }
        return (h, m, s)
    }

    private static func gmt(_ sc: inout Scanner) -> Bool {
        guard let word = sc.letters() else { return false }
        return Self.equalsIgnoringCase(Array("GMT".utf8), word)
    }

    private static func month(_ name: ArraySlice<UInt8>?) -> Int? {
        guard let name, name.count == 3 else { return nil }
        guard let index = Self.monthNames.firstIndex(where: { Self.equalsIgnoringCase($0, name) }) else { return nil }
        return index + 1
    }

    private static func equalsIgnoringCase(_ expected: [UInt8], _ actual: ArraySlice<UInt8>) -> Bool {
        guard expected.count == actual.count else { return false }
        return zip(expected, actual).allSatisfy { ($0 | 0x20) == ($1 | 0x20) }
    }

    private struct Scanner {
        var bytes: ArraySlice<UInt8>

        var isAtEnd: Bool { self.bytes.isEmpty }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard self.bytes.first == byte else { return false }
            self.bytes.removeFirst()
            return true
        }

        /// One or more ASCII letters.
        mutating func letters() -> ArraySlice<UInt8>? {
            let end = self.bytes.firstIndex(where: { !(($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) }) ?? self.bytes.endIndex
            guard end > self.bytes.startIndex else { return nil }
            let word = self.bytes[self.bytes.startIndex..<end]
            self.bytes = self.bytes[end...]
            return word
        }

        /// Exactly `count` ASCII digits.
        mutating func digits(exactly count: Int) -> Int? {
            guard self.bytes.count >= count else { return nil }
            var value = 0
            for byte in self.bytes.prefix(count) {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            self.bytes = self.bytes.dropFirst(count)
            return value
        }
    }
}
