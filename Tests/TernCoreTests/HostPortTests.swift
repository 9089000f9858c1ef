import TernCore
import XCTest

final class HostPortTests: XCTestCase {
    func testParseAccepts() {
        let cases: [(String, String, Int, String, UInt)] = [
            ("127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080", #line),
            ("[::1]:8080", "::1", 8080, "[::1]:8080", #line),
            ("[0:0::1]:443", "::1", 443, "[::1]:443", #line),
            ("localhost:80", "localhost", 80, "localhost:80", #line),
            ("Example.COM:1", "example.com", 1, "example.com:1", #line),
            ("0.0.0.0:0", "0.0.0.0", 0, "0.0.0.0:0", #line),
            ("[::]:65535", "::", 65535, "[::]:65535", #line),
            ("my_host-1.internal:9000", "my_host-1.internal", 9000, "my_host-1.internal:9000", #line),
        ]
        for (text, host, port, description, line) in cases {
            let parsed = HostPort.parse(text)
            XCTAssertEqual(parsed, HostPort(host: host, port: port), text, line: line)
            XCTAssertEqual(parsed?.description, description, line: line)
        }
    }

    func testParseRejects() {
        let cases: [(String, UInt)] = [
            ("", #line), ("localhost", #line), ("localhost:", #line), (":8080", #line), ("host:65536", #line),
            ("host:-1", #line), ("host:80x", #line), ("::1:8080", #line), ("[::1]", #line), ("[::1]8080", #line),
            ("[1.2.3.4]:80", #line), ("[::1:80", #line), ("bad host:80", #line), ("-bad:80", #line),
            ("999.1.1.1:80", #line), ("a..b:80", #line), ("host:123456", #line), ("http://host:80", #line),
        ]
        for (text, line) in cases {
            XCTAssertNil(HostPort.parse(text), text, line: line)
        }
    }
}
