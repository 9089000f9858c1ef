import Foundation
import NIOCore
import NIOHTTP1
import TernFileOrigin
import TernPolicy
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class FileOriginTests: XCTestCase {
    private var base = ""
    private var root = ""
    private var origin: FileOrigin!
    /// All fixture mtimes: Tue, 14 Nov 2023 22:13:20 GMT.
    private let mtime: Int64 = 1_700_000_000
    private let now: Int64 = 1_800_000_000
    private let data = "0123456789abcdefghij"  // 20 bytes

    override func setUpWithError() throws {
        let fm = FileManager.default
        self.base = NSTemporaryDirectory() + "tern-file-origin-\(UUID().uuidString)"
        self.root = self.base + "/root"
        let outside = self.base + "/outside"
        for dir in ["", "/sub", "/empty", "/.hidden", "/css"] {
            try fm.createDirectory(atPath: self.root + dir, withIntermediateDirectories: true)
        }
        try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let files: [String: String] = [
            "/data.txt": self.data,
            "/index.html": "<h1>home</h1>\n",
            "/sub/index.html": "<h1>sub</h1>\n",
            "/css/site.css": "body{}\n",
            "/app.js": "console.log(1)\n",
            "/logo.svg": "<svg/>\n",
            "/sample.json": "{}\n",
            "/font.woff2": "x",
            "/blob": "x",
            "/with space.txt": "spaced\n",
            "/caf\u{E9}.txt": "accent\n",
            "/empty.bin": "",
            "/.secret": "secret\n",
            "/.hidden/file.txt": "hidden\n",
        ]
        for (path, content) in files {
            try Data(content.utf8).write(to: URL(fileURLWithPath: self.root + path))
        }
        try Data("outside\n".utf8).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try fm.createSymbolicLink(atPath: self.root + "/link-inside", withDestinationPath: "data.txt")
        try fm.createSymbolicLink(atPath: self.root + "/link-outside", withDestinationPath: outside + "/secret.txt")
        try fm.createSymbolicLink(atPath: self.root + "/link-dir-outside", withDestinationPath: "../outside")
        try fm.createSymbolicLink(atPath: self.root + "/link-to-hidden", withDestinationPath: ".secret")
        try fm.createSymbolicLink(atPath: self.root + "/dangling", withDestinationPath: "nowhere")
        XCTAssertEqual(mkfifo(self.root + "/fifo", 0o644), 0)
        let date = Date(timeIntervalSince1970: TimeInterval(self.mtime))
        for path in files.keys {
            try fm.setAttributes([.modificationDate: date], ofItemAtPath: self.root + path)
        }
        self.origin = try FileOrigin(root: self.root, cacheControl: "public, max-age=60")
    }

    override func tearDownWithError() throws {
        if !self.base.isEmpty { try? FileManager.default.removeItem(atPath: self.base) }
    }

    // MARK: - Helpers

    private func plan(
        _ uri: String,
        method: HTTPMethod = .GET,
        _ headers: [(String, String)] = [],
        origin: FileOrigin? = nil
    ) -> FilePlan {
        (origin ?? self.origin).plan(method: method, uri: uri, headers: HTTPHeaders(headers), now: self.now)
    }

    /// The body the caller would send: `.bytes` as is, `.file` slices read from `filePath`.
    private func body(_ plan: FilePlan) throws -> String {
        var out = [UInt8]()
        let file = try plan.filePath.map { try Array(Data(contentsOf: URL(fileURLWithPath: $0))) } ?? []
        for segment in plan.body {
            switch segment {
            case .bytes(let buffer):
                out += buffer.readableBytesView
            case .file(let offset, let length):
                out += file[Int(offset)..<Int(offset + length)]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func etag(_ relative: String) -> String {
        self.plan(relative).headers.first(name: "ETag") ?? ""
    }

    // MARK: - Path safety

    func testPathSafetyTable() throws {
        let cases: [(String, HTTPResponseStatus)] = [
            ("/../etc/passwd", .badRequest),
            ("/%2e%2e/etc/passwd", .badRequest),
            ("/%2E%2E/%2E%2E/etc/passwd", .badRequest),
            ("/a/%2F..%2F..", .badRequest),
            ("/sub/../data.txt", .badRequest),
            ("/sub/..", .badRequest),
            ("/..", .badRequest),
            ("/data.txt%00", .badRequest),
            ("/data.txt%00.html", .badRequest),
            ("/%zz", .badRequest),
            ("/%2", .badRequest),
            ("/%", .badRequest),
            ("/%c3", .badRequest),  // invalid UTF-8
            ("*", .badRequest),
            ("data.txt", .badRequest),
            ("/.secret", .notFound),
            ("/%2esecret", .notFound),
            ("/.hidden/file.txt", .notFound),
            ("/.hidden/", .notFound),
            ("/link-to-hidden", .notFound),
            ("/link-outside", .notFound),
            ("/link-dir-outside/secret.txt", .notFound),
            ("/link-dir-outside/", .notFound),
            ("/dangling", .notFound),
            ("/fifo", .notFound),
            ("/nope", .notFound),
            ("/data.txt/", .notFound),
            ("/empty/", .notFound),
            ("/link-inside", .ok),
            ("/data.txt", .ok),
            ("/./data.txt", .ok),
            ("//data.txt", .ok),
            ("/data.txt?x=../../etc/passwd", .ok),
            ("/data.txt#frag", .ok),
            ("/%64ata.txt", .ok),
            ("/with%20space.txt", .ok),
            ("/caf%C3%A9.txt", .ok),
            ("http://example.com/data.txt", .ok),
            ("http://example.com", .ok),
        ]
        for (uri, expected) in cases {
            let plan = self.plan(uri)
            XCTAssertEqual(plan.status, expected, uri)
            if expected != .ok {
                XCTAssertNil(plan.filePath, uri)
                XCTAssertFalse(plan.body.contains { if case .file = $0 { return true } else { return false } }, uri)
            }
        }
        XCTAssertEqual(try self.body(self.plan("/link-inside")), self.data)
        XCTAssertEqual(try self.body(self.plan("/caf%C3%A9.txt")), "accent\n")
    }

    func testResolvedPathStaysUnderRoot() throws {
        for uri in ["/data.txt", "/link-inside", "/sub/", "/"] {
            let path = try XCTUnwrap(self.plan(uri).filePath, uri)
            XCTAssertTrue(path.hasPrefix(self.origin.root + "/"), path)
        }
        XCTAssertEqual(self.plan("/link-inside").filePath, self.origin.root + "/data.txt")
    }

    func testErrorResponsesCarryATinyTextBody() throws {
        for (uri, status, text) in [
            ("/nope", HTTPResponseStatus.notFound, "404 Not Found\n"), ("/%zz", .badRequest, "400 Bad Request\n"),
        ] {
            let plan = self.plan(uri)
            XCTAssertEqual(plan.status, status)
            XCTAssertEqual(plan.headers.first(name: "Content-Type"), "text/plain; charset=utf-8")
            XCTAssertEqual(plan.headers.first(name: "Content-Length"), String(text.utf8.count))
            XCTAssertEqual(plan.headers.first(name: "Date"), HTTPDate.format(self.now))
            XCTAssertEqual(try self.body(plan), text)
            let head = self.plan(uri, method: .HEAD)
            XCTAssertEqual(head.status, status)
            XCTAssertEqual(head.headers.first(name: "Content-Length"), String(text.utf8.count))
            XCTAssertTrue(head.body.isEmpty)
        }
    }

    func testOnlyGetAndHead() throws {
        for method in [HTTPMethod.POST, .PUT, .DELETE, .OPTIONS, .PATCH] {
            let plan = self.plan("/data.txt", method: method)
            XCTAssertEqual(plan.status, .methodNotAllowed, "\(method)")
            XCTAssertEqual(plan.headers.first(name: "Allow"), "GET, HEAD")
            XCTAssertEqual(try self.body(plan), "405 Method Not Allowed\n")
        }
    }

    // MARK: - Directories

    func testDirectoryRedirectsAndIndex() throws {
        let cases: [(String, HTTPResponseStatus, String?)] = [
            ("/sub", .movedPermanently, "/sub/"),
            ("/sub?x=1&y=2", .movedPermanently, "/sub/?x=1&y=2"),
            ("//sub", .movedPermanently, "/sub/"),
            ("/%73ub", .movedPermanently, "/sub/"),
            ("/empty", .movedPermanently, "/empty/"),
            ("/css", .movedPermanently, "/css/"),
        ]
        for (uri, status, location) in cases {
            let plan = self.plan(uri)
            XCTAssertEqual(plan.status, status, uri)
            XCTAssertEqual(plan.headers.first(name: "Location"), location, uri)
            XCTAssertEqual(plan.headers.first(name: "Content-Length"), "0", uri)
            XCTAssertTrue(plan.body.isEmpty, uri)
        }
        XCTAssertEqual(try self.body(self.plan("/sub/")), "<h1>sub</h1>\n")
        XCTAssertEqual(self.plan("/sub/").headers.first(name: "Content-Type"), "text/html; charset=utf-8")
        XCTAssertEqual(try self.body(self.plan("/")), "<h1>home</h1>\n")
        XCTAssertEqual(self.plan("").status, .badRequest)
        XCTAssertEqual(self.plan("/css/").status, .notFound)

        let custom = try FileOrigin(root: self.root, cacheControl: nil, index: ["missing.html", "site.css"])
        XCTAssertEqual(try self.body(self.plan("/css/", origin: custom)), "body{}\n")
        XCTAssertEqual(self.plan("/css/", origin: custom).headers.first(name: "Content-Type"), "text/css; charset=utf-8")
    }

    // MARK: - Full responses

    func testFullGetHeaders() throws {
        let plan = self.plan("/data.txt")
        XCTAssertEqual(plan.status, .ok)
        XCTAssertEqual(plan.headers.first(name: "Content-Type"), "text/plain; charset=utf-8")
        XCTAssertEqual(plan.headers.first(name: "Content-Length"), "20")
        XCTAssertEqual(plan.headers.first(name: "Accept-Ranges"), "bytes")
        XCTAssertEqual(plan.headers.first(name: "Cache-Control"), "public, max-age=60")
        XCTAssertEqual(plan.headers.first(name: "Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT")
        XCTAssertEqual(plan.headers.first(name: "Date"), HTTPDate.format(self.now))
        XCTAssertEqual(plan.bodyLength, 20)
        XCTAssertEqual(try self.body(plan), self.data)

        // Strong ETag from inode, size and mtime in nanoseconds.
        var st = stat()
        XCTAssertEqual(stat(self.root + "/data.txt", &st), 0)
        let expected = FileOrigin.entityTag(
            inode: UInt64(st.st_ino), size: 20, modificationNanoseconds: self.mtime * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        )
        XCTAssertEqual(plan.headers.first(name: "ETag"), expected.headerValue)
        XCTAssertEqual(expected.headerValue, "\"\(String(st.st_ino, radix: 16))-14-\(String(self.mtime * 1_000_000_000, radix: 16))\"")
        XCTAssertFalse(expected.isWeak)

        let noCache = try FileOrigin(root: self.root, cacheControl: nil)
        XCTAssertNil(self.plan("/data.txt", origin: noCache).headers.first(name: "Cache-Control"))
    }

    func testHeadHasGetHeadersButNoBody() {
        for uri in ["/data.txt", "/sub/", "/empty.bin"] {
            let get = self.plan(uri)
            let head = self.plan(uri, method: .HEAD)
            XCTAssertEqual(head.status, get.status, uri)
            XCTAssertEqual(Array(head.headers.map { "\($0.name): \($0.value)" }), Array(get.headers.map { "\($0.name): \($0.value)" }), uri)
            XCTAssertTrue(head.body.isEmpty, uri)
        }
        // Range applies to GET only.
        let head = self.plan("/data.txt", method: .HEAD, [("Range", "bytes=0-1")])
        XCTAssertEqual(head.status, .ok)
        XCTAssertEqual(head.headers.first(name: "Content-Length"), "20")
        XCTAssertTrue(head.body.isEmpty)
    }

    func testEmptyFile() {
        let plan = self.plan("/empty.bin")
        XCTAssertEqual(plan.status, .ok)
        XCTAssertEqual(plan.headers.first(name: "Content-Length"), "0")
        XCTAssertTrue(plan.body.isEmpty)
        XCTAssertEqual(self.plan("/empty.bin", [("Range", "bytes=0-")]).status, .rangeNotSatisfiable)
    }

    func testContentTypes() {
        let cases: [(String, String)] = [
            ("/index.html", "text/html; charset=utf-8"),
            ("/css/site.css", "text/css; charset=utf-8"),
            ("/app.js", "text/javascript; charset=utf-8"),
            ("/logo.svg", "image/svg+xml"),
            ("/sample.json", "application/json"),
            ("/font.woff2", "font/woff2"),
            ("/blob", "application/octet-stream"),
            ("/data.txt", "text/plain; charset=utf-8"),
        ]
        for (uri, type) in cases {
            XCTAssertEqual(self.plan(uri).headers.first(name: "Content-Type"), type, uri)
        }
    }

    func testLastModifiedNeverAfterDate() throws {
        let future = Date(timeIntervalSince1970: TimeInterval(self.now + 1000))
        try FileManager.default.setAttributes([.modificationDate: future], ofItemAtPath: self.root + "/blob")
        XCTAssertEqual(self.plan("/blob").headers.first(name: "Last-Modified"), HTTPDate.format(self.now))
    }

    // MARK: - Ranges

    func testRanges() throws {
        let cases: [(String, HTTPResponseStatus, String?, String)] = [
            ("bytes=0-4", .partialContent, "bytes 0-4/20", "01234"),
            ("bytes=-5", .partialContent, "bytes 15-19/20", "fghij"),
            ("bytes=15-", .partialContent, "bytes 15-19/20", "fghij"),
            ("bytes=10-1000", .partialContent, "bytes 10-19/20", "abcdefghij"),
            ("bytes=0-4,5-9", .partialContent, "bytes 0-9/20", "0123456789"),  // coalesced
            ("bytes=20-", .rangeNotSatisfiable, "bytes */20", "416 Range Not Satisfiable\n"),
            ("bytes=-0", .rangeNotSatisfiable, "bytes */20", "416 Range Not Satisfiable\n"),
            ("bytes=5-1", .ok, nil, self.data),
            ("lines=1-2", .ok, nil, self.data),
        ]
        for (range, status, contentRange, body) in cases {
            let plan = self.plan("/data.txt", [("Range", range)])
            XCTAssertEqual(plan.status, status, range)
            XCTAssertEqual(plan.headers.first(name: "Content-Range"), contentRange, range)
            XCTAssertEqual(try self.body(plan), body, range)
            XCTAssertEqual(plan.headers.first(name: "Content-Length"), String(body.utf8.count), range)
            if status == .partialContent {
                XCTAssertNotNil(plan.headers.first(name: "ETag"), range)
                XCTAssertEqual(plan.headers.first(name: "Content-Type"), "text/plain; charset=utf-8", range)
            }
        }
    }

    func testMultipartRanges() throws {
        let plan = self.plan("/data.txt", [("Range", "bytes=0-1, 5-6, -2")])
        XCTAssertEqual(plan.status, .partialContent)
        XCTAssertNil(plan.headers.first(name: "Content-Range"))
        let contentType = try XCTUnwrap(plan.headers.first(name: "Content-Type"))
        XCTAssertTrue(contentType.hasPrefix("multipart/byteranges; boundary="), contentType)
        let boundary = String(contentType.dropFirst("multipart/byteranges; boundary=".count))
        XCTAssertFalse(boundary.isEmpty)
        let body = try self.body(plan)
        XCTAssertEqual(plan.headers.first(name: "Content-Length"), String(body.utf8.count))
        XCTAssertEqual(plan.bodyLength, Int64(body.utf8.count))
        let part = { (range: String, bytes: String) in
            "\r\n--\(boundary)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes \(range)/20\r\n\r\n\(bytes)"
        }
        XCTAssertEqual(body, part("0-1", "01") + part("5-6", "56") + part("18-19", "ij") + "\r\n--\(boundary)--\r\n")
        // Segments interleave part headers and file slices.
        XCTAssertEqual(plan.body.count, 7)
        if case .file(let offset, let length) = plan.body[3] {
            XCTAssertEqual(offset, 5)
            XCTAssertEqual(length, 2)
        } else {
            XCTFail("expected a file slice")
        }
    }

    func testIfRange() throws {
        let etag = self.etag("/data.txt")
        let lastModified = "Tue, 14 Nov 2023 22:13:20 GMT"
        let cases: [(String, HTTPResponseStatus)] = [
            (etag, .partialContent),
            ("\"other\"", .ok),
            ("W/" + etag, .ok),
            (lastModified, .partialContent),
            ("Tue, 14 Nov 2023 22:13:21 GMT", .ok),
            ("garbage", .ok),
        ]
        for (ifRange, status) in cases {
            let plan = self.plan("/data.txt", [("Range", "bytes=0-1"), ("If-Range", ifRange)])
            XCTAssertEqual(plan.status, status, ifRange)
            XCTAssertEqual(try self.body(plan), status == .ok ? self.data : "01", ifRange)
        }
    }

    // MARK: - Conditionals

    func testConditionals() throws {
        let etag = self.etag("/data.txt")
        let opaque = String(etag.dropFirst().dropLast())
        let cases: [(String, HTTPMethod, [(String, String)], HTTPResponseStatus)] = [
            ("INM exact", .GET, [("If-None-Match", etag)], .notModified),
            ("INM weak compare", .GET, [("If-None-Match", "W/\"\(opaque)\"")], .notModified),
            ("INM list", .GET, [("If-None-Match", "\"a\", W/\"b\", \(etag)")], .notModified),
            ("INM star", .GET, [("If-None-Match", "*")], .notModified),
            ("INM HEAD", .HEAD, [("If-None-Match", etag)], .notModified),
            ("INM mismatch", .GET, [("If-None-Match", "\"a\"")], .ok),
            ("IMS equal", .GET, [("If-Modified-Since", "Tue, 14 Nov 2023 22:13:20 GMT")], .notModified),
            ("IMS later", .GET, [("If-Modified-Since", "Wed, 15 Nov 2023 00:00:00 GMT")], .notModified),
            ("IMS earlier", .GET, [("If-Modified-Since", "Tue, 14 Nov 2023 22:13:19 GMT")], .ok),
            ("IMS invalid", .GET, [("If-Modified-Since", "yesterday")], .ok),
            ("INM mismatch beats IMS", .GET, [("If-None-Match", "\"a\""), ("If-Modified-Since", "Wed, 15 Nov 2023 00:00:00 GMT")], .ok),
            ("If-Match mismatch", .GET, [("If-Match", "\"a\"")], .preconditionFailed),
            ("If-Match weak", .GET, [("If-Match", "W/\"\(opaque)\"")], .preconditionFailed),
            ("If-Match match", .GET, [("If-Match", etag)], .ok),
            ("If-Match star", .GET, [("If-Match", "*")], .ok),
            ("IUS earlier", .GET, [("If-Unmodified-Since", "Tue, 14 Nov 2023 22:13:19 GMT")], .preconditionFailed),
            ("IUS equal", .GET, [("If-Unmodified-Since", "Tue, 14 Nov 2023 22:13:20 GMT")], .ok),
            ("304 beats Range", .GET, [("If-None-Match", etag), ("Range", "bytes=0-1")], .notModified),
            ("412 beats Range", .GET, [("If-Match", "\"a\""), ("Range", "bytes=0-1")], .preconditionFailed),
        ]
        for (name, method, headers, status) in cases {
            let plan = self.plan("/data.txt", method: method, headers)
            XCTAssertEqual(plan.status, status, name)
            switch status {
            case .notModified:
                XCTAssertTrue(plan.body.isEmpty, name)
                XCTAssertEqual(plan.headers.first(name: "ETag"), etag, name)
                XCTAssertEqual(plan.headers.first(name: "Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT", name)
                XCTAssertEqual(plan.headers.first(name: "Cache-Control"), "public, max-age=60", name)
                XCTAssertNotNil(plan.headers.first(name: "Date"), name)
                XCTAssertNil(plan.headers.first(name: "Content-Length"), name)
                XCTAssertNil(plan.headers.first(name: "Content-Type"), name)
            case .preconditionFailed:
                XCTAssertTrue(plan.body.isEmpty, name)
                XCTAssertEqual(plan.headers.first(name: "Content-Length"), "0", name)
                XCTAssertNil(plan.headers.first(name: "ETag"), name)
            default:
                XCTAssertEqual(try self.body(plan), self.data, name)
            }
        }
    }

    // MARK: - Configuration errors

    func testInitErrors() throws {
        XCTAssertThrowsError(try FileOrigin(root: self.base + "/missing", cacheControl: nil)) { error in
            XCTAssertEqual((error as? FileOriginError)?.kind, .rootNotFound)
            XCTAssertTrue("\(error)".contains("/missing"))
        }
        XCTAssertThrowsError(try FileOrigin(root: self.root + "/data.txt", cacheControl: nil)) { error in
            XCTAssertEqual((error as? FileOriginError)?.kind, .rootNotDirectory)
        }
        for bad in ["", ".index.html", "a/index.html", ".."] {
            XCTAssertThrowsError(try FileOrigin(root: self.root, cacheControl: nil, index: [bad]), bad) { error in
                XCTAssertEqual((error as? FileOriginError)?.kind, .invalidIndexName)
            }
        }
        // The root is stored canonical: a path through a symlink and with a trailing slash.
        try FileManager.default.createSymbolicLink(atPath: self.base + "/alias", withDestinationPath: "root")
        let aliased = try FileOrigin(root: self.base + "/alias/", cacheControl: nil)
        XCTAssertEqual(aliased.root, self.origin.root)
        XCTAssertEqual(self.plan("/data.txt", origin: aliased).status, .ok)
    }
}
