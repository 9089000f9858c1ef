import NIOCore
import TernServer
import TernTesting
import XCTest

/// Request framing, limits and slow clients (RFC 9112 §6, smuggling defences).
final class ClientProtectionTests: XCTestCase {
    var origin: TestOrigin!
    var tern: TernServer!

    override func setUpWithError() throws {
        self.origin = try TestOrigin.start { request in .ok("ok \(request.body.count)") }
        self.tern = try startTern(proxyYAML(members: [self.origin.url], extraTop: """
            limits:
              max_header_bytes: 4KiB
              max_header_count: 20
              max_uri_bytes: 256
              max_request_body: 1KiB
              header_timeout: 300ms
              body_idle_timeout: 300ms
            """))
    }

    override func tearDown() {
        self.tern?.shutdown()
        self.origin?.stop()
    }

    /// Sends raw bytes, expects `status` and a closed connection, and that no request reached the origin.
    private func expectRejected(_ raw: String, status: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send(raw)
        let response = try client.readResponse()
        XCTAssertEqual(response.status, status, file: file, line: line)
        XCTAssertTrue(client.isClosedByPeer(within: 2), "connection must close", file: file, line: line)
        XCTAssertEqual(self.origin.requestCount, 0, "nothing reaches the origin", file: file, line: line)
    }

    func testContentLengthWithTransferEncodingRejected() throws {
        try self.expectRejected(
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400)
    }

    func testDifferingContentLengthsRejected() throws {
        try self.expectRejected("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", status: 400)
    }

    func testInvalidChunkSizeRejected() throws {
        try self.expectRejected("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", status: 400)
    }

    func testOversizedHeadersGet431() throws {
        let big = String(repeating: "a", count: 5000)
        try self.expectRejected("GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(big)\r\n\r\n", status: 431)
    }

    func testTooManyHeadersGet431() throws {
        let many = (0..<30).map { "X-H\($0): v\r\n" }.joined()
        try self.expectRejected("GET / HTTP/1.1\r\nHost: t\r\n\(many)\r\n", status: 431)
    }

    func testLongURIGets414() throws {
        try self.expectRejected("GET /\(String(repeating: "u", count: 300)) HTTP/1.1\r\nHost: t\r\n\r\n", status: 414)
    }

    func testOversizedBodyGets413() throws {
        try self.expectRejected("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n", status: 413)
        // A chunked body crossing the limit mid-stream is stopped too.
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        let chunk = String(repeating: "x", count: 600)
        try client.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n")
        let status = (try? client.readResponse().status) ?? 0
        XCTAssertTrue(status == 413 || client.isClosedByPeer(within: 2), "got \(status)")
    }

    func testMissingHostRejected() throws {
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("GET / HTTP/1.1\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 400)
    }

    func testEmptyHostAndBadConnectTargetRejected() throws {
        // An empty Host names nothing to route by (nginx answers 400 too); CONNECT needs host:port.
        for (request, status) in [("GET / HTTP/1.1\r\nHost: \r\n\r\n", 400), ("GET / HTTP/1.0\r\nHost:\r\n\r\n", 400),
                                  ("CONNECT www.example.com HTTP/1.1\r\nHost: t\r\n\r\n", 400),
                                  ("CONNECT www.example.com:443 HTTP/1.1\r\nHost: t\r\n\r\n", 405)] {
            let client = try RawHTTPClient(port: self.tern.port)
            defer { client.close() }
            try client.send(request)
            XCTAssertEqual(try client.readResponse().status, status, request.debugDescription)
        }
        XCTAssertEqual(try get(self.tern.port, "/after").status, 200)
    }

    func testSlowlorisConnectionIsClosed() throws {
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("GET / HTTP/1.1\r\nHost: t\r\n")
        // Never finish the head: the header timeout (300ms) closes the connection.
        XCTAssertTrue(client.isClosedByPeer(within: 3))
        XCTAssertEqual(self.origin.requestCount, 0)
    }

    func testStalledBodyTimesOut() throws {
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly-a-little")
        let status = (try? client.readResponse().status) ?? 0
        XCTAssertTrue(status == 408 || client.isClosedByPeer(within: 3), "got \(status)")
        XCTAssertTrue(client.isClosedByPeer(within: 3))
    }

    func testValidRequestStillWorksAfterRejects() throws {
        XCTAssertEqual(try get(self.tern.port, "/").bodyString, "ok 0")
    }
}

/// Regressions found by the CRS-over-HTTP runner (helper report, 2026-11-27).
final class HalfCloseAndAbortTests: XCTestCase {
    func testHalfClosedClientStillGetsItsAnswer() throws {
        let origin = try TestOrigin.start { _ in .ok("answered") }
        defer { origin.stop() }
        let tern = try startTern(proxyYAML(members: [origin.url]))
        defer { tern.shutdown() }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(tern.port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(rc, 0)
        let request = "GET /h HTTP/1.1\r\nHost: t\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        shutdown(fd, Int32(SHUT_WR))
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        let text = String(decoding: received, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200"), text)
        XCTAssertTrue(text.hasSuffix("answered"), text)
    }

    func testClientLeavingDuringFirstConnectDoesNotStallTheNextRequest() throws {
        let origin = try TestOrigin.start { _ in .ok("ok", headers: [("Cache-Control", "max-age=60")]) }
        defer { origin.stop() }
        let tern = try startTern(proxyYAML(members: [origin.url]))
        defer { tern.shutdown() }
        let leaving = try RawHTTPClient(port: tern.port)
        try leaving.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n")
        leaving.close()
        let started = Date()
        XCTAssertEqual(try get(tern.port, "/first", headers: [("Host", "t")]).bodyString, "ok")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2, "the abandoned leader must finish its fetch, not hold the lock")
    }

    func testUnparseableMethodsGet400() throws {
        let origin = try TestOrigin.start { _ in .ok("ok") }
        defer { origin.stop() }
        let tern = try startTern(proxyYAML(members: [origin.url]))
        defer { tern.shutdown() }
        let other = try RawHTTPClient(port: tern.port)
        defer { other.close() }
        // 400 like nginx and Apache: the CRS regression suite expects it for these stages.
        try other.send("FOO / HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try other.readResponse().status, 400)
        XCTAssertEqual(origin.requestCount, 0)
    }
}
