import NIOCore
import TernCore
import TernLimits
import XCTest

final class ProxyProtocolTests: XCTestCase {
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    func header(
        _ version: Int, _ source: String?, _ sourcePort: Int, _ destination: String?, _ destinationPort: Int,
        local: Bool = false, consumed: Int
    ) -> ProxyProtocol.ParseResult {
        .header(
            ProxyHeader(
                version: version, source: source.flatMap(IPAddress.init), sourcePort: sourcePort,
                destination: destination.flatMap(IPAddress.init), destinationPort: destinationPort, isLocal: local,
                consumed: consumed
            )
        )
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: v1

    func testV1SpecExamples() {
        let max4 = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"
        let ffff = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let max6 = "PROXY TCP6 \(ffff) \(ffff) 65535 65535\r\n"
        let unknownMax = "PROXY UNKNOWN \(ffff) \(ffff) 65535 65535\r\n"
        XCTAssertEqual(unknownMax.utf8.count, 107)
        let cases: [(String, ProxyProtocol.ParseResult, UInt)] = [
            (max4, self.header(1, "255.255.255.255", 65535, "255.255.255.255", 65535, consumed: max4.utf8.count), #line),
            (max6, self.header(1, ffff, 65535, ffff, 65535, consumed: max6.utf8.count), #line),
            ("PROXY UNKNOWN\r\n", self.header(1, nil, 0, nil, 0, consumed: 15), #line),
            (unknownMax, self.header(1, nil, 0, nil, 0, consumed: 107), #line),
            (
                "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\nHost: example\r\n\r\n",
                self.header(1, "192.168.0.1", 56324, "192.168.0.11", 443, consumed: 47), #line
            ),
            (
                "PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 0 80\r\n",
                self.header(1, "2001:db8::1", 0, "::ffff:192.0.2.1", 80, consumed: 46), #line
            ),
        ]
        for (text, expected, line) in cases {
            XCTAssertEqual(ProxyProtocol.parse(self.bytes(text)), expected, text, line: line)
        }
    }

    func testV1Rejects() {
        let cases: [(String, ProxyProtocol.InvalidReason, UInt)] = [
            ("GET / HTTP/1.1\r\n", .noSignature, #line),
            ("PROXy TCP4", .noSignature, #line),
            ("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", .v1BadProtocol, #line),
            ("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", .v1BadProtocol, #line),
            ("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", .v1BadProtocol, #line),
            ("PROXY TCP4\r\n", .v1BadProtocol, #line),
            ("PROXY UNKNOWNX\r\n", .v1BadProtocol, #line),
            ("PROXY TCP4 \r\n", .v1BadFieldCount, #line),
            ("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", .v1BadFieldCount, #line),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", .v1BadFieldCount, #line),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", .v1BadFieldCount, #line),
            ("PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n", .v1BadAddress, #line),
            ("PROXY TCP6 1.2.3.4 2001:db8::1 1 2\r\n", .v1BadAddress, #line),
            ("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", .v1BadAddress, #line),
            ("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", .v1BadAddress, #line),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", .v1BadPort, #line),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 0443 2\r\n", .v1BadPort, #line),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", .v1BadPort, #line),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 x\r\n", .v1BadPort, #line),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", .v1BadCharacter, #line),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", .v1BadCharacter, #line),
            ("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", .v1BadCharacter, #line),
            ("PROXY UNKNOWN \u{7F}\r\n", .v1BadCharacter, #line),
            ("PROXY UNKNOWN " + String(repeating: "x", count: 92) + "\r\n", .v1TooLong, #line),  // 108 bytes
            ("PROXY UNKNOWN " + String(repeating: "x", count: 93) + "\r", .v1TooLong, #line),
            ("PROXY UNKNOWN " + String(repeating: "x", count: 200), .v1TooLong, #line),
        ]
        for (text, reason, line) in cases {
            XCTAssertEqual(ProxyProtocol.parse(self.bytes(text)), .invalid(reason), text.debugDescription, line: line)
        }
        XCTAssertEqual(ProxyProtocol.parse([0x50, 0x52, 0x4F, 0x58, 0x59, 0x20, 0x55, 0x00]), .invalid(.v1BadProtocol))
        XCTAssertEqual(ProxyProtocol.parse(self.bytes("PROXY UNKNOWN ") + [0x00]), .invalid(.v1BadCharacter))
        XCTAssertEqual(ProxyProtocol.parse(self.bytes("PROXY UNKNOWN ") + [0xC3, 0xA9]), .invalid(.v1BadCharacter))
    }

    func testV1EveryTruncationNeedsMoreData() {
        let unknownLong = "PROXY UNKNOWN " + String(repeating: "x", count: 91)  // 105 bytes, no CRLF yet
        XCTAssertEqual(ProxyProtocol.parse(self.bytes(unknownLong)), .needMoreData)
        XCTAssertEqual(ProxyProtocol.parse(self.bytes(unknownLong + "\r")), .needMoreData)
        XCTAssertEqual(ProxyProtocol.parse(self.bytes(unknownLong + "\r\n")), self.header(1, nil, 0, nil, 0, consumed: 107))
        // One more byte and the CRLF can no longer fit in 107 bytes.
        XCTAssertEqual(ProxyProtocol.parse(self.bytes(unknownLong + "x\r")), .invalid(.v1TooLong))
        for text in ["PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", "PROXY UNKNOWN\r\n"] {
            let full = self.bytes(text)
            for length in 0..<full.count {
                XCTAssertEqual(ProxyProtocol.parse(Array(full[..<length])), .needMoreData, "\(text.debugDescription) prefix \(length)")
            }
        }
    }

    // MARK: v2

    func v2(command: UInt8 = 0x21, family: UInt8, body: [UInt8], length: Int? = nil) -> [UInt8] {
        let length = length ?? body.count
        return Self.signature + [command, family, UInt8(length >> 8), UInt8(length & 0xFF)] + body
    }

    let tcp4Body: [UInt8] = [127, 0, 0, 1, 192, 0, 2, 10, 0x04, 0xD2, 0x01, 0xBB]  // 127.0.0.1:1234 → 192.0.2.10:443
    var tcp6Body: [UInt8] {
        [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [0x01]  // 2001:db8::1
            + [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 198, 51, 100, 7]  // ::ffff:198.51.100.7
            + [0xFF, 0xFF, 0x00, 0x50]  // 65535 → 80
    }

    func testV2Accepts() {
        let alpn: [UInt8] = [0x01, 0x00, 0x02, 0x68, 0x32]  // PP2_TYPE_ALPN "h2"
        let noop: [UInt8] = [0x04, 0x00, 0x00]  // PP2_TYPE_NOOP, empty
        let trailing = self.bytes("GET / HTTP/1.1\r\n")
        let cases: [([UInt8], ProxyProtocol.ParseResult, UInt)] = [
            (self.v2(family: 0x11, body: self.tcp4Body), self.header(2, "127.0.0.1", 1234, "192.0.2.10", 443, consumed: 28), #line),
            (
                self.v2(family: 0x11, body: self.tcp4Body + alpn + noop) + trailing,
                self.header(2, "127.0.0.1", 1234, "192.0.2.10", 443, consumed: 36), #line
            ),
            (self.v2(family: 0x21, body: self.tcp6Body), self.header(2, "2001:db8::1", 65535, "::ffff:198.51.100.7", 80, consumed: 52), #line),
            // LOCAL: addresses and family ignored, whole block skipped.
            (self.v2(command: 0x20, family: 0x00, body: []), self.header(2, nil, 0, nil, 0, local: true, consumed: 16), #line),
            (self.v2(command: 0x20, family: 0x11, body: self.tcp4Body), self.header(2, nil, 0, nil, 0, local: true, consumed: 28), #line),
            (self.v2(command: 0x20, family: 0x31, body: [1, 2, 3, 4, 5]), self.header(2, nil, 0, nil, 0, local: true, consumed: 21), #line),
            // PROXY with AF_UNSPEC: addresses unknown.
            (self.v2(family: 0x00, body: [0x04, 0x00, 0x00]) + trailing, self.header(2, nil, 0, nil, 0, consumed: 19), #line),
        ]
        for (input, expected, line) in cases {
            XCTAssertEqual(ProxyProtocol.parse(input), expected, line: line)
        }
    }

    func testV2Rejects() {
        var badSignature = self.v2(family: 0x11, body: self.tcp4Body)
        badSignature[5] = 0x00
        let cases: [([UInt8], ProxyProtocol.InvalidReason, UInt)] = [
            (badSignature, .noSignature, #line),
            (Array(badSignature[..<6]), .noSignature, #line),
            (self.v2(command: 0x11, family: 0x11, body: self.tcp4Body), .v2BadVersion, #line),
            (self.v2(command: 0x31, family: 0x11, body: self.tcp4Body), .v2BadVersion, #line),
            (Self.signature + [0x11], .v2BadVersion, #line),
            (self.v2(command: 0x22, family: 0x11, body: self.tcp4Body), .v2BadCommand, #line),
            (Self.signature + [0x2F], .v2BadCommand, #line),
            (self.v2(family: 0x12, body: self.tcp4Body), .v2UnsupportedFamily, #line),  // UDP over IPv4
            (self.v2(family: 0x22, body: self.tcp6Body), .v2UnsupportedFamily, #line),  // UDP over IPv6
            (self.v2(family: 0x31, body: [UInt8](repeating: 0, count: 216)), .v2UnsupportedFamily, #line),  // AF_UNIX
            (self.v2(family: 0x10, body: self.tcp4Body), .v2UnsupportedFamily, #line),  // IPv4, unspecified transport
            (Self.signature + [0x21, 0x41], .v2UnsupportedFamily, #line),
            (self.v2(family: 0x11, body: Array(self.tcp4Body[..<8])), .v2LengthTooShort, #line),
            (self.v2(family: 0x21, body: self.tcp4Body), .v2LengthTooShort, #line),
            (self.v2(family: 0x11, body: self.tcp4Body + [0x01, 0x00]), .v2BadTLV, #line),
            (self.v2(family: 0x11, body: self.tcp4Body + [0x01, 0x00, 0x05, 0x68]), .v2BadTLV, #line),
        ]
        for (input, reason, line) in cases {
            XCTAssertEqual(ProxyProtocol.parse(input), .invalid(reason), line: line)
        }
    }

    func testV2EveryTruncationNeedsMoreData() {
        let inputs = [
            self.v2(family: 0x11, body: self.tcp4Body + [0x01, 0x00, 0x02, 0x68, 0x32]),
            self.v2(family: 0x21, body: self.tcp6Body),
            self.v2(command: 0x20, family: 0x00, body: []),
        ]
        for input in inputs {
            for length in 0..<input.count {
                XCTAssertEqual(ProxyProtocol.parse(Array(input[..<length])), .needMoreData, "prefix \(length) of \(input.count)")
            }
        }
    }

    func testByteBufferOverloadDoesNotConsume() {
        var buffer = ByteBuffer()
        buffer.writeBytes(self.v2(family: 0x11, body: self.tcp4Body) + self.bytes("GET /"))
        buffer.moveReaderIndex(forwardBy: 0)
        let result = ProxyProtocol.parse(buffer)
        XCTAssertEqual(result, self.header(2, "127.0.0.1", 1234, "192.0.2.10", 443, consumed: 28))
        XCTAssertEqual(buffer.readableBytes, 33)
        // A buffer whose reader index is past earlier data parses from the reader index.
        var shifted = ByteBuffer()
        shifted.writeBytes(self.bytes("junk") + self.bytes("PROXY UNKNOWN\r\n"))
        shifted.moveReaderIndex(forwardBy: 4)
        XCTAssertEqual(ProxyProtocol.parse(shifted), self.header(1, nil, 0, nil, 0, consumed: 15))
    }

    func testReasonNamesAreStable() {
        XCTAssertEqual(ProxyProtocol.InvalidReason.v1BadPort.description, "v1-bad-port")
        XCTAssertEqual(ProxyProtocol.InvalidReason.v2BadTLV.description, "v2-bad-tlv")
    }

    /// Random garbage never crashes and never claims more bytes than it was given.
    func testRandomGarbage() {
        var random = SplitMix64(seed: 9)
        for round in 0..<20_000 {
            let length = Int(random.next() % 80)
            var input = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            // Start half of them with a valid prefix so the inner branches are exercised.
            if round % 2 == 0 { input = Array((Self.signature + [0x21]).prefix(Int(random.next() % 14))) + input }
            if round % 4 == 1 { input = self.bytes("PROXY TCP4 ") + input }
            if case .header(let header) = ProxyProtocol.parse(input) {
                XCTAssertLessThanOrEqual(header.consumed, input.count)
            }
        }
    }
}
