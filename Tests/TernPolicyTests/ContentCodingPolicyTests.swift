import NIOHTTP1
import TernPolicy
import XCTest

/// `CompressionPolicy`: which responses Tern compresses, and variant validators.
final class ContentCodingPolicyTests: XCTestCase {
    private struct Row {
        let status: Int
        let method: HTTPMethod
        let headers: [(String, String)]
        let expected: Bool
        let line: UInt
        init(_ headers: [(String, String)], _ expected: Bool, line: UInt = #line) {
            self.init(200, .GET, headers, expected, line: line)
        }
        init(_ status: Int, _ method: HTTPMethod, _ headers: [(String, String)], _ expected: Bool, line: UInt = #line) {
            self.status = status
            self.method = method
            self.headers = headers
            self.expected = expected
            self.line = line
        }
    }

    private static let html = ("Content-Type", "text/html; charset=utf-8")
    private static let big = ("Content-Length", "4096")

    private static let rows: [Row] = [
        Row([html, big], true),
        Row([html], true),  // no Content-Length (chunked): size unknown, compress
        Row(200, .HEAD, [html, big], false),
        Row(206, .GET, [html, big, ("Content-Range", "bytes 0-4095/10000")], false),
        Row(206, .GET, [html, big], false),
        Row(304, .GET, [html], false),
        Row(404, .GET, [html, big], false),
        Row(500, .GET, [html, big], false),
        Row(201, .POST, [html, big], false),
        Row(200, .POST, [html, big], true),
        Row([html, big, ("Cache-Control", "no-transform")], false),
        Row([html, big, ("Cache-Control", "public, No-Transform, max-age=60")], false),
        Row([html, big, ("Cache-Control", "max-age=60"), ("Cache-Control", "no-transform")], false),
        Row([html, big, ("Cache-Control", "public, max-age=60")], true),
        Row([html, big, ("Content-Encoding", "gzip")], false),
        Row([html, big, ("Content-Encoding", "br")], false),
        Row([html, big, ("Content-Encoding", "zstd")], false),
        Row([html, big, ("Content-Encoding", "identity")], true),
        Row([html, big, ("Content-Range", "bytes 0-4095/4096")], false),
        Row([("Content-Type", "TEXT/CSS"), big], true),
        Row([("Content-Type", "text/plain"), big], true),
        Row([("Content-Type", "text/javascript; charset=utf-8"), big], true),
        Row([("Content-Type", "application/javascript"), big], true),
        Row([("Content-Type", "application/json"), big], true),
        Row([("Content-Type", "application/ld+json"), big], true),
        Row([("Content-Type", "application/problem+json"), big], true),
        Row([("Content-Type", "application/atom+xml"), big], true),
        Row([("Content-Type", "application/xml"), big], true),
        Row([("Content-Type", "image/svg+xml"), big], true),
        Row([("Content-Type", "application/wasm"), big], true),
        Row([("Content-Type", "font/ttf"), big], true),
        Row([("Content-Type", "font/otf"), big], true),
        Row([("Content-Type", "application/vnd.ms-fontobject"), big], true),
        Row([("Content-Type", "font/woff"), big], false),
        Row([("Content-Type", "font/woff2"), big], false),
        Row([("Content-Type", "image/png"), big], false),
        Row([("Content-Type", "image/jpeg"), big], false),
        Row([("Content-Type", "video/mp4"), big], false),
        Row([("Content-Type", "application/zip"), big], false),
        Row([("Content-Type", "application/gzip"), big], false),
        Row([("Content-Type", "application/octet-stream"), big], false),
        Row([("Content-Type", "application/jsonx"), big], false),
        Row([("Content-Type", "text/event-stream"), big], false),
        Row([("Content-Type", "text/event-stream")], false),
        Row([("Content-Type", "texthtml"), big], false),
        Row([big], false),  // no Content-Type
        Row([html, ("Content-Length", "255")], false),
        Row([html, ("Content-Length", "256")], true),
        Row([html, ("Content-Length", "0")], false),
        Row([html, ("Content-Length", "abc")], false),
        Row([html, ("Content-Length", "300"), ("Content-Length", "400")], false),
        Row([html, ("Content-Length", "300, 300")], true),
        // Byte-level readers (issue 18) keep the general parsers' answers.
        Row([("Content-Type", "  text/html  ; charset=utf-8"), big], true),
        Row([("Content-Type", "text/ html"), big], false),
        Row([("Content-Type", "text/html/x"), big], false),
        Row([("Content-Type", "/html"), big], false),
        Row([("Content-Type", "text/"), big], false),
        Row([("Content-Type", "APPLICATION/LD+JSON"), big], true),
        Row([("Content-Type", "application/+json"), big], true),
        Row([("Content-Type", "application/json+x"), big], false),
        Row([html, big, ("Cache-Control", "ext=\"no-transform\"")], true),
        Row([html, big, ("Cache-Control", "no-transformer")], true),
        Row([html, big, ("Cache-Control", "nno-transform")], true),
        Row([html, big, ("Cache-Control", "max-age=1,no-transform")], false),
        Row([html, big, ("Content-Encoding", "identity"), ("Content-Encoding", "gzip")], false),
        Row([html, ("Content-Length", " 300")], true),
        Row([html, ("Content-Length", "00300")], true),
    ]

