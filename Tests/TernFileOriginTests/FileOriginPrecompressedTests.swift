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

/// Precompressed siblings (`name.br`, `name.gz`): negotiation, headers, validators, ranges and
/// conditionals on the served variant, stale and unusable siblings. See Docs/file-origin.md.
final class FileOriginPrecompressedTests: XCTestCase {
    private var base = ""
    private var root = ""
    private var origin: FileOrigin!
    /// Fixture mtimes are `t0` plus a few seconds; `now` is much later.
    private let t0: Int64 = 1_700_000_000
    private let now: Int64 = 1_800_000_000

    /// Path → (content, mtime offset from t0). Sibling contents are opaque to the file origin,
    /// so short distinct strings show which file was chosen.
    private let files: [String: (String, Int64)] = [
        "/app.js": ("console.log('hello, world'); // identity\n", 0),
        "/app.js.br": ("BR-app", 0),  // same mtime as the original (what `brotli -k` leaves)
        "/app.js.gz": ("GZ-app-bytes", 1),
        "/only-gz.css": ("body { color: red }\n", 0),
        "/only-gz.css.gz": ("GZ-css", 0),
        "/logo.svg": ("<svg xmlns='http://www.w3.org/2000/svg'/>\n", 0),
        "/logo.svg.br": ("BR-svg", 5),
        "/stale.js": ("var stale = true;\n", 10),
        "/stale.js.br": ("BR-stale-older", 9),  // older than the original: ignored
        "/stale.js.gz": ("GZ-stale-fresh", 10),
        "/all-stale.html": ("<p>new</p>\n", 10),
        "/all-stale.html.br": ("BR-old", 0),
        "/all-stale.html.gz": ("GZ-old", 0),
        "/plain.txt": ("no siblings here\n", 0),
        "/photo.png": ("PNGDATA", 0),
        "/blob.bin": ("binary blob\n", 0),
        "/blob.bin.gz": ("GZ-blob", 0),
        "/archive.tar.gz": ("GZ-archive", 0),
        "/archive.tar.gz.br": ("BR-of-a-gz", 0),
        "/empty-sibling.js": ("var e = 1;\n", 0),
        "/empty-sibling.js.br": ("", 0),  // a zero-byte .br is never valid brotli: ignored
        "/dir-sibling.js": ("var d = 1;\n", 0),
        "/link-out.js": ("var l = 1;\n", 0),
        "/hidden-link.js": ("var h = 1;\n", 0),
        "/.hidden.gz": ("GZ-hidden", 0),
        "/site/index.html": ("<h1>index</h1>\n", 0),
        "/site/index.html.br": ("BR-index", 0),
    ]

    override func setUpWithError() throws {
        let fm = FileManager.default
        self.base = NSTemporaryDirectory() + "tern-file-origin-precompressed-\(UUID().uuidString)"
        self.root = self.base + "/root"
        try fm.createDirectory(atPath: self.root + "/site", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: self.root + "/dir-sibling.js.br", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: self.base + "/outside", withIntermediateDirectories: true)
        try Data("GZ-outside".utf8).write(to: URL(fileURLWithPath: self.base + "/outside/x.gz"))
        try fm.createSymbolicLink(atPath: self.root + "/link-out.js.gz", withDestinationPath: self.base + "/outside/x.gz")
        try fm.createSymbolicLink(atPath: self.root + "/hidden-link.js.gz", withDestinationPath: ".hidden.gz")
        for (path, (content, offset)) in self.files {
            try Data(content.utf8).write(to: URL(fileURLWithPath: self.root + path))
            let date = Date(timeIntervalSince1970: TimeInterval(self.t0 + offset))
            try fm.setAttributes([.modificationDate: date], ofItemAtPath: self.root + path)
        }
        let late = Date(timeIntervalSince1970: TimeInterval(self.t0 + 100))
        try fm.setAttributes([.modificationDate: late], ofItemAtPath: self.base + "/outside/x.gz")
        self.origin = try FileOrigin(root: self.root, cacheControl: "public, max-age=60")
    }

    override func tearDownWithError() throws {
        if !self.base.isEmpty { try? FileManager.default.removeItem(atPath: self.base) }
    }

