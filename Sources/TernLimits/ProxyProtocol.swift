import NIOCore
import TernCore

/// A strict parser for the PROXY protocol header that a load balancer sends before the client's bytes
/// (HAProxy "The PROXY protocol", versions 1 and 2, https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt).
///
/// The parser is incremental in the simplest way: call it with everything received so far. It returns
/// ``ParseResult/needMoreData`` while the bytes are a valid prefix of a header, rejects as soon as they
/// cannot be (so a client that is not a PROXY sender is refused after its first bytes, not after a
/// timeout), and otherwise reports the header and how many bytes it occupied.
///
/// What is accepted:
/// - v1 (§2.1): `PROXY TCP4 <src> <dst> <sport> <dport>\r\n`, the same with `TCP6`, and
///   `PROXY UNKNOWN…\r\n` (anything up to CRLF is ignored). Exactly one space between fields, the
///   address family must match the protocol, ports are decimal 0–65535 without leading zeros, only
///   printable US-ASCII before CRLF, and at most 107 bytes including CRLF.
/// - v2 (§2.2): the 12-byte signature, version 2, command `LOCAL` (any family; addresses discarded) or
///   `PROXY` with `AF_UNSPEC` (addresses unknown), `AF_INET`+`STREAM` or `AF_INET6`+`STREAM`. The
///   length must cover the address block; what follows it must be a well-formed TLV sequence, which is
///   skipped (CRC32C and SSL TLVs are not checked).
/// - Rejected: `AF_UNIX`, `DGRAM` and unspecified transports under `PROXY`, other versions and commands.
///
/// Danger: only parse this header on listeners reachable exclusively by the proxies that send it. On a
/// listener open to clients, it lets any client claim any source address.
public enum ProxyProtocol {
    /// The outcome of parsing the bytes received so far.
    public enum ParseResult: Sendable, Hashable {
        /// The bytes are a valid prefix of a header; call again when more arrive.
        case needMoreData
        /// The bytes cannot start a valid header; close the connection.
        case invalid(InvalidReason)
        /// A complete header; its first `consumed` bytes belong to it.
        case header(ProxyHeader)
    }

    /// Why a header was rejected, with a stable name for logs and metrics.
    public enum InvalidReason: String, Sendable, Hashable, CustomStringConvertible {
        /// Neither the v1 `PROXY ` prefix nor the v2 signature.
        case noSignature = "no-signature"
        /// v1: no CRLF within 107 bytes.
        case v1TooLong = "v1-too-long"
        /// v1: a byte outside printable US-ASCII, or CR not followed by LF.
        case v1BadCharacter = "v1-bad-character"
        /// v1: the protocol is not `TCP4`, `TCP6` or `UNKNOWN`.
        case v1BadProtocol = "v1-bad-protocol"
        /// v1: not exactly four single-space-separated fields after the protocol.
        case v1BadFieldCount = "v1-bad-field-count"
        /// v1: an address that does not parse or does not match the protocol's family.
        case v1BadAddress = "v1-bad-address"
        /// v1: a port that is not 0–65535 in canonical decimal.
        case v1BadPort = "v1-bad-port"
        /// v2: the version nibble is not 2.
        case v2BadVersion = "v2-bad-version"
        /// v2: the command nibble is neither `LOCAL` nor `PROXY`.
        case v2BadCommand = "v2-bad-command"
        /// v2: a family/transport other than `AF_UNSPEC`, TCP over IPv4 or TCP over IPv6.
        case v2UnsupportedFamily = "v2-unsupported-family"
        /// v2: the length field is shorter than the address block of the family.
        case v2LengthTooShort = "v2-length-too-short"
        /// v2: the bytes after the addresses are not a sequence of complete TLVs.
        case v2BadTLV = "v2-bad-tlv"

        /// The stable name, e.g. `v1-bad-port`.
        public var description: String { self.rawValue }
    }

    /// The longest v1 header, CRLF included (§2.1).
    public static let v1MaximumLength = 107
    /// The fixed part of a v2 header: signature, version/command, family, length (§2.2).
    public static let v2FixedLength = 16