    func testShouldCompressTable() {
        let policy = CompressionPolicy()
        for row in Self.rows {
            let headers = HTTPHeaders(row.headers)
            XCTAssertEqual(
                policy.shouldCompress(status: row.status, responseHeaders: headers, method: row.method),
                row.expected,
                "\(row.status) \(row.method) \(row.headers)",
                line: row.line
            )
        }
    }

    func testCustomPolicy() {
        let everything = CompressionPolicy(mimeTypes: ["*/*"], excludedMimeTypes: [], minimumSize: 0)
        let png = HTTPHeaders([("Content-Type", "image/png"), ("Content-Length", "0")])
        XCTAssertTrue(everything.shouldCompress(status: 200, responseHeaders: png, method: .GET))
        let noJSON = CompressionPolicy(excludedMimeTypes: ["application/*+json", "text/event-stream"])
        let ld = HTTPHeaders([("Content-Type", "application/ld+json"), ("Content-Length", "1000")])
        XCTAssertFalse(noJSON.shouldCompress(status: 200, responseHeaders: ld, method: .GET))
        XCTAssertEqual(CompressionPolicy().minimumSize, 256)
        XCTAssertFalse(CompressionPolicy.defaultMimeTypes.contains { $0.contains("woff") })
        // Patterns set after creation take effect (they are compiled when set).
        var images = CompressionPolicy()
        images.mimeTypes = ["image/*"]
        XCTAssertTrue(images.shouldCompress(status: 200, responseHeaders: png, method: .GET) == false, "png is below the minimum size")
        images.minimumSize = 0
        XCTAssertTrue(images.shouldCompress(status: 200, responseHeaders: png, method: .GET))
        images.excludedMimeTypes = ["image/png"]
        XCTAssertFalse(images.shouldCompress(status: 200, responseHeaders: png, method: .GET))
    }

    func testVariantETagTable() {
        let cases: [(String?, ContentCoding, String?, UInt)] = [
            ("\"abc\"", .br, "\"abc-br\"", #line),
            ("\"abc\"", .gzip, "\"abc-gzip\"", #line),
            ("\"abc\"", .identity, "\"abc\"", #line),
            ("W/\"abc\"", .br, "W/\"abc-br\"", #line),
            ("W/\"abc\"", .gzip, "W/\"abc-gzip\"", #line),
            ("W/\"abc\"", .identity, "W/\"abc\"", #line),
            (" \"5f2a-1c\" ", .gzip, "\"5f2a-1c-gzip\"", #line),
            ("\"\"", .br, "\"-br\"", #line),
            (nil, .br, nil, #line),
            (nil, .identity, nil, #line),
            ("abc", .br, nil, #line),  // malformed: dropped, never shared with identity
            ("w/\"abc\"", .gzip, nil, #line),
        ]
        for (etag, coding, expected, line) in cases {
            XCTAssertEqual(CompressionPolicy.variantETag(etag, coding: coding), expected, "\(String(describing: etag)) \(coding)", line: line)
        }
    }

    func testBaseETagUndoesVariantETag() throws {
        for coding in ContentCoding.allCases {
            for original in ["\"abc\"", "W/\"x-1\""] {
                let variant = try XCTUnwrap(CompressionPolicy.variantETag(original, coding: coding))
                let (base, found) = CompressionPolicy.baseETag(try XCTUnwrap(EntityTag(parsing: variant)))
                XCTAssertEqual(base.headerValue, original)
                XCTAssertEqual(found, coding)
            }
        }
    }
}