    // MARK: - Helpers

    private func plan(_ uri: String, method: HTTPMethod = .GET, _ headers: [(String, String)] = []) -> FilePlan {
        self.origin.plan(method: method, uri: uri, headers: HTTPHeaders(headers), now: self.now)
    }

    private func body(_ plan: FilePlan) throws -> String {
        var out = [UInt8]()
        let file = try plan.filePath.map { try Array(Data(contentsOf: URL(fileURLWithPath: $0))) } ?? []
        for segment in plan.body {
            switch segment {
            case .bytes(let buffer): out += buffer.readableBytesView
            case .file(let offset, let length): out += file[Int(offset)..<Int(offset + length)]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The ETag the origin must send for the file at `relative` served with `coding`.
    private func expectedETag(_ relative: String, _ coding: ContentCoding) throws -> String {
        var st = stat()
        XCTAssertEqual(stat(self.root + relative, &st), 0, relative)
        let tag = FileOrigin.entityTag(
            inode: UInt64(st.st_ino), size: Int64(st.st_size),
            modificationNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        )
        return try XCTUnwrap(CompressionPolicy.variantETag(tag.headerValue, coding: coding))
    }

    private func ae(_ value: String?) -> [(String, String)] {
        value.map { [("Accept-Encoding", $0)] } ?? []
    }

    // MARK: - Negotiation table

    func testNegotiationTable() throws {
        // (uri, Accept-Encoding or nil for none, file served, coding, Vary expected)
        let cases: [(String, String?, String, ContentCoding, Bool)] = [
            ("/app.js", nil, "/app.js", .identity, true),
            ("/app.js", "", "/app.js", .identity, true),
            ("/app.js", "gzip, deflate, br, zstd", "/app.js.br", .br, true),
            ("/app.js", "gzip, br", "/app.js.br", .br, true),  // br wins at equal q
            ("/app.js", "br;q=0.8, gzip;q=0.8", "/app.js.br", .br, true),
            ("/app.js", "gzip", "/app.js.gz", .gzip, true),
            ("/app.js", "x-gzip", "/app.js.gz", .gzip, true),
            ("/app.js", "GZIP", "/app.js.gz", .gzip, true),
            ("/app.js", "br;q=0.5, gzip", "/app.js.gz", .gzip, true),
            ("/app.js", "br;q=0, *", "/app.js.gz", .gzip, true),
            ("/app.js", "*", "/app.js.br", .br, true),
            ("/app.js", "identity", "/app.js", .identity, true),
            ("/app.js", "identity;q=1, br;q=0.5", "/app.js", .identity, true),
            ("/app.js", "identity;q=0", "/app.js", .identity, true),  // nothing acceptable: identity
            ("/app.js", "identity;q=0, gzip;q=0.1", "/app.js.gz", .gzip, true),
            ("/app.js", "br;q=2, gzip", "/app.js.gz", .gzip, true),  // invalid q: member ignored
            ("/app.js", "deflate, zstd", "/app.js", .identity, true),
            ("/only-gz.css", "br", "/only-gz.css", .identity, true),
            ("/only-gz.css", "br, gzip", "/only-gz.css.gz", .gzip, true),
            ("/logo.svg", "br, gzip", "/logo.svg.br", .br, true),
            ("/logo.svg", "gzip", "/logo.svg", .identity, true),
            // Stale precompression: a sibling older than the original is ignored.
            ("/stale.js", "br, gzip", "/stale.js.gz", .gzip, true),
            ("/stale.js", "br", "/stale.js", .identity, true),
            ("/all-stale.html", "br, gzip", "/all-stale.html", .identity, true),
            // No siblings: compressible types still say Vary, others do not.
            ("/plain.txt", "br, gzip", "/plain.txt", .identity, true),
            ("/photo.png", "br, gzip", "/photo.png", .identity, false),
            // A sibling makes any type negotiable, and Vary follows.
            ("/blob.bin", "gzip", "/blob.bin.gz", .gzip, true),
            ("/blob.bin", nil, "/blob.bin", .identity, true),
            // Siblings requested directly are ordinary files; a *.gz file has no siblings itself.
            ("/app.js.gz", "gzip, br", "/app.js.gz", .identity, false),
            ("/app.js.br", "br", "/app.js.br", .identity, false),
            ("/archive.tar.gz", "br", "/archive.tar.gz", .identity, false),
            // Unusable siblings: empty, a directory, a link leading outside the root or to a hidden name.
            ("/empty-sibling.js", "br", "/empty-sibling.js", .identity, true),
            ("/dir-sibling.js", "br", "/dir-sibling.js", .identity, true),
            ("/link-out.js", "gzip", "/link-out.js", .identity, true),
            ("/hidden-link.js", "gzip", "/hidden-link.js", .identity, true),
            // Index files have siblings too.
            ("/site/", "br", "/site/index.html.br", .br, true),
            ("/site/", nil, "/site/index.html", .identity, true),
        ]
        for (uri, acceptEncoding, served, coding, vary) in cases {
            let name = "\(uri) [\(acceptEncoding ?? "no Accept-Encoding")]"
            let plan = self.plan(uri, self.ae(acceptEncoding))
            XCTAssertEqual(plan.status, .ok, name)
            XCTAssertEqual(plan.filePath, self.origin.root + served, name)
            XCTAssertEqual(try self.body(plan), self.files[served]?.0, name)
            XCTAssertEqual(plan.headers.first(name: "Content-Encoding"), coding == .identity ? nil : coding.rawValue, name)
            XCTAssertEqual(plan.headers.first(name: "Content-Length"), String(self.files[served]?.0.utf8.count ?? -1), name)
            let typeName = uri.hasSuffix("/") ? "index.html" : uri
            XCTAssertEqual(plan.headers.first(name: "Content-Type"), MIMETypes.contentType(forPath: typeName), name)
            XCTAssertEqual(plan.headers["Vary"], vary ? ["Accept-Encoding"] : [], name)
            XCTAssertEqual(plan.headers.first(name: "ETag"), try self.expectedETag(served, coding), name)
            XCTAssertEqual(plan.headers.first(name: "Accept-Ranges"), "bytes", name)

            // HEAD: the same header fields, no body.
            let head = self.plan(uri, method: .HEAD, self.ae(acceptEncoding))
            XCTAssertEqual(head.headers.map { "\($0.name): \($0.value)" }, plan.headers.map { "\($0.name): \($0.value)" }, name)
            XCTAssertTrue(head.body.isEmpty, name)
        }
    }

    func testVariantValidatorsDiffer() throws {
        let identity = try XCTUnwrap(self.plan("/app.js").headers.first(name: "ETag"))
        let br = try XCTUnwrap(self.plan("/app.js", self.ae("br")).headers.first(name: "ETag"))
        let gzip = try XCTUnwrap(self.plan("/app.js", self.ae("gzip")).headers.first(name: "ETag"))
        XCTAssertEqual(Set([identity, br, gzip]).count, 3)
        XCTAssertTrue(br.hasSuffix("-br\""), br)
        XCTAssertTrue(gzip.hasSuffix("-gzip\""), gzip)
        XCTAssertFalse(br.hasPrefix("W/"))
        // baseETag undoes the suffix, giving the sibling file's own tag (what a streamer can check).
        let parsed = try XCTUnwrap(EntityTag(parsing: br))
        let (baseTag, coding) = CompressionPolicy.baseETag(parsed)
        XCTAssertEqual(coding, .br)
        XCTAssertEqual(baseTag.headerValue, try self.expectedETag("/app.js.br", .identity))
        // Last-Modified is the served file's (app.js.gz is one second newer than app.js).
        XCTAssertEqual(self.plan("/app.js").headers.first(name: "Last-Modified"), HTTPDate.format(self.t0))
        XCTAssertEqual(self.plan("/app.js", self.ae("gzip")).headers.first(name: "Last-Modified"), HTTPDate.format(self.t0 + 1))
    }

    // MARK: - Conditionals on the served variant

    func testConditionalsApplyToTheServedVariant() throws {
        let identityTag = try self.expectedETag("/app.js", .identity)
        let brTag = try self.expectedETag("/app.js.br", .br)
        let gzipTag = try self.expectedETag("/app.js.gz", .gzip)
        // (name, Accept-Encoding, conditional headers, status, served coding on 200)
        let cases: [(String, String?, [(String, String)], HTTPResponseStatus, ContentCoding)] = [
            ("INM br tag, br client", "br", [("If-None-Match", brTag)], .notModified, .br),
            ("INM br tag, gzip client", "gzip", [("If-None-Match", brTag)], .ok, .gzip),
            ("INM gzip tag, gzip client", "gzip", [("If-None-Match", gzipTag)], .notModified, .gzip),
            ("INM identity tag, br client", "br", [("If-None-Match", identityTag)], .ok, .br),
            ("INM identity tag, no AE", nil, [("If-None-Match", identityTag)], .notModified, .identity),
            ("INM list of all tags", "br", [("If-None-Match", "\(identityTag), \(gzipTag), \(brTag)")], .notModified, .br),
            ("INM weak br tag", "br", [("If-None-Match", "W/" + brTag)], .notModified, .br),
            ("If-Match br tag, br client", "br", [("If-Match", brTag)], .ok, .br),
            ("If-Match br tag, gzip client", "gzip", [("If-Match", brTag)], .preconditionFailed, .gzip),
            ("If-Match identity tag, br client", "br", [("If-Match", identityTag)], .preconditionFailed, .br),
            ("IMS of the gzip variant", "gzip", [("If-Modified-Since", HTTPDate.format(self.t0 + 1))], .notModified, .gzip),
            ("IMS older than the gzip variant", "gzip", [("If-Modified-Since", HTTPDate.format(self.t0))], .ok, .gzip),
            ("IMS identity", nil, [("If-Modified-Since", HTTPDate.format(self.t0))], .notModified, .identity),
        ]
        for (name, acceptEncoding, conditionals, status, coding) in cases {
            let plan = self.plan("/app.js", self.ae(acceptEncoding) + conditionals)
            XCTAssertEqual(plan.status, status, name)
            XCTAssertEqual(plan.headers["Vary"], ["Accept-Encoding"], name)
            switch status {
            case .notModified:
                XCTAssertTrue(plan.body.isEmpty, name)
                XCTAssertNil(plan.headers.first(name: "Content-Length"), name)
                let served = coding == .br ? "/app.js.br" : coding == .gzip ? "/app.js.gz" : "/app.js"
                XCTAssertEqual(plan.headers.first(name: "ETag"), try self.expectedETag(served, coding), name)
            case .preconditionFailed:
                XCTAssertTrue(plan.body.isEmpty, name)
                XCTAssertEqual(plan.headers.first(name: "Content-Length"), "0", name)
            default:
                XCTAssertEqual(plan.headers.first(name: "Content-Encoding"), coding == .identity ? nil : coding.rawValue, name)
            }
        }
    }

    // MARK: - Ranges on the served variant

    func testRangesApplyToTheServedVariant() throws {
        let br = self.files["/app.js.br"]!.0  // "BR-app", 6 bytes
        let brTag = try self.expectedETag("/app.js.br", .br)
        // (name, Accept-Encoding, extra headers, status, Content-Range, body, Content-Encoding)
        let cases: [(String, String?, [(String, String)], HTTPResponseStatus, String?, String, String?)] = [
            ("first bytes of br", "br", [("Range", "bytes=0-1")], .partialContent, "bytes 0-1/6", "BR", "br"),
            ("suffix of br", "br", [("Range", "bytes=-3")], .partialContent, "bytes 3-5/6", "app", "br"),
            ("open range of gzip", "gzip", [("Range", "bytes=3-")], .partialContent, "bytes 3-11/12", "app-bytes", "gzip"),
            ("identity range", nil, [("Range", "bytes=0-6")], .partialContent, "bytes 0-6/41", "console", nil),
            ("beyond the br length", "br", [("Range", "bytes=6-")], .rangeNotSatisfiable, "bytes */6", "416 Range Not Satisfiable\n", nil),
            ("several ranges of br: whole variant", "br", [("Range", "bytes=0-0,3-4")], .ok, nil, br, "br"),
            ("If-Range br tag", "br", [("Range", "bytes=0-1"), ("If-Range", brTag)], .partialContent, "bytes 0-1/6", "BR", "br"),
            ("If-Range br tag, gzip client", "gzip", [("Range", "bytes=0-1"), ("If-Range", brTag)], .ok, nil, "GZ-app-bytes", "gzip"),
        ]
        for (name, acceptEncoding, extra, status, contentRange, body, contentEncoding) in cases {
            let plan = self.plan("/app.js", self.ae(acceptEncoding) + extra)
            XCTAssertEqual(plan.status, status, name)
            XCTAssertEqual(plan.headers.first(name: "Content-Range"), contentRange, name)
            XCTAssertEqual(try self.body(plan), body, name)
            XCTAssertEqual(plan.headers.first(name: "Content-Length"), String(body.utf8.count), name)
            XCTAssertEqual(plan.headers.first(name: "Content-Encoding"), contentEncoding, name)
            XCTAssertEqual(plan.headers["Vary"], ["Accept-Encoding"], name)
            if status == .partialContent {
                XCTAssertEqual(plan.headers.first(name: "Content-Type"), "text/javascript; charset=utf-8", name)
            }
        }
        // Several ranges of the identity file are still multipart.
        let multipart = self.plan("/app.js", [("Range", "bytes=0-0,3-4")])
        XCTAssertEqual(multipart.status, .partialContent)
        XCTAssertTrue(multipart.headers.first(name: "Content-Type")?.hasPrefix("multipart/byteranges") ?? false)
        XCTAssertNil(multipart.headers.first(name: "Content-Encoding"))
    }

    // MARK: - Changes on disk

    /// `brotli -k` copies the original's mtime truncated to whole seconds: such a sibling is fresh.
    func testSiblingWithTheOriginalsMtimeTruncatedToSecondsIsFresh() throws {
        var times = [
            timespec(tv_sec: Int(self.t0 + 30), tv_nsec: 815_627_429), timespec(tv_sec: Int(self.t0 + 30), tv_nsec: 815_627_429),
        ]
        XCTAssertEqual(utimensat(AT_FDCWD, self.root + "/app.js", &times, 0), 0)
        times = [timespec(tv_sec: Int(self.t0 + 30), tv_nsec: 0), timespec(tv_sec: Int(self.t0 + 30), tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, self.root + "/app.js.br", &times, 0), 0)
        let plan = self.plan("/app.js", self.ae("br, gzip"))
        XCTAssertEqual(plan.headers.first(name: "Content-Encoding"), "br")
        XCTAssertEqual(plan.filePath, self.origin.root + "/app.js.br")
        // One second older is stale; app.js.gz (t0 + 1) is stale too here.
        times = [timespec(tv_sec: Int(self.t0 + 29), tv_nsec: 999_999_999), timespec(tv_sec: Int(self.t0 + 29), tv_nsec: 999_999_999)]
        XCTAssertEqual(utimensat(AT_FDCWD, self.root + "/app.js.br", &times, 0), 0)
        XCTAssertNil(self.plan("/app.js", self.ae("br, gzip")).headers.first(name: "Content-Encoding"))
    }

    func testSiblingBecomesStaleWhenTheOriginalChanges() throws {
        XCTAssertEqual(self.plan("/app.js", self.ae("br")).headers.first(name: "Content-Encoding"), "br")
        // The original is rewritten after its siblings were made: both become stale.
        let later = Date(timeIntervalSince1970: TimeInterval(self.t0 + 60))
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: self.root + "/app.js")
        let plan = self.plan("/app.js", self.ae("br, gzip"))
        XCTAssertNil(plan.headers.first(name: "Content-Encoding"))
        XCTAssertEqual(plan.filePath, self.origin.root + "/app.js")
        XCTAssertEqual(plan.headers["Vary"], ["Accept-Encoding"])
        // Re-running the precompression (a newer sibling) brings it back.
        let newer = Date(timeIntervalSince1970: TimeInterval(self.t0 + 61))
        try FileManager.default.setAttributes([.modificationDate: newer], ofItemAtPath: self.root + "/app.js.gz")
        XCTAssertEqual(self.plan("/app.js", self.ae("br, gzip")).headers.first(name: "Content-Encoding"), "gzip")
    }
}
