/// Parses durations as written in configuration: `250ms`, `30s`, `5m`, `1h`, `1d`, `1.5s`, `1h30m`.
public enum DurationParsing {
    /// Nanoseconds per unit suffix.
    private static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
        ("d", 86_400_000_000_000),
    ]

    /// Parses a non-negative duration.
    ///
    /// Accepted: a bare integer (seconds), or one or more `<number><unit>` parts where the unit is
    /// `ms`, `s`, `m`, `h` or `d` and the number may have up to nine fraction digits (`1.5s`, `1h30m`).
    /// Surrounding spaces are ignored. Returns `nil` for negative values, unknown units, junk and overflow.
    public static func parse(_ text: String) -> Duration? {
        let scalars = Array(text.unicodeScalars.drop(while: { $0 == " " || $0 == "\t" }))
        var end = scalars.count
        while end > 0, scalars[end - 1] == " " || scalars[end - 1] == "\t" { end -= 1 }
        let input = scalars[0..<end]
        guard !input.isEmpty else { return nil }

        // A bare integer means seconds.
        if input.allSatisfy({ asciiDigit($0) != nil }) {
            guard let seconds = Int64(String(String.UnicodeScalarView(input))) else { return nil }
            let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            return overflow ? nil : .nanoseconds(nanos)
        }

        var total: Int64 = 0
        var index = input.startIndex
        while index < input.endIndex {
            // Integer part.
            var whole: Int64 = 0
            var wholeDigits = 0
            while index < input.endIndex, let digit = asciiDigit(input[index]) {
                let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
                if o1 || o2 { return nil }
                whole = sum
                wholeDigits += 1
                index += 1
            }
            // Fraction part.
            var fraction: Int64 = 0
            var fractionDigits = 0
            if index < input.endIndex, input[index] == "." {
                index += 1
                while index < input.endIndex, let digit = asciiDigit(input[index]) {
                    guard fractionDigits < 9 else { return nil }
                    fraction = fraction * 10 + Int64(digit)
                    fractionDigits += 1
                    index += 1
                }
                guard fractionDigits > 0 else { return nil }
            }
            guard wholeDigits > 0 else { return nil }
            // Unit.
            var unitText = ""
            while index < input.endIndex, asciiDigit(input[index]) == nil, input[index] != "." {
                unitText.unicodeScalars.append(input[index])
                index += 1
            }
            guard let unit = units.first(where: { $0.suffix == unitText }) else { return nil }
            let (wholeNanos, o1) = whole.multipliedReportingOverflow(by: unit.nanoseconds)
            if o1 { return nil }
            var fractionNanos: Int64 = 0
            if fractionDigits > 0 {
                var scale: Int64 = 1
                for _ in 0..<fractionDigits { scale *= 10 }
                let product = unit.nanoseconds.multipliedFullWidth(by: fraction)
                fractionNanos = scale.dividingFullWidth(product).quotient
            }
            let (partial, o2) = wholeNanos.addingReportingOverflow(fractionNanos)
            let (sum, o3) = total.addingReportingOverflow(partial)
            if o2 || o3 { return nil }
            total = sum
        }
        return .nanoseconds(total)
    }
}

/// Formats a duration in the largest unit that represents it exactly, in the syntax
/// ``DurationParsing/parse(_:)`` accepts: `30s`, `250ms`, `5m`, `1d`, `0s`; otherwise fractional seconds (`0.0000015s`).
public func formatDuration(_ d: Duration) -> String {
    let (seconds, attoseconds) = d.components
    let negative = seconds < 0 || (seconds == 0 && attoseconds < 0)
    let sign = negative ? "-" : ""
    let absSeconds = seconds.magnitude
    let absAtto = attoseconds.magnitude
    if absAtto == 0 {
        if absSeconds == 0 { return "0s" }
        for (name, size) in [("d", UInt64(86_400)), ("h", 3_600), ("m", 60)] where absSeconds % size == 0 {
            return "\(sign)\(absSeconds / size)\(name)"
        }
        return "\(sign)\(absSeconds)s"
    }
    let attoPerMilli: UInt64 = 1_000_000_000_000_000
    if absAtto % attoPerMilli == 0 {
        let (millis, overflow) = absSeconds.multipliedReportingOverflow(by: 1_000)
        if !overflow {
            return "\(sign)\(millis + absAtto / attoPerMilli)ms"
        }
    }
    // Fractional seconds with up to 18 digits, trailing zeros trimmed.
    var fraction = String(absAtto)
    fraction = String(repeating: "0", count: 18 - fraction.count) + fraction
    while fraction.hasSuffix("0") { fraction.removeLast() }
    return "\(sign)\(absSeconds).\(fraction)s"
}
