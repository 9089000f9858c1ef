import NIOHTTP1
import TernPolicy
import XCTest

/// Hop-by-hop stripping and forwarding fields (RFC 9110 §7.6), routing and request targets.
final class ProxyHeadersTests: XCTestCase {
    func testStripHopByHopTable() {
        let cases: [(input: [(String, String)], kept: [String])] = [
            ([("Host", "a"), ("Accept", "*/*")], ["host", "accept"]),
            ([("Connection", "close"), ("Host", "a")], ["host"]),
            ([("Connection", "X-Foo, x-bar"), ("X-Foo", "1"), ("X-Bar", "2"), ("X-Baz", "3")], ["x-baz"]),
            ([("Keep-Alive", "timeout=5"), ("Proxy-Connection", "keep-alive"), ("TE", "trailers"),
              ("Trailer", "X"), ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"), ("Via", "1.1 x")], ["via"]),
            ([("CONNECTION", " X-One ,,X-Two "), ("x-one", "1"), ("X-TWO", "2"), ("Cookie", "c")], ["cookie"]),
        ]
        for (input, kept) in cases {
            var headers = HTTPHeaders(input)
            ProxyHeaders.stripHopByHop(&headers)
            XCTAssertEqual(headers.map { $0.name.lowercased() }, kept, "input: \(input)")
        }
    }

    /// Same answers as NIO's own reading (`HTTPRequestHead.isKeepAlive` on headers built without
    /// llhttp's note).
    func testIsKeepAliveMatchesNIO() {
        let fieldSets: [[(String, String)]] = [
            [], [("Connection", "close")], [("Connection", "keep-alive")], [("connection", "Keep-Alive")],
            [("Connection", "CLOSE")], [("Connection", "upgrade, close")], [("Connection", " keep-alive , x-foo")],
            [("Connection", "close, keep-alive")], [("Connection", "close"), ("Connection", "close")],
            [("Connection", "keep-alive"), ("Connection", "keep-alive")], [("Connection", "x-close")],
            [("Connection", "")], [("Connection", ",,close,,")], [("X-Connection", "close")], [("Connectionx", "close")],
            [("Host", "a"), ("Connection", "te"), ("TE", "trailers")],
        ]
        for fields in fieldSets {
            for version in [HTTPVersion.http1_0, .http1_1] {
                let headers = HTTPHeaders(fields)
                let nio = HTTPRequestHead(version: version, method: .GET, uri: "/", headers: headers).isKeepAlive
                XCTAssertEqual(ProxyHeaders.isKeepAlive(headers, version: version), nio, "\(fields) \(version)")
            }
        }
    }

    func testIsHopByHop() {
        for name in ["connection", "Keep-Alive", "PROXY-CONNECTION", "te", "Trailer", "transfer-encoding", "Upgrade"] {
            XCTAssertTrue(ProxyHeaders.isHopByHop(name), name)
        }
        for name in ["trailers", "tea", "content-length", "connections", "via", ""] {
            XCTAssertFalse(ProxyHeaders.isHopByHop(name), name)
        }
    }

    func testPrepareRequestUntrustedPeerReplacesForwardingFields() {
        var headers = HTTPHeaders([
            ("Host", "example.com"), ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "evil"), ("Forwarded", "for=6.6.6.6"), ("Expect", "100-continue"), ("Connection", "close"),
        ])
        ProxyHeaders.prepareRequest(&headers, version: .http1_1, forwarding: ForwardingContext(peerAddress: "192.0.2.1", peerIsTrusted: false))
        XCTAssertEqual(headers["x-forwarded-for"], ["192.0.2.1"])
        XCTAssertEqual(headers["x-forwarded-proto"], ["http"])
        XCTAssertEqual(headers["x-forwarded-host"], ["example.com"])
        XCTAssertEqual(headers["forwarded"], [], "an untrusted Forwarded field is dropped")
        XCTAssertEqual(headers["expect"], [])
        XCTAssertEqual(headers["connection"], [])
        XCTAssertEqual(headers["via"], ["1.1 tern"])
        XCTAssertEqual(headers["host"], ["example.com"])
    }

    func testPrepareRequestTrustedPeerExtendsChain() {
        var headers = HTTPHeaders([
            ("Host", "example.com"), ("X-Forwarded-For", "203.0.113.5, 10.0.0.2"), ("X-Forwarded-Proto", "https"),
            ("Forwarded", "for=203.0.113.5"), ("Via", "1.1 front"),
        ])
        let context = ForwardingContext(peerAddress: "2001:db8::7", peerIsTrusted: true, addForwarded: true, upstreamHost: "origin.internal:8080")
        ProxyHeaders.prepareRequest(&headers, version: .http1_0, forwarding: context)
        XCTAssertEqual(headers["x-forwarded-for"], ["203.0.113.5, 10.0.0.2, 2001:db8::7"])
        XCTAssertEqual(headers["x-forwarded-proto"], ["https"])
        XCTAssertEqual(headers["forwarded"], ["for=203.0.113.5, for=\"[2001:db8::7]\";proto=http;host=example.com"])
        XCTAssertEqual(headers["via"], ["1.1 front, 1.0 tern"])
        XCTAssertEqual(headers["host"], ["origin.internal:8080"])
        XCTAssertEqual(headers["x-forwarded-host"], ["example.com"])
    }

    func testPrepareResponseHidesBackendAndAddsVia() {
        var headers = HTTPHeaders([("Server", "Apache"), ("X-Powered-By", "PHP"), ("Connection", "X-Debug"), ("X-Debug", "1"), ("ETag", "\"a\"")])
        ProxyHeaders.prepareResponse(&headers, version: .http1_1, hide: ["server", "x-powered-by"], viaPseudonym: "edge")
        XCTAssertEqual(headers.map(\.name), ["ETag", "Via"])
        XCTAssertEqual(headers["via"], ["1.1 edge"])
        var keep = HTTPHeaders([("Server", "Apache")])
        ProxyHeaders.prepareResponse(&keep, version: .http1_1, hide: [], viaPseudonym: nil)
        XCTAssertEqual(keep["server"], ["Apache"])
    }
}

final class RouteTableTests: XCTestCase {
    func testPrecedenceTable() {
        let table = RouteTable([
            .init(host: nil, pathPrefix: "/", target: 0),
            .init(host: nil, pathPrefix: "/api", target: 1),
            .init(host: nil, pathPrefix: "/api/v2/", target: 2),
            .init(host: "*.cdn.example.com", pathPrefix: "/", target: 3),
            .init(host: "img.cdn.example.com", pathPrefix: "/", target: 4),
            .init(host: "Shop.Example.com", pathPrefix: "/cart", target: 5),
            .init(host: nil, pathPrefix: "/api", target: 6),  // duplicate: the first wins
        ])
        let cases: [(host: String?, path: String, target: Int?)] = [
            (nil, "/", 0), (nil, "/index.html", 0),
            ("a", "/api", 1), ("a", "/api/", 1), ("a", "/api/users", 1), ("a", "/apiary", 0),
            ("a", "/api/v2", 1), ("a", "/api/v2/x", 2),
            ("x.cdn.example.com", "/a", 3), ("a.b.cdn.example.com", "/", 3), ("cdn.example.com", "/", 0),
            ("img.cdn.example.com", "/logo.png", 4), ("IMG.CDN.example.com:8443", "/", 4), ("img.cdn.example.com.", "/", 4),
            ("shop.example.com", "/cart/1", 5), ("shop.example.com", "/api", 1), ("shop.example.com", "/", 0),
        ]
        for c in cases {
            XCTAssertEqual(table.match(host: c.host, path: c.path), c.target, "\(c.host ?? "-") \(c.path)")
        }
        XCTAssertNil(RouteTable([.init(host: nil, pathPrefix: "/api", target: 0)]).match(host: "a", path: "/"))
    }

