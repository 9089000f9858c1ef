import NIOHTTP1
import TernPolicy
import XCTest

/// `Accept-Encoding` negotiation (RFC 9110 §12.5.3) as a table.
final class ContentCodingNegotiationTests: XCTestCase {
    private struct Row {
        /// Field lines; `nil` = no `Accept-Encoding` field at all.
        let lines: [String]?
        let br: Double
        let gzip: Double
        let identity: Double
        /// `choose(available: [.br, .gzip, .identity])`.
        let chosen: ContentCoding?
        let line: UInt
        init(_ lines: [String]?, br: Double, gzip: Double, identity: Double, _ chosen: ContentCoding?, line: UInt = #line) {
            self.lines = lines
            self.br = br
            self.gzip = gzip
            self.identity = identity
            self.chosen = chosen
            self.line = line
        }
    }

    private static let rows: [Row] = [
        Row(nil, br: 1, gzip: 1, identity: 1, .identity),  // absent: anything goes, Tern sends identity
        Row([""], br: 0, gzip: 0, identity: 1, .identity),  // empty value: identity only
        Row(["gzip"], br: 0, gzip: 1, identity: 1, .gzip),
        Row(["br"], br: 1, gzip: 0, identity: 1, .br),
        Row(["gzip, deflate, br"], br: 1, gzip: 1, identity: 1, .br),
        Row(["gzip, deflate, br, zstd"], br: 1, gzip: 1, identity: 1, .br),
        Row(["*"], br: 1, gzip: 1, identity: 1, .br),
        Row(["identity"], br: 0, gzip: 0, identity: 1, .identity),
        Row(["identity;q=0"], br: 0, gzip: 0, identity: 0, nil),
        Row(["*;q=0"], br: 0, gzip: 0, identity: 0, nil),
        Row(["identity;q=0, *;q=0"], br: 0, gzip: 0, identity: 0, nil),
        Row(["*;q=0, identity"], br: 0, gzip: 0, identity: 1, .identity),
        Row(["gzip, *;q=0"], br: 0, gzip: 1, identity: 0, .gzip),
        Row(["identity;q=0, gzip"], br: 0, gzip: 1, identity: 0, .gzip),
        Row(["br;q=0, gzip"], br: 0, gzip: 1, identity: 1, .gzip),
        Row(["br;q=0, *"], br: 0, gzip: 1, identity: 1, .gzip),
        Row(["br, gzip;q=0"], br: 1, gzip: 0, identity: 1, .br),
        Row(["gzip;q=0"], br: 0, gzip: 0, identity: 1, .identity),
        Row(["GZIP, BR"], br: 1, gzip: 1, identity: 1, .br),
        Row(["Br;Q=0.7, GZip;q=0.9"], br: 0.7, gzip: 0.9, identity: 1, .gzip),
        Row(["gzip;q=0.5, br;q=0.4"], br: 0.4, gzip: 0.5, identity: 1, .gzip),
        Row(["gzip ; q=0.5 ,   br ;q=0.8 "], br: 0.8, gzip: 0.5, identity: 1, .br),
        Row(["\tgzip;q = 0.5"], br: 0, gzip: 0.5, identity: 1, .gzip),
        Row([" , , gzip , "], br: 0, gzip: 1, identity: 1, .gzip),
        Row(["gzip", "br"], br: 1, gzip: 1, identity: 1, .br),  // two field lines combine
        Row(["gzip;q=0.2", "br;q=0.1"], br: 0.1, gzip: 0.2, identity: 1, .gzip),
        Row(["x-gzip"], br: 0, gzip: 1, identity: 1, .gzip),
        Row(["deflate"], br: 0, gzip: 0, identity: 1, .identity),
        Row(["br;q=2, gzip"], br: 0, gzip: 1, identity: 1, .gzip),  // invalid q: member ignored
        Row(["br;q=0.5555, gzip;q=0.1"], br: 0, gzip: 0.1, identity: 1, .gzip),
        Row(["br;q=abc"], br: 0, gzip: 0, identity: 1, .identity),
        Row(["br;q=-1, *;q=0.3"], br: 0.3, gzip: 0.3, identity: 0.3, .br),  // ignored → falls under *
        Row(["br;q=.5"], br: 0, gzip: 0, identity: 1, .identity),
        Row(["gzip;q=1.0001"], br: 0, gzip: 0, identity: 1, .identity),
        Row(["identity;q=bad, *;q=0"], br: 0, gzip: 0, identity: 0, nil),  // ignored identity → *
        Row(["gzip;q=1.000, br;q=0.999"], br: 0.999, gzip: 1, identity: 1, .gzip),
        Row(["gzip;q=0."], br: 0, gzip: 0, identity: 1, .identity),
        Row(["gzip;q=1."], br: 0, gzip: 1, identity: 1, .gzip),
        Row(["br;q=0.001"], br: 0.001, gzip: 0, identity: 1, .br),  // implicit identity ranks last
        Row(["identity;q=1, gzip;q=0.5"], br: 0, gzip: 0.5, identity: 1, .identity),  // explicit identity competes
        Row(["gzip;q=0.5, identity;q=0.5"], br: 0, gzip: 0.5, identity: 0.5, .gzip),
        Row(["*;q=0.3, gzip;q=0.2"], br: 0.3, gzip: 0.2, identity: 0.3, .br),
        Row(["gzip;level=1;q=0.5"], br: 0, gzip: 0.5, identity: 1, .gzip),  // accept-ext ignored
        Row(["gzip, gzip;q=0"], br: 0, gzip: 1, identity: 1, .gzip),  // first member wins
        Row(["x-gzip;q=0, gzip"], br: 0, gzip: 0, identity: 1, .identity),
        Row(["g zip, br"], br: 1, gzip: 0, identity: 1, .br),  // not a token: ignored
    ]

