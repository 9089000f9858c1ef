import TernCore

/// Decides which IP address a request is attributed to, for rate limits, access lists and logs.
///
/// The socket peer is the only address the client cannot choose. `X-Forwarded-For` (de facto;
/// the syntax of its elements follows RFC 7239 §6 `node`) is believed only as far as it was
/// written by proxies listed in `trusted`:
///
/// 1. If the peer is not trusted, the answer is the peer. A spoofed header from an untrusted peer
///    is ignored entirely.
/// 2. Otherwise the elements of all `X-Forwarded-For` field lines, in order, are walked from the
///    right. Each trusted address is skipped; the first untrusted one is the answer.
/// 3. If every element is trusted, the answer is the left-most element (or the peer when the
///    header is absent or has no non-empty elements).
/// 4. An element that is not an address (`unknown`, an obfuscated identifier such as `_hidden`,
///    garbage, a zone-scoped or out-of-range literal) stops the walk: the answer is the last
///    address accepted — the trusted element immediately to its right, or the peer when the
///    right-most element is the bad one. That attributes the request to the trusted hop that
///    relayed something unverifiable, which a client cannot use to pick another identity.
///
/// Accepted element forms: `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711`, and any of those in double quotes (RFC 7239 §4 quoting). Empty list
/// elements (`a,,b`, or an empty field line) are skipped, as RFC 9110 §5.6.1 requires. Ports must
/// be 1–5 decimal digits with a value ≤ 65535; an obfuscated port (`_p`) makes the element malformed.
///
/// Danger: listing a range in `trusted` lets every host in it choose any client address. Never
/// trust a range that contains clients, and make sure untrusted peers cannot reach the listener
/// through a trusted address (for example via a shared NAT).
public enum ClientIdentity {
    /// The client address for a request received from `peer` carrying `forwardedFor`
    /// (the `X-Forwarded-For` field line values in the order received).
    public static func resolve(peer: IPAddress, forwardedFor: [String], trusted: [IPAddressRange]) -> IPAddress {
        guard self.isTrusted(peer, trusted) else { return peer }
        var elements: [Substring] = []
        for line in forwardedFor {
            for element in line.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = self.trimmed(element)
                if !trimmed.isEmpty { elements.append(trimmed) }
            }
        }
        var lastAccepted = peer
        for element in elements.reversed() {
            guard let address = self.parseElement(element) else { return lastAccepted }
            lastAccepted = address
            if !self.isTrusted(address, trusted) { return address }
        }
        return lastAccepted
    }

    /// Parses one `X-Forwarded-For` element (already trimmed of optional whitespace);
    /// `nil` for `unknown`, obfuscated identifiers and anything else that is not an address.
    public static func parseElement(_ element: Substring) -> IPAddress? {
        var text = element
        if text.first == "\"" {
            guard text.count >= 2, text.last == "\"" else { return nil }
            text = text.dropFirst().dropLast()
        }
        guard let first = text.first else { return nil }
        if first == "[" {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let inside = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard inside.contains(":"), let address = IPAddress(String(inside)) else { return nil }
            if rest.isEmpty { return address }
            guard rest.first == ":", self.isPort(rest.dropFirst()) else { return nil }
            return address
        }
        let colons = text.reduce(0) { $0 + ($1 == ":" ? 1 : 0) }
        if colons == 1 {
            // `a.b.c.d:port`; a bare IPv6 address always has at least two colons.
            guard let colon = text.firstIndex(of: ":") else { return nil }
            let host = text[..<colon]
            guard self.isPort(text[text.index(after: colon)...]), let address = IPAddress(String(host)),
                address.isIPv4
            else { return nil }
            return address
        }
        return IPAddress(String(text))
    }

    static func isTrusted(_ address: IPAddress, _ trusted: [IPAddressRange]) -> Bool {
        trusted.contains { $0.contains(address) }
    }

    static func isPort(_ text: Substring) -> Bool {
        guard (1...5).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text)
        else { return false }
        return value <= 65535
    }

    static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