    func testNormalizedHost() {
        XCTAssertEqual(RouteTable.normalizedHost("Example.COM:80"), "example.com")
        XCTAssertEqual(RouteTable.normalizedHost("[::1]:8080"), "[::1]")
        XCTAssertEqual(RouteTable.normalizedHost("[::1]"), "[::1]")
        XCTAssertEqual(RouteTable.normalizedHost("a.b."), "a.b")
    }
}

final class RequestTargetTests: XCTestCase {
    func testForms() {
        let cases: [(uri: String, path: String?, query: String?, host: String?)] = [
            ("/", "/", nil, nil),
            ("/a/b?c=d&e", "/a/b", "c=d&e", nil),
            ("/a?", "/a", "", nil),
            ("/%2e%2e/x", "/%2e%2e/x", nil, nil),
            ("http://Example.com:8080/p?q", "/p", "q", "Example.com:8080"),
            ("HTTP://example.com", "/", nil, "example.com"),
            ("http://example.com?x=1", "/", "x=1", "example.com"),
            ("*", "*", nil, nil),
        ]
        for c in cases {
            let target = RequestTarget(uri: c.uri)
            XCTAssertEqual(target?.path, c.path, c.uri)
            XCTAssertEqual(target?.query, c.query, c.uri)
            XCTAssertEqual(target?.host, c.host, c.uri)
        }
    }

    func testRejectsWhatCannotBeForwarded() {
        for uri in ["", "a/b", "/a b", "/a\"b", "/a#frag", "/a\u{7F}", "/caf\u{E9}", "/a<b>", "/{x}", "/a|b", "/a\\b",
                    "ftp://x/y", "http://user@host/", "http:///path", "/\r\nX: y"] {
            XCTAssertNil(RequestTarget(uri: uri), uri.debugDescription)
        }
    }
    func testAuthorityForm() {
        let cases: [(String, Bool)] = [
            ("www.example.com:80", true), ("1.2.3.4:443", true), ("[::1]:8443", true), ("[2001:db8::a]:1", true),
            ("www.cnn.com", false), ("host:", false), (":80", false), ("host:123456", false), ("host:8o", false),
            ("[::1]", false), ("[]:80", false), ("[::g]:80", false), ("user@host:80", false), ("/path:80", false),
            ("http://host:80", false), ("a b:80", false), ("", false),
        ]
        for (uri, expected) in cases {
            XCTAssertEqual(RequestTarget.isAuthorityForm(uri), expected, uri.debugDescription)
        }
    }
}
