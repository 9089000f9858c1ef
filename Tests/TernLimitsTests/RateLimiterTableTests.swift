import TernCore
import TernLimits
import XCTest

final class RateLimiterTableTests: XCTestCase {
    static let ms: Int64 = 1_000_000
    static let second: Int64 = 1_000_000_000

    func testMatchesGCRAPerKey() throws {
        let table = RateLimiterTable()
        let limit = try RateLimit.parse("10r/s:20")
        let a = RateLimitKey("a")
        let b = RateLimitKey("b")
        for _ in 0..<20 { XCTAssertTrue(table.check(key: a, limit: limit, now: 0).isAllowed) }
        XCTAssertEqual(table.check(key: a, limit: limit, now: 0), .limited(retryAfter: 100 * Self.ms, resetAfter: 2 * Self.second))
        XCTAssertEqual(table.check(key: b, limit: limit, now: 0), .allowed(remaining: 19, resetAfter: 100 * Self.ms))
        XCTAssertEqual(table.check(key: a, limit: limit, now: 100 * Self.ms), .allowed(remaining: 0, resetAfter: 2 * Self.second))
        XCTAssertEqual(table.count, 2)
    }

    func testClientsInOneSlash64ShareABucket() throws {
        let table = RateLimiterTable()
        let limit = try RateLimit.parse("1r/s:2")
        let first = RateLimitKey.forClient(IPAddress("2001:db8:0:1::1") ?? .v4(0))
        let second = RateLimitKey.forClient(IPAddress("2001:db8:0:1:ffff::2") ?? .v4(0))
        let other = RateLimitKey.forClient(IPAddress("2001:db8:0:2::1") ?? .v4(0))
        XCTAssertTrue(table.check(key: first, limit: limit, now: 0).isAllowed)
        XCTAssertTrue(table.check(key: second, limit: limit, now: 0).isAllowed)
        XCTAssertFalse(table.check(key: second, limit: limit, now: 0).isAllowed)
        XCTAssertFalse(table.check(key: first, limit: limit, now: 0).isAllowed)
        XCTAssertTrue(table.check(key: other, limit: limit, now: 0).isAllowed)
        XCTAssertEqual(table.count, 2)
    }

    func testCapEvictsLeastDebtFirst() throws {
        let table = RateLimiterTable(maximumKeys: 8, stripes: 1)
        let limit = try RateLimit.parse("1r/s:1")
        // key i arrives at i ms, so its debt runs out at 1000 + i ms.
        for index in 0..<8 { _ = table.check(key: RateLimitKey("k\(index)"), limit: limit, now: Int64(index) * Self.ms) }
        XCTAssertEqual(table.count, 8)
        // A limited request for a known key never grows the table.
        XCTAssertFalse(table.check(key: RateLimitKey("k3"), limit: limit, now: 10 * Self.ms).isAllowed)
        XCTAssertEqual(table.evictionCount, 0)
        // A new key in a full table evicts the key closest to idle: k0.
        XCTAssertTrue(table.check(key: RateLimitKey("new"), limit: limit, now: 10 * Self.ms).isAllowed)
        XCTAssertEqual(table.count, 8)
        XCTAssertEqual(table.evictionCount, 1)
        XCTAssertNil(table.state(for: RateLimitKey("k0")))
        XCTAssertNotNil(table.state(for: RateLimitKey("k1")))
        // Forgiven: the evicted key starts over with a full burst.
        XCTAssertTrue(table.check(key: RateLimitKey("k0"), limit: limit, now: 10 * Self.ms).isAllowed)
        XCTAssertEqual(table.evictionCount, 2)
        XCTAssertLessThanOrEqual(table.count, 8)
    }

    func testIdleStatesAreDroppedBeforeAnyEviction() throws {
        let table = RateLimiterTable(maximumKeys: 8, stripes: 1)
        let limit = try RateLimit.parse("1r/s:1")
        for index in 0..<8 { _ = table.check(key: RateLimitKey("k\(index)"), limit: limit, now: 0) }
        // At 1 s every state has decayed to no debt: the new key costs no eviction.
        XCTAssertTrue(table.check(key: RateLimitKey("new"), limit: limit, now: Self.second).isAllowed)
        XCTAssertEqual(table.evictionCount, 0)
        XCTAssertEqual(table.count, 1)
    }

    func testExpireDropsOnlyIdleStates() throws {
        let table = RateLimiterTable()
        let fast = try RateLimit.parse("10r/s:1")
        let slow = try RateLimit.parse("1r/s:1")
        for index in 0..<50 { _ = table.check(key: RateLimitKey("fast\(index)"), limit: fast, now: 0) }
        for index in 0..<30 { _ = table.check(key: RateLimitKey("slow\(index)"), limit: slow, now: 0) }
        XCTAssertEqual(table.expire(now: 100 * Self.ms - 1), 0)
        XCTAssertEqual(table.expire(now: 100 * Self.ms), 50)
        XCTAssertEqual(table.count, 30)
        XCTAssertEqual(table.expire(now: Self.second), 30)
        XCTAssertEqual(table.count, 0)
    }

    func testFloodOfKeysStaysBounded() throws {
        let table = RateLimiterTable(maximumKeys: 1_000, stripes: 8)
        let limit = try RateLimit.parse("1r/m")
        for index in 0..<20_000 {
            _ = table.check(key: RateLimitKey.forClient(.v4(UInt32(index))), limit: limit, now: Int64(index))
            if index % 1_000 == 0 { XCTAssertLessThanOrEqual(table.count, table.capacity) }
        }
        XCTAssertLessThanOrEqual(table.count, table.capacity)
        XCTAssertEqual(table.capacity, 1_000)
        XCTAssertGreaterThan(table.evictionCount, 0)
    }

    /// Many tasks hammer shared keys at one instant: exactly `burst` admissions per key, whatever the interleaving.
    func testConcurrentChecksAdmitExactlyTheBurst() async throws {
        let table = RateLimiterTable(maximumKeys: 10_000, stripes: 4)
        let limit = try RateLimit.parse("1r/m:50")
        let keys = (0..<100).map { RateLimitKey("key\($0)") }
        let admitted = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var count = 0
                    for step in 0..<2_000 where table.check(key: keys[(step * 7 + worker) % keys.count], limit: limit, now: 0).isAllowed {
                        count += 1
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        XCTAssertEqual(admitted, keys.count * 50)
        XCTAssertEqual(table.count, keys.count)
    }

    func testConcurrentFloodStaysBounded() async throws {
        let table = RateLimiterTable(maximumKeys: 64, stripes: 4)
        let limit = try RateLimit.parse("1r/s")
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for step in 0..<5_000 {
                        _ = table.check(key: RateLimitKey("w\(worker)-\(step)"), limit: limit, now: Int64(step))
                    }
                }
            }
        }
        XCTAssertLessThanOrEqual(table.count, 64)
    }
}
