import Foundation
import NIOCore
import TernCompression
import TernPolicy
import TernServer
import TernTesting
import XCTest

/// Compression through the cache: encoded once per coding, negotiated per request, never wrong.
final class CompressionIntegrationTests: XCTestCase {
    var origin: TestOrigin!
    var tern: TernServer!
    static let script = String((0..<400).map { "function f\($0)(a, b) { return a + b * \($0); }\n" }.joined())

    override func setUpWithError() throws {
        let script = Self.script
        self.origin = try TestOrigin.start { request in
            switch request.uri {
            case "/app.js":
                return .ok(script, headers: [("Content-Type", "application/javascript"), ("Cache-Control", "max-age=600"), ("ETag", "\"js1\"")])
            case "/image.png":
                return .ok(script, headers: [("Content-Type", "image/png"), ("Cache-Control", "max-age=600")])
            case "/no-transform.js":
                return .ok(script, headers: [("Content-Type", "application/javascript"), ("Cache-Control", "max-age=600, no-transform")])
            case "/tiny.css":
                return .ok("a{}", headers: [("Content-Type", "text/css"), ("Cache-Control", "max-age=600")])
            default:
                return .status(404)
            }
        }
        self.tern = try startTern(proxyYAML(members: [self.origin.url]))
    }

    override func tearDown() {
        self.tern?.shutdown()
        self.origin?.stop()
    }

    private func fetch(_ path: String, acceptEncoding: String?, extra: [(String, String)] = []) throws -> RawResponse {
        var headers = extra
        if let acceptEncoding { headers.append(("Accept-Encoding", acceptEncoding)) }
        return try get(self.tern.port, path, headers: headers)
    }

    private func decoded(_ response: RawResponse) throws -> String {
        guard let coding = response.header("Content-Encoding") else { return response.bodyString }
        let codingValue = try XCTUnwrap(ContentCoding(rawValue: coding))
        let buffer = try Compression.decompress(ByteBuffer(bytes: response.body), coding: codingValue, maxOutput: 1 << 24, allocator: ByteBufferAllocator())
        return String(buffer: buffer)
    }

    private func waitForVariants() {
        XCTAssertTrue(waitUntil(timeout: 10) {
            (try? self.fetch("/app.js", acceptEncoding: "br"))?.header("Content-Encoding") == "br"
                && (try? self.fetch("/app.js", acceptEncoding: "gzip"))?.header("Content-Encoding") == "gzip"
        }, "encoded variants appear after the first fill")
    }

    func testEveryVariantDecodesToTheOriginBodyAndVaryIsAlwaysPresent() throws {
        let first = try self.fetch("/app.js", acceptEncoding: "br, gzip")
        XCTAssertEqual(first.bodyString, Self.script, "the filling request gets identity")
        XCTAssertEqual(first.header("Vary")?.lowercased(), "accept-encoding")
        self.waitForVariants()
        for accept in ["br", "gzip", "gzip, br", "br;q=0.5, gzip", "identity", nil, "*", "deflate"] as [String?] {
            let response = try self.fetch("/app.js", acceptEncoding: accept)
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(try self.decoded(response), Self.script, "Accept-Encoding: \(accept ?? "absent")")
            XCTAssertEqual(response.header("Vary")?.lowercased(), "accept-encoding", "Vary on every compressible response")
            XCTAssertEqual(response.header("Content-Length"), String(response.body.count))
        }
        XCTAssertEqual(try self.fetch("/app.js", acceptEncoding: "br;q=0.5, gzip").header("Content-Encoding"), "gzip", "q-values decide")
        XCTAssertEqual(try self.fetch("/app.js", acceptEncoding: "gzip, br").header("Content-Encoding"), "br", "br wins at equal q")
        XCTAssertNil(try self.fetch("/app.js", acceptEncoding: nil).header("Content-Encoding"))
        let br = try self.fetch("/app.js", acceptEncoding: "br")
        XCTAssertLessThan(br.body.count, Self.script.utf8.count / 3)
        XCTAssertEqual(self.origin.requestCount, 1)
    }

    func testCompressedOncePerCodingAcrossManyHits() throws {
        _ = try self.fetch("/app.js", acceptEncoding: "br")
        self.waitForVariants()
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        for i in 0..<1000 {
            let coding = i % 2 == 0 ? "br" : "gzip"
            try client.send("GET /app.js HTTP/1.1\r\nHost: 127.0.0.1:\(self.tern.port)\r\nAccept-Encoding: \(coding)\r\n\r\n")
            XCTAssertEqual(try client.readResponse().header("Content-Encoding"), coding)
        }
        let counters = try XCTUnwrap(self.tern.proxy.runtime.compression?.counters)
        XCTAssertEqual(counters[.br]?.compressions.load(ordering: .relaxed), 1)
        XCTAssertEqual(counters[.gzip]?.compressions.load(ordering: .relaxed), 1)
        XCTAssertEqual(self.origin.requestCount, 1)
    }

