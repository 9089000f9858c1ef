@testable import TernPolicy
import XCTest

final class CanonicalRequestTests: XCTestCase {
    // MARK: Paths

    func testPathTable() throws {
        let cases: [(String, String, UInt)] = [
            ("/", "/", #line),
            ("/a/b", "/a/b", #line),
            ("/a/b/", "/a/b/", #line),
            ("//private/s", "/private/s", #line),
            ("/a//b///c", "/a/b/c", #line),
            ("/./private/s", "/private/s", #line),
            ("/x/../private/s", "/private/s", #line),
            ("/x/y/../../private/s", "/private/s", #line),
            ("/%70rivate/s", "/private/s", #line),
            ("/%2e/private/s", "/private/s", #line),
            ("/%2E%2E/x", "", #line),  // above root
            ("/a/%2e%2e/private/s", "/private/s", #line),
            ("/a/.%2E/private", "/private", #line),
            ("/a/b/..", "/a/", #line),
            ("/a/b/.", "/a/b/", #line),
            ("/a/b/./", "/a/b/", #line),
            ("/.", "/", #line),
            ("/a/..", "/", #line),
            ("/.well-known/x", "/.well-known/x", #line),
            ("/a/..b/c", "/a/..b/c", #line),
            ("/a/...", "/a/...", #line),
            ("/%7euser", "/~user", #line),
            ("/a%2db", "/a-b", #line),
            ("/caf%c3%a9", "/caf%C3%A9", #line),
            ("/a%20b", "/a%20b", #line),
            ("/a%3b", "/a%3B", #line),
            ("/%41%42", "/AB", #line),
            ("/a;p=1/b", "/a;p=1/b", #line),
            ("/a%3Bb", "/a%3Bb", #line),
        ]
        for (input, expected, line) in cases {
            if expected.isEmpty {
                XCTAssertThrowsError(try CanonicalRequest.canonicalPath(input, encodedSlashes: .reject), line: line)
            } else {
                XCTAssertEqual(try CanonicalRequest.canonicalPath(input, encodedSlashes: .reject), expected, input, line: line)
            }
        }
    }

    func testPathErrors() {
        let cases: [(String, CanonicalizationError, UInt)] = [
            ("/../x", .pathAboveRoot, #line),
            ("/a/../../x", .pathAboveRoot, #line),
            ("/..", .pathAboveRoot, #line),
            ("/%2e%2e", .pathAboveRoot, #line),
            ("/a%", .badPercentEncoding, #line),
            ("/a%4", .badPercentEncoding, #line),
            ("/a%zz", .badPercentEncoding, #line),
            ("/a%00b", .encodedNUL, #line),
            ("/a%2Fb", .encodedSlash, #line),
            ("/a%2fb", .encodedSlash, #line),
            ("/a%5Cb", .encodedSlash, #line),
            ("/a%5c..%5cprivate", .encodedSlash, #line),
        ]
        for (input, expected, line) in cases {
            XCTAssertThrowsError(try CanonicalRequest.canonicalPath(input, encodedSlashes: .reject), line: line) { error in
                XCTAssertEqual(error as? CanonicalizationError, expected, input, line: line)
            }
        }
    }

    func testEncodedSlashPolicies() throws {
        XCTAssertEqual(try CanonicalRequest.canonicalPath("/a%2fb", encodedSlashes: .keep), "/a%2Fb")
        XCTAssertEqual(try CanonicalRequest.canonicalPath("/a%5cb", encodedSlashes: .keep), "/a%5Cb")
        XCTAssertEqual(try CanonicalRequest.canonicalPath("/a%2fb", encodedSlashes: .decode), "/a/b")
        XCTAssertEqual(try CanonicalRequest.canonicalPath("/x%2F..%2Fprivate", encodedSlashes: .decode), "/private")
        XCTAssertEqual(try CanonicalRequest.canonicalPath("/x%5C..%5Cprivate", encodedSlashes: .decode), "/private")
        XCTAssertEqual(try CanonicalRequest.canonicalPath("%2F%2Fa", encodedSlashes: .decode), "/a")
        // Kept escapes are data: no dot-segment removal across them.
        XCTAssertEqual(try CanonicalRequest.canonicalPath("/x%2F..%2Fprivate", encodedSlashes: .keep), "/x%2F..%2Fprivate")
    }

    func testQuery() {
        XCTAssertEqual(CanonicalRequest.canonicalQuery("a=1&b=2"), "a=1&b=2")
        XCTAssertEqual(CanonicalRequest.canonicalQuery("a=%7e&b=%2f"), "a=~&b=%2F")
        XCTAssertEqual(CanonicalRequest.canonicalQuery("a=%zz%"), "a=%zz%")
        XCTAssertEqual(CanonicalRequest.canonicalQuery("q=a+b"), "q=a+b")
    }

    // MARK: Hosts

    func testAuthorityTable() {
        let cases: [(String, String?, UInt)] = [
            ("example.com", "example.com", #line),
            ("Example.COM", "example.com", #line),
            ("example.com.", "example.com", #line),
            ("example.com:80", "example.com", #line),
            ("example.com:080", "example.com", #line),
            ("example.com:", "example.com", #line),
            ("example.com:8080", "example.com:8080", #line),
            ("EXAMPLE.com.:8080", "example.com:8080", #line),
            ("h", "h", #line),
            ("H.", "h", #line),
            ("h:80", "h", #line),
            ("my_host.internal", "my_host.internal", #line),
            ("127.0.0.1", "127.0.0.1", #line),
            ("127.0.0.1:8080", "127.0.0.1:8080", #line),
            ("127.0.0.1:80", "127.0.0.1", #line),
            ("[::1]", "[::1]", #line),
            ("[::1]:80", "[::1]", #line),
            ("[::1]:8080", "[::1]:8080", #line),
            ("[0:0:0:0:0:0:0:1]", "[::1]", #line),
            ("[2001:DB8::1]", "[2001:db8::1]", #line),
            // Refused.
            ("h/evil", nil, #line),
            ("h, evil", nil, #line),
            ("h,evil", nil, #line),
            ("u@h", nil, #line),
            ("h:abc", nil, #line),
            ("h:99999", nil, #line),
            ("h:123456", nil, #line),
            ("h:-1", nil, #line),
            ("", nil, #line),
            (".", nil, #line),
            ("a..b", nil, #line),
            (".a", nil, #line),
            ("h..", nil, #line),
            ("h%2fevil", nil, #line),
            ("h evil", nil, #line),
            ("h\tevil", nil, #line),
            ("[::1", nil, #line),
            ("[::1]x", nil, #line),
            ("[fe80::1%eth0]", nil, #line),
            ("[127.0.0.1]", nil, #line),
            ("::1", nil, #line),
            ("1.2.3.256", nil, #line),
            ("01.2.3.4", nil, #line),
            ("1.2.3", nil, #line),
            ("h:80:80", nil, #line),
            ("caf\u{e9}.example", nil, #line),
            (String(repeating: "a", count: 64) + ".example", nil, #line),
        ]
        for (input, expected, line) in cases {
            let result = try? CanonicalRequest.canonicalAuthority(input, defaultPort: 80)
            XCTAssertEqual(result, expected, "'\(input)'", line: line)
        }
    }

    /// The allocation-free fast path accepts only what the full parser leaves unchanged.
    func testFastPathAgreesWithFullParser() {
        var inputs = ["a", "a.b", "a-b.c_d", "1.2.3.4", "10.0.0.1:8080", "0.0.0.0", "255.255.255.255", "a:1", "a:65535",
                      "a:65536", "a:0", "a:08", "a:80", "1.2.3.04", "1.2.3.4.5", "1.2.3", "a.", "a:", "A", "300.1.1.1", "9a.1",
                      "1.2.3.4:80", "a..b", ".a", "a:1:2", "1.2.3.4:", "00.1.2.3", "a.b.c.d"]
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("a0.:9_-Z")
        for _ in 0..<3000 {
            inputs.append(String((0..<Int.random(in: 1...9, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        for input in inputs where CanonicalRequest.isCanonicalRegName(input, defaultPort: 80) {
            XCTAssertEqual(try? CanonicalRequest.parseAuthority(input, defaultPort: 80), input, input)
        }
        XCTAssertTrue(CanonicalRequest.isCanonicalRegName("127.0.0.1:8080", defaultPort: 80))
        XCTAssertTrue(CanonicalRequest.isCanonicalRegName("example.com", defaultPort: 80))
        XCTAssertFalse(CanonicalRequest.isCanonicalRegName("example.com:80", defaultPort: 80))
    }

    func testMakeUsesAbsoluteFormAuthority() throws {
        let target = try XCTUnwrap(RequestTarget(uri: "http://Other.Example:80/%7Ea/./b?x=%7e"))
        let canonical = try CanonicalRequest.make(target: target, hostField: "h")
        XCTAssertEqual(canonical, CanonicalRequest(authority: "other.example", path: "/~a/b", query: "x=~"))
        XCTAssertEqual(canonical.originForm, "/~a/b?x=~")
        let noHost = try CanonicalRequest.make(target: XCTUnwrap(RequestTarget(uri: "/a")), hostField: nil)
        XCTAssertNil(noHost.authority)
        let asterisk = try CanonicalRequest.make(target: XCTUnwrap(RequestTarget(uri: "*")), hostField: "h")
        XCTAssertEqual(asterisk.path, "*")
        XCTAssertThrowsError(try CanonicalRequest.make(target: XCTUnwrap(RequestTarget(uri: "/a")), hostField: "h/evil"))
    }

    // MARK: Properties

    /// Random spellings of one canonical path (escaped unreserved bytes, lower-case hex, `./`, `x/../`,
    /// doubled slashes) canonicalise to it; and canonicalisation is idempotent, so two paths with different
    /// canonical forms never meet.
    func testSpellingsOfOnePathShareTheCanonicalForm() throws {
        var rng = SplitMix64(seed: 0x7e42)
        let alphabet = Array("abcXYZ019-._~")
        for _ in 0..<400 {
            let segmentCount = Int.random(in: 1...4, using: &rng)
            var segments: [String] = []
            for _ in 0..<segmentCount {
                var segment = String((0..<Int.random(in: 1...5, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                if segment == "." || segment == ".." { segment += "z" }
                segments.append(segment)
            }
            let canonical = "/" + segments.joined(separator: "/")
            XCTAssertEqual(try CanonicalRequest.canonicalPath(canonical, encodedSlashes: .reject), canonical)
            for _ in 0..<5 {
                let spelling = Self.respell(segments, using: &rng)
                XCTAssertEqual(try CanonicalRequest.canonicalPath(spelling, encodedSlashes: .reject), canonical, spelling)
                // Idempotent.
                let once = try CanonicalRequest.canonicalPath(spelling, encodedSlashes: .reject)
                XCTAssertEqual(try CanonicalRequest.canonicalPath(once, encodedSlashes: .reject), once)
            }
        }
    }

    /// A route table and a cache key see one request whatever its spelling: equivalent spellings get the
    /// same route and key; the denied route can't be reached by any spelling of its paths.
    func testRouteAndKeyFollowTheCanonicalForm() throws {
        let table = RouteTable([
            .init(host: nil, pathPrefix: "/", target: 0),
            .init(host: nil, pathPrefix: "/private", target: 1),
        ])
        var rng = SplitMix64(seed: 99)
        for segments in [["private", "s"], ["private"], ["privateer", "x"], ["x", "private"], ["pub", "a.b"]] {
            let canonical = "/" + segments.joined(separator: "/")
            let expectedRoute = table.match(host: "h", path: canonical)
            let expectedKey = CacheKey.primary(scheme: "http", host: "h", path: canonical, query: "t=1", requestHeaders: [:], options: .default, partition: "p")
            for _ in 0..<50 {
                let spelling = Self.respell(segments, using: &rng)
                let target = try XCTUnwrap(RequestTarget(uri: spelling + "?t=%31"), spelling)
                let request = try CanonicalRequest.make(target: target, hostField: ["H", "h.", "h:80", "h"].randomElement(using: &rng)!)
                XCTAssertEqual(table.match(host: request.authority, path: request.path), expectedRoute, spelling)
                let key = CacheKey.primary(
                    scheme: "http", host: request.authority ?? "", path: request.path, query: request.query, requestHeaders: [:], options: .default,
                    partition: "p"
                )
                XCTAssertEqual(key, expectedKey, spelling)
            }
        }
    }

    static func respell(_ segments: [String], using rng: inout SplitMix64) -> String {
        var out = ""
        for segment in segments {
            // Noise before the segment: an empty segment, `.`, or a detour `x/..`.
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: out += "/"
            case 1: out += "/."
            case 2: out += "/%2e"
            case 3: out += "/zz/.."
            case 4: out += "/q/%2E%2e"
            default: break
            }
            out += "/"
            for character in segment {
                if Bool.random(using: &rng) {
                    let hex = String(character.asciiValue!, radix: 16, uppercase: Bool.random(using: &rng))
                    out += "%" + (hex.count == 1 ? "0" + hex : hex)
                } else {
                    out.append(character)
                }
            }
        }
        if Int.random(in: 0..<4, using: &rng) == 0 { out += "/." }
        // A trailing "/." leaves a trailing slash: only add it when the canonical form would not change.
        if out.hasSuffix("/.") { out.removeLast(2) }
        return out
    }

    /// Found with the FuzzRequest fuzz target (its idempotence check): decoding `%34` and `%31` after a stray `%` made a new
    /// escape, so the canonical query meant something else and was not its own canonical form.
    func testQueryWithStrayPercentIsNotDecoded() {
        XCTAssertEqual(CanonicalRequest.canonicalQuery("a=%%34%31"), "a=%%34%31")
        XCTAssertEqual(CanonicalRequest.canonicalQuery("a=%%3a&b=%7e"), "a=%%3A&b=%7E")
        XCTAssertEqual(CanonicalRequest.canonicalQuery("a=%7e&b=%"), "a=%7E&b=%")
        for query in ["a=%%34%31", "%%%34%31%", "x=%2%41", "%41%%42", "a=%7e&b=%2f"] {
            let once = CanonicalRequest.canonicalQuery(query)
            XCTAssertEqual(CanonicalRequest.canonicalQuery(once), once, query)
        }
    }

    /// Found by `make fuzz` (FuzzRequest): a hex group of 16+ digits in a bracketed IPv6 literal
    /// overflowed `IPAddress.parseV6`'s accumulator and trapped, so one request with such a `Host`
    /// (or absolute-form target) crashed the process. Now it is an invalid host (400).
    func testOverlongIPv6GroupIsABadHostNotACrash() {
        let long = String(repeating: "c", count: 64)
        for authority in ["[::F\(long)FFF:07.2.:FFFF:07.2.3.4]:<080", "[::\(long)]", "[\(long)::1]:8080", "[1::12345]"] {
            XCTAssertThrowsError(try CanonicalRequest.canonicalAuthority(authority, defaultPort: 80), authority)
        }
        XCTAssertThrowsError(try CanonicalRequest.make(target: RequestTarget(uri: "http://[::\(long)]/x")!, hostField: nil))
        XCTAssertEqual(try CanonicalRequest.canonicalAuthority("[::FFFF]", defaultPort: 80), "[::ffff]")
    }
}

/// A small deterministic generator, so a failing case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
