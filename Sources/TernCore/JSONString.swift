/// JSON string literals for the log writers (access log, WAF audit log): `"` and `\` escaped,
/// `\n` `\r` `\t` by name, other control characters and DEL as `\u00XX`, so a hostile value can't
/// break a line or forge a field.
public enum JSONString {
    /// `value` as a quoted JSON string.
    public static func quoted(_ value: String) -> String {
        var out = ""
        Self.append(value, to: &out)
        return out
    }

    /// Appends `value` as a quoted JSON string.
    public static func append(_ value: String, to out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u00" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
