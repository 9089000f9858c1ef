import NIOHTTP1
import TernPolicy
import XCTest

final class CacheStatusTests: XCTestCase {
    // MARK: RFC 9211 §2 Cache-Status

    func testRFC9211HeaderValue() {
        let cases: [(CacheStatus, String)] = [
            (CacheStatus(hit: true, ttl: 42), "tern; hit; ttl=42"),
            (CacheStatus(fwd: .uriMiss, fwdStatus: 200, stored: true, ttl: 60), "tern; fwd=uri-miss; fwd-status=200; stored; ttl=60"),
            (CacheStatus(fwd: .bypass, detail: NoCacheReason.setCookie.rawValue), "tern; fwd=bypass; detail=set-cookie"),
            (CacheStatus(hit: true, ttl: -5), "tern; hit; ttl=-5"),
            (CacheStatus(fwd: .stale, fwdStatus: 304, stored: true, collapsed: true), "tern; fwd=stale; fwd-status=304; stored; collapsed"),
            (CacheStatus(fwd: .varyMiss), "tern; fwd=vary-miss"),
            (CacheStatus(fwd: .miss, detail: "lock timeout \"x\""), #"tern; fwd=miss; detail="lock timeout \"x\"""#),
            (CacheStatus(fwd: .request, detail: "1abc"), #"tern; fwd=request; detail="1abc""#),
            (CacheStatus(hit: true, name: "edge-1"), "edge-1; hit"),
            (CacheStatus(), "tern"),
        ]
        for (status, expected) in cases { XCTAssertEqual(status.headerValue, expected) }
    }

    func testAppendAfterUpstreamCaches() {
        var headers = HTTPHeaders([("Cache-Status", "origin-cache; hit")])
        CacheStatus(hit: true, ttl: 1).append(to: &headers)
        XCTAssertEqual(headers["cache-status"], ["origin-cache; hit, tern; hit; ttl=1"])

        var empty = HTTPHeaders()
        CacheStatus(fwd: .uriMiss).append(to: &empty)
        XCTAssertEqual(empty["cache-status"], ["tern; fwd=uri-miss"])
    }

    func testStripCDNCacheControl() {
        var headers = HTTPHeaders([("CDN-Cache-Control", "max-age=60"), ("Cache-Control", "max-age=5")])
        CachePolicy.stripCDNCacheControl(&headers)
        XCTAssertEqual(headers.map(\.name), ["Cache-Control"])
    }
}