    private static func headers(_ lines: [String]?) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for line in lines ?? [] { headers.add(name: "Accept-Encoding", value: line) }
        return headers
    }

    func testQualityAndChoiceTable() {
        XCTAssertGreaterThanOrEqual(Self.rows.count, 25)
        for row in Self.rows {
            let accept = AcceptEncoding(Self.headers(row.lines))
            let label = "\(row.lines.map { "\($0)" } ?? "absent")"
            XCTAssertEqual(accept.isPresent, row.lines != nil, label, line: row.line)
            XCTAssertEqual(accept.quality(of: .br), row.br, accuracy: 1e-9, "br \(label)", line: row.line)
            XCTAssertEqual(accept.quality(of: .gzip), row.gzip, accuracy: 1e-9, "gzip \(label)", line: row.line)
            XCTAssertEqual(accept.quality(of: .identity), row.identity, accuracy: 1e-9, "identity \(label)", line: row.line)
            XCTAssertEqual(accept.choose(available: [.br, .gzip, .identity]), row.chosen, "choose \(label)", line: row.line)
            XCTAssertEqual(accept.choose(available: [.identity, .gzip, .br]), row.chosen, "order \(label)", line: row.line)
            XCTAssertEqual(accept.variantToken, (row.chosen ?? .identity).rawValue, "token \(label)", line: row.line)
        }
    }

    func testChooseFromWhatIsAvailable() {
        let cases: [([String]?, [ContentCoding], ContentCoding?, UInt)] = [
            (["br"], [.gzip, .identity], .identity, #line),
            (["br"], [.gzip], nil, #line),
            (["gzip, br"], [.gzip, .identity], .gzip, #line),
            (nil, [.br, .gzip], .br, #line),  // no field, no identity: any coding is acceptable
            (nil, [.gzip], .gzip, #line),
            (nil, [], nil, #line),
            ([""], [.gzip], nil, #line),
            (["identity;q=0"], [.identity], nil, #line),
            (["identity;q=0, gzip"], [.identity, .gzip], .gzip, #line),
            (["*"], [.identity], .identity, #line),
        ]
        for (lines, available, expected, line) in cases {
            let accept = AcceptEncoding(Self.headers(lines))
            XCTAssertEqual(accept.choose(available: available), expected, "\(String(describing: lines)) \(available)", line: line)
        }
    }

    func testManyRawStringsMapToThreeVariantTokens() {
        let raw = [
            "gzip, deflate, br", "br, gzip", "gzip, deflate, br, zstd", "BR", "*", "gzip", "x-gzip, deflate",
            "gzip;q=1.0, identity; q=0.5, *;q=0", "", "identity", "deflate", "compress;q=0.5",
        ]
        let tokens = Set(raw.map { AcceptEncoding(Self.headers([$0])).variantToken })
        XCTAssertEqual(tokens, ["br", "gzip", "identity"])
        XCTAssertEqual(AcceptEncoding(HTTPHeaders()).variantToken, "identity")
    }

    func testContentCodingTokens() {
        XCTAssertEqual(ContentCoding(token: "GZip"), .gzip)
        XCTAssertEqual(ContentCoding(token: " x-gzip "), .gzip)
        XCTAssertEqual(ContentCoding(token: "br"), .br)
        XCTAssertEqual(ContentCoding(token: "Identity"), .identity)
        XCTAssertNil(ContentCoding(token: "deflate"))
        XCTAssertNil(ContentCoding(token: "zstd"))
        XCTAssertEqual(ContentCoding.gzip.rawValue, "gzip")
    }

    func testAppliedContentEncoding() {
        let cases: [([String], ContentCoding?, UInt)] = [
            ([], .identity, #line),
            (["identity"], .identity, #line),
            (["gzip"], .gzip, #line),
            (["X-GZIP"], .gzip, #line),
            (["br"], .br, #line),
            (["identity, br"], .br, #line),
            (["gzip, br"], nil, #line),  // stacked codings: opaque
            (["gzip", "br"], nil, #line),
            (["deflate"], nil, #line),
            (["zstd"], nil, #line),
        ]
        for (lines, expected, line) in cases {
            var headers = HTTPHeaders()
            for value in lines { headers.add(name: "Content-Encoding", value: value) }
            XCTAssertEqual(ContentCoding.applied(headers), expected, "\(lines)", line: line)
        }
    }
}
