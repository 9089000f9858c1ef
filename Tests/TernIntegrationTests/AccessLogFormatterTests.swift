import TernProxy
import XCTest

/// Access-log line formats: exact bytes for known records, and no forged lines.
final class AccessLogFormatterTests: XCTestCase {
    func record(target: String = "/a?b=1", agent: String? = "curl/8") -> AccessLogRecord {
        AccessLogRecord(
            unixTime: 971_211_336, client: "203.0.113.9", method: "GET", target: target, version: "HTTP/1.1",
            status: 200, bytesSent: 1234, durationMicros: 1_500, upstream: "127.0.0.1:9000", upstreamMicros: 1_200,
            cacheStatus: "HIT", referer: nil, userAgent: agent, requestID: "x-1", security: "waf-clean"
        )
    }

    func testCombined() {
        XCTAssertEqual(
            AccessLogFormatter.combined(self.record()),
            "203.0.113.9 - - [10/Oct/2000:20:55:36 +0000] \"GET /a?b=1 HTTP/1.1\" 200 1234 \"-\" \"curl/8\" rt=0.001 upstream=127.0.0.1:9000 urt=0.001 cache=HIT sec=waf-clean id=x-1\n"
        )
    }

    func testJSON() {
        XCTAssertEqual(
            AccessLogFormatter.json(self.record()),
            "{\"time\":\"2000-10-10T20:55:36Z\",\"client\":\"203.0.113.9\",\"method\":\"GET\",\"target\":\"/a?b=1\",\"version\":\"HTTP/1.1\",\"status\":200,\"bytes\":1234,\"duration_ms\":1.500,\"upstream\":\"127.0.0.1:9000\",\"upstream_ms\":1.200,\"cache\":\"HIT\",\"referer\":null,\"user_agent\":\"curl/8\",\"request_id\":\"x-1\",\"security\":\"waf-clean\"}\n"
        )
    }

    func testHostileValuesCannotForgeLines() {
        let line = AccessLogFormatter.combined(self.record(agent: "evil\"\n127.0.0.1 - - [fake]"))
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1)
        XCTAssertTrue(line.contains("evil\\\"\\x0a127.0.0.1"), line)
        let json = AccessLogFormatter.json(self.record(agent: "a\"b\u{1}"))
        XCTAssertTrue(json.contains("\"user_agent\":\"a\\\"b\\u0001\""), json)
    }

    func testTimesAcrossEpochBoundaries() {
        XCTAssertEqual(AccessLogFormatter.commonLogTime(0), "01/Jan/1970:00:00:00 +0000")
        XCTAssertEqual(AccessLogFormatter.isoTime(951_782_400), "2000-02-29T00:00:00Z")
        XCTAssertEqual(AccessLogFormatter.isoTime(-1), "1969-12-31T23:59:59Z")
    }
}
