import TernCore
import XCTest

final class OriginURLTests: XCTestCase {
    func testParseAccepts() {
        // (text, host, port, basePath, description)
        let cases: [(String, String, Int, String, String, UInt)] = [
            ("http://127.0.0.1:9000", "127.0.0.1", 9000, "", "http://127.0.0.1:9000", #line),
            ("http://example.com", "example.com", 80, "", "http://example.com", #line),
            ("http://example.com/", "example.com", 80, "", "http://example.com", #line),
            ("HTTP://Example.com:80", "example.com", 80, "", "http://example.com", #line),
            ("http://[::1]:9000/base", "::1", 9000, "/base", "http://[::1]:9000/base", #line),
            ("http://[::1]/base/", "::1", 80, "/base", "http://[::1]/base", #line),
            ("http://app.internal:8080/api/v1", "app.internal", 8080, "/api/v1", "http://app.internal:8080/api/v1", #line),
            ("http://h:1/a%20b", "h", 1, "/a%20b", "http://h:1/a%20b", #line),
        ]
        for (text, host, port, basePath, description, line) in cases {
            let url = OriginURL.parse(text)
            XCTAssertEqual(url, OriginURL(scheme: "http", host: host, port: port, basePath: basePath), text, line: line)
            XCTAssertEqual(url?.description, description, line: line)
        }
        XCTAssertEqual(OriginURL.parse("http://[::1]:9000")?.authority, "[::1]:9000")
        XCTAssertEqual(OriginURL.parse("http://example.com")?.authority, "example.com")
        XCTAssertEqual(OriginURL.parse("http://example.com:81")?.hostPort, HostPort(host: "example.com", port: 81))
    }

    func testParseRejects() {
        let cases: [(String, UInt)] = [
            ("", #line), ("example.com", #line), ("127.0.0.1:9000", #line), ("https://example.com", #line),
            ("ftp://example.com", #line), ("http://", #line), ("http:///path", #line), ("http://user@host", #line),
            ("http://user:pw@host:80", #line), ("http://host/?q=1", #line), ("http://host/#frag", #line),
            ("http://host:0", #line), ("http://host:70000", #line), ("http://host:", #line), ("http://::1:80", #line),
            ("http://host/a b", #line), ("http://host/a%zz", #line), ("http://host//a", #line), ("http:/host", #line),
            ("http://ho st", #line), ("http://host\\a", #line),
        ]
        for (text, line) in cases {
            XCTAssertNil(OriginURL.parse(text), text, line: line)
        }
    }
}