    static let v1Prefix: [UInt8] = Array("PROXY ".utf8)
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// Parses a header at the start of `bytes`.
    public static func parse(_ bytes: [UInt8]) -> ParseResult {
        bytes.withUnsafeBytes { self.parse(raw: $0) }
    }

    /// Parses a header at the start of `buffer`'s readable bytes without moving its reader index;
    /// on ``ParseResult/header(_:)`` move it past ``ProxyHeader/consumed`` bytes.
    public static func parse(_ buffer: ByteBuffer) -> ParseResult {
        buffer.withUnsafeReadableBytes { self.parse(raw: $0) }
    }

    static func parse(raw bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard let first = bytes.first else { return .needMoreData }
        if first == UInt8(ascii: "P") {
            return self.parseV1(bytes)
        }
        if first == self.v2Signature[0] {
            return self.parseV2(bytes)
        }
        return .invalid(.noSignature)
    }

    /// Whether the overlap of `bytes[offset...]` and `literal` agrees.
    static func agrees(_ bytes: UnsafeRawBufferPointer, at offset: Int, with literal: [UInt8]) -> Bool {
        var index = 0
        while index < literal.count, offset + index < bytes.count {
            if bytes[offset + index] != literal[index] { return false }
            index += 1
        }
        return true
    }

    // MARK: - Version 1

    static let tcp4: [UInt8] = Array("TCP4 ".utf8)
    static let tcp6: [UInt8] = Array("TCP6 ".utf8)
    static let unknown: [UInt8] = Array("UNKNOWN".utf8)

    static func parseV1(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard self.agrees(bytes, at: 0, with: self.v1Prefix) else { return .invalid(.noSignature) }
        let protocolStart = self.v1Prefix.count
        if bytes.count > protocolStart {
            let candidates = [self.tcp4, self.tcp6, self.unknown]
            guard candidates.contains(where: { self.agrees(bytes, at: protocolStart, with: $0) }) else {
                return .invalid(.v1BadProtocol)
            }
        }
        // Find CRLF, checking every byte before it.
        let limit = min(bytes.count, self.v1MaximumLength)
        var lineEnd: Int?
        var index = 0
        while index < limit {
            let byte = bytes[index]
            if byte == 0x0D {
                guard index + 1 < bytes.count else { break }
                guard bytes[index + 1] == 0x0A, index + 1 < self.v1MaximumLength else {
                    return .invalid(bytes[index + 1] == 0x0A ? .v1TooLong : .v1BadCharacter)
                }
                lineEnd = index
                break
            }
            guard byte >= 0x20, byte <= 0x7E else { return .invalid(.v1BadCharacter) }
            index += 1
        }
        guard let lineEnd else {
            return bytes.count >= self.v1MaximumLength ? .invalid(.v1TooLong) : .needMoreData
        }
        let consumed = lineEnd + 2
        if self.agrees(bytes, at: protocolStart, with: self.unknown) {
            // §2.1: "the receiver must ignore anything presented before the CRLF is found".
            let afterToken = protocolStart + self.unknown.count
            guard lineEnd >= afterToken, lineEnd == afterToken || bytes[afterToken] == 0x20 else {
                return .invalid(.v1BadProtocol)
            }
            return .header(
                ProxyHeader(
                    version: 1, source: nil, sourcePort: 0, destination: nil, destinationPort: 0, isLocal: false,
                    consumed: consumed
                )
            )
        }
        let isV6 = self.agrees(bytes, at: protocolStart, with: self.tcp6)
        let fieldsStart = protocolStart + self.tcp4.count
        guard lineEnd > fieldsStart else { return .invalid(.v1BadFieldCount) }
        let fields = Array(UnsafeRawBufferPointer(rebasing: bytes[fieldsStart..<lineEnd]))
            .split(separator: 0x20, omittingEmptySubsequences: false)
        guard fields.count == 4 else { return .invalid(.v1BadFieldCount) }
        guard let source = self.v1Address(fields[0], v6: isV6), let destination = self.v1Address(fields[1], v6: isV6)
        else { return .invalid(.v1BadAddress) }
        guard let sourcePort = self.v1Port(fields[2]), let destinationPort = self.v1Port(fields[3]) else {
            return .invalid(.v1BadPort)
        }
        return .header(
            ProxyHeader(
                version: 1, source: source, sourcePort: sourcePort, destination: destination,
                destinationPort: destinationPort, isLocal: false, consumed: consumed
            )
        )
    }

