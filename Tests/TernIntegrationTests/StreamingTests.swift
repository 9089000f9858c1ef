import Foundation
import NIOCore
import TernServer
import TernTesting
import XCTest

/// Large bodies move through with flat memory in both directions (backpressure end to end).
final class StreamingTests: XCTestCase {
    var origin: TestOrigin!
    var tern: TernServer!

    override func tearDown() {
        self.tern?.shutdown()
        self.origin?.stop()
    }

    /// Reads a response with a Content-Length body from `fd`, verifying the origin's byte pattern
    /// as it streams, sampling this process's RSS. Returns (bytes, peak RSS growth).
    private func streamDownload(port: Int, path: String, expected: Int, readDelayEvery: Int = 0) throws -> (Int, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(rc, 0)
        let request = "GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let baseline = residentBytes()
        var peak = baseline
        var header: [UInt8] = []
        var bodyBytes = 0
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var reads = 0
        var inBody = false
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            var start = 0
            if !inBody {
                header.append(contentsOf: buffer[0..<n])
                guard let end = header.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
                inBody = true
                let bodyPart = header[end.upperBound...]
                for (i, byte) in bodyPart.enumerated() where byte != UInt8((bodyBytes + i) % 251) {
                    XCTFail("corrupt byte at \(bodyBytes + i)")
                    return (bodyBytes, peak - baseline)
                }
                bodyBytes += bodyPart.count
                start = n
            }
            if start < n {
                for i in start..<n where buffer[i] != UInt8((bodyBytes + i - start) % 251) {
                    XCTFail("corrupt byte at \(bodyBytes + i - start)")
                    return (bodyBytes, peak - baseline)
                }
                bodyBytes += n - start
            }
            reads += 1
            if reads % 64 == 0 { peak = max(peak, residentBytes()) }
            if readDelayEvery > 0, reads % readDelayEvery == 0 { usleep(2_000) }
            if bodyBytes >= expected { break }
        }
        return (bodyBytes, peak - baseline)
    }

    func testLargeDownloadStreamsWithBoundedMemory() throws {
        let size = 512 * 1024 * 1024
        self.origin = try TestOrigin.start { _ in
            .generated(totalBytes: size, chunkSize: 64 * 1024, useContentLength: true)
        }
        self.tern = try startTern(proxyYAML(members: [self.origin.url]))
        let (bytes, growth) = try self.streamDownload(port: self.tern.port, path: "/big", expected: size, readDelayEvery: 512)
        XCTAssertEqual(bytes, size)
        // If the proxy buffered the body, RSS would grow by hundreds of MiB.
        XCTAssertLessThan(growth, 96 * 1024 * 1024, "RSS grew by \(growth / 1_048_576) MiB")
    }

    func testLargeUploadStreamsThrough() throws {
        // The origin counts bytes rather than keeping them (TestOrigin buffers bodies, so use a
        // modest size here; flat memory on uploads is exercised by the same backpressure path).
        self.origin = try TestOrigin.start { request in
            var ok = true
            for (i, byte) in request.body.enumerated() where byte != UInt8(i % 251) { ok = false; break }
            return .ok("\(request.body.count) \(ok)")
        }
        self.tern = try startTern(proxyYAML(members: [self.origin.url]))
        let size = 32 * 1024 * 1024
        let client = try RawHTTPClient(port: self.tern.port, timeout: 30)
        defer { client.close() }
        try client.send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(size)\r\n\r\n")
        let body = TestResponse.patternBytes(count: size)
        var offset = 0
        while offset < size {
            let end = min(offset + 1 << 20, size)
            try client.send(Array(body[offset..<end]))
            offset = end
        }
        XCTAssertEqual(try client.readResponse().bodyString, "\(size) true")
    }
}
