/// Small pieces of HTTP grammar (RFC 9110 §5.6) shared by the config decoder, the cache policy and
/// the WAF's reading of refused requests.
public enum HTTPSyntax {
    /// `tchar`: the characters of a token (RFC 9110 §5.6.2).
    @inlinable
    public static func isTchar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Whether `text` is a non-empty `token`. Inlinable so it is specialised for the caller's
    /// string type (unspecialised, each byte went through protocol witnesses: ~3.5k instructions
    /// for a short directive name).
    @inlinable
    public static func isToken<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(Self.isTchar)
    }

    /// `text` without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
    public static func trimOWS(_ text: Substring) -> Substring {
        // On bytes: `Character` steps would cost grapheme breaking per byte.
        let utf8 = text.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, utf8[start] == UInt8(ascii: " ") || utf8[start] == UInt8(ascii: "\t") { utf8.formIndex(after: &start) }
        while start < end {
            let before = utf8.index(before: end)
            guard utf8[before] == UInt8(ascii: " ") || utf8[before] == UInt8(ascii: "\t") else { break }
            end = before
        }
        return text[start..<end]
    }
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs (HTTP OWS).
    public func trimmingSpaces() -> Substring {
        HTTPSyntax.trimOWS(self)
    }
}