    static func v1Address(_ field: ArraySlice<UInt8>, v6: Bool) -> IPAddress? {
        guard !field.isEmpty, let address = IPAddress(String(decoding: field, as: UTF8.self)) else { return nil }
        return address.isIPv4 == !v6 ? address : nil
    }

    static func v1Port(_ field: ArraySlice<UInt8>) -> Int? {
        guard (1...5).contains(field.count), !(field.count > 1 && field.first == UInt8(ascii: "0")) else { return nil }
        var value = 0
        for byte in field {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value <= 65535 ? value : nil
    }

    // MARK: - Version 2

    static func parseV2(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard self.agrees(bytes, at: 0, with: self.v2Signature) else { return .invalid(.noSignature) }
        guard bytes.count > 12 else { return .needMoreData }
        let versionCommand = bytes[12]
        guard versionCommand >> 4 == 0x2 else { return .invalid(.v2BadVersion) }
        let command = versionCommand & 0x0F
        guard command == 0x0 || command == 0x1 else { return .invalid(.v2BadCommand) }
        let isLocal = command == 0x0
        guard bytes.count > 13 else { return .needMoreData }
        let family = bytes[13]
        let addressLength: Int
        switch family {
        case _ where isLocal: addressLength = 0  // §2.2: LOCAL ignores the family and the whole block.
        case 0x00: addressLength = 0  // AF_UNSPEC: addresses unknown, use the socket's.
        case 0x11: addressLength = 12  // TCP over IPv4: 4 + 4 + 2 + 2.
        case 0x21: addressLength = 36  // TCP over IPv6: 16 + 16 + 2 + 2.
        default: return .invalid(.v2UnsupportedFamily)
        }
        guard bytes.count >= self.v2FixedLength else { return .needMoreData }
        let length = Int(bytes[14]) << 8 | Int(bytes[15])
        guard length >= addressLength else { return .invalid(.v2LengthTooShort) }
        let total = self.v2FixedLength + length
        guard bytes.count >= total else { return .needMoreData }
        if isLocal || family == 0x00 {
            return .header(
                ProxyHeader(
                    version: 2, source: nil, sourcePort: 0, destination: nil, destinationPort: 0, isLocal: isLocal,
                    consumed: total
                )
            )
        }
        let start = self.v2FixedLength
        guard self.validTLVs(bytes, from: start + addressLength, to: total) else { return .invalid(.v2BadTLV) }
        let source: IPAddress
        let destination: IPAddress
        let portsAt: Int
        if family == 0x11 {
            source = .v4(UInt32(self.readInteger(bytes, at: start, size: 4)))
            destination = .v4(UInt32(self.readInteger(bytes, at: start + 4, size: 4)))
            portsAt = start + 8
        } else {
            source = .v6(self.readInteger(bytes, at: start, size: 8), self.readInteger(bytes, at: start + 8, size: 8))
            destination = .v6(
                self.readInteger(bytes, at: start + 16, size: 8), self.readInteger(bytes, at: start + 24, size: 8)
            )
            portsAt = start + 32
        }
        return .header(
            ProxyHeader(
                version: 2, source: source, sourcePort: Int(self.readInteger(bytes, at: portsAt, size: 2)),
                destination: destination, destinationPort: Int(self.readInteger(bytes, at: portsAt + 2, size: 2)),
                isLocal: false, consumed: total
            )
        )
    }

    /// Reads a big-endian unsigned integer of `size` (≤ 8) bytes.
    static func readInteger(_ bytes: UnsafeRawBufferPointer, at offset: Int, size: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<(offset + size) { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    /// §2.2.7: each TLV is a type byte, a two-byte big-endian length and that many value bytes.
    static func validTLVs(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        var offset = start
        while offset < end {
            guard end - offset >= 3 else { return false }
            let length = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            offset += 3 + length
        }
        return offset == end
    }
}