    func testValidatorsAreDistinctPerCoding() throws {
        _ = try self.fetch("/app.js", acceptEncoding: "br")
        self.waitForVariants()
        let br = try self.fetch("/app.js", acceptEncoding: "br")
        let identity = try self.fetch("/app.js", acceptEncoding: nil)
        let brTag = try XCTUnwrap(br.header("ETag"))
        XCTAssertNotEqual(brTag, identity.header("ETag"))
        XCTAssertEqual(try self.fetch("/app.js", acceptEncoding: "br", extra: [("If-None-Match", brTag)]).status, 304)
        XCTAssertEqual(try self.fetch("/app.js", acceptEncoding: "gzip", extra: [("If-None-Match", brTag)]).status, 200,
                       "a br validator does not match the gzip variant")
    }

    func testNeverCompressed() throws {
        for path in ["/image.png", "/no-transform.js", "/tiny.css"] {
            _ = try self.fetch(path, acceptEncoding: "br, gzip")
        }
        Thread.sleep(forTimeInterval: 0.5)
        for path in ["/image.png", "/no-transform.js", "/tiny.css"] {
            let response = try self.fetch(path, acceptEncoding: "br, gzip")
            XCTAssertNil(response.header("Content-Encoding"), path)
            XCTAssertTrue(response.header("Cache-Status")?.hasPrefix("tern; hit") ?? false, path)
        }
    }
}

/// An origin that already encodes: passed through to clients that accept it, decoded for the rest.
final class OriginEncodingTests: XCTestCase {
    func testOriginGzipIsDecodedForClientsThatCannotTakeIt() throws {
        let text = String(repeating: "already compressed by the origin. ", count: 500)
        let gzipped = try Compression.compress(ByteBuffer(string: text), coding: .gzip, allocator: ByteBufferAllocator())
        let bytes = Array(buffer: gzipped)
        let origin = try TestOrigin.start { request in
            .bytes(bytes, headers: [("Content-Type", "text/plain"), ("Content-Encoding", "gzip"), ("Cache-Control", request.uri == "/nostore" ? "no-store" : "max-age=60")])
        }
        defer { origin.stop() }
        let tern = try startTern(proxyYAML(members: [origin.url]))
        defer { tern.shutdown() }
        for path in ["/stored", "/stored", "/nostore"] {  // miss, hit, uncacheable
            let plain = try get(tern.port, path)
            XCTAssertNil(plain.header("Content-Encoding"), path)
            XCTAssertEqual(plain.bodyString, text, "\(path): decoded for a client without Accept-Encoding: gzip")
            XCTAssertEqual(plain.header("Vary")?.lowercased(), "accept-encoding", path)
            let gzip = try get(tern.port, path, headers: [("Accept-Encoding", "gzip")])
            XCTAssertEqual(gzip.header("Content-Encoding"), "gzip", path)
            XCTAssertEqual(gzip.body, bytes, "\(path): passed through as the origin encoded it")
            let br = try get(tern.port, path, headers: [("Accept-Encoding", "br")])
            XCTAssertNil(br.header("Content-Encoding"), path)
            XCTAssertEqual(br.bodyString, text, path)
        }
        XCTAssertEqual(origin.requests.filter { $0.uri == "/stored" }.count, 1)
    }
}

/// Responses that are not stored are compressed on the fly for clients that accept it.
final class StreamingCompressionTests: XCTestCase {
    func testUncacheableCompressibleResponseIsStreamCompressed() throws {
        let text = String(repeating: "{\"id\": 1, \"name\": \"streamed\"}, ", count: 400)
        let origin = try TestOrigin.start { _ in
            .chunked([String(text.prefix(6000)), String(text.dropFirst(6000))], headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
        }
        defer { origin.stop() }
        let tern = try startTern(proxyYAML(members: [origin.url]))
        defer { tern.shutdown() }
        for coding in [ContentCoding.br, .gzip] {
            let response = try get(tern.port, "/api", headers: [("Accept-Encoding", coding.rawValue)])
            XCTAssertEqual(response.header("Content-Encoding"), coding.rawValue)
            XCTAssertEqual(response.header("Vary")?.lowercased(), "accept-encoding")
            let decoded = try Compression.decompress(ByteBuffer(bytes: response.body), coding: coding, maxOutput: 1 << 22, allocator: ByteBufferAllocator())
            XCTAssertEqual(String(buffer: decoded), text)
            XCTAssertLessThan(response.body.count, text.utf8.count / 4)
        }
        let plain = try get(tern.port, "/api")
        XCTAssertNil(plain.header("Content-Encoding"))
        XCTAssertEqual(plain.bodyString, text)
    }
}
