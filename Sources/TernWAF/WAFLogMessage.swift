/// Parses one libmodsecurity3 text log entry into a ``WAFRuleMatch``.
///
/// Entry shape: `[client A] ModSecurity: Warning. <match> [file "F"] [line "L"] [id "I"] [rev ""] [msg "M"]
/// [data "D"] [severity "S"] … [tag "T"]… [hostname "H"] [uri "U"] [unique_id "X"] [ref "R"]`.
/// The engine hex-escapes `"` and non-printable bytes in the whole entry (`\x22`), so client input can
/// never close a value or forge a `[id "…"]` field; parsing starts at the first ` [file "`.
enum WAFLogMessage {
    static func parse(_ entry: String) -> WAFRuleMatch? {
        let bytes = Array(entry.utf8)
        let marker = Array(" [file \"".utf8)
        guard let start = Self.find(marker, in: bytes, from: 0) else { return nil }
        var id: Int?
        var message = ""
        var severity: Int?
        var data = ""
        var tags: [String] = []
        var i = start + 1
        while i < bytes.count, bytes[i] == UInt8(ascii: "[") {
            // key
            var k = i + 1
            while k < bytes.count, bytes[k] != UInt8(ascii: " ") { k += 1 }
            guard k + 1 < bytes.count, bytes[k + 1] == UInt8(ascii: "\"") else { break }
            let key = String(decoding: bytes[(i + 1)..<k], as: UTF8.self)
            var v = k + 2
            while v < bytes.count, bytes[v] != UInt8(ascii: "\"") { v += 1 }
            guard v < bytes.count else { break }
            let value = String(decoding: bytes[(k + 2)..<v], as: UTF8.self)
            switch key {
            case "id": id = Int(value)
            case "msg": message = value
            case "data": data = value
            case "severity": severity = Int(value)
            case "tag": tags.append(value)
            default: break
            }
            // skip `"]` and the separating space
            i = v + 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1 }
            if i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
        }
        guard let ruleID = id else { return nil }
        let disruptive = Self.find(Array("ModSecurity: Access denied".utf8), in: bytes, from: 0).map { $0 < start } ?? false
        return WAFRuleMatch(id: ruleID, message: message, severity: severity, tags: tags, data: data, disruptive: disruptive)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
