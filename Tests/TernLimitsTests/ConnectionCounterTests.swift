import TernCore
import TernLimits
import XCTest

final class ConnectionCounterTests: XCTestCase {
    func testAcquireUpToMaximumThenRelease() {
        let counter = ConnectionCounter()
        let client = RateLimitKey.forClient(IPAddress("192.0.2.1") ?? .v4(0))
        let other = RateLimitKey.forClient(IPAddress("192.0.2.2") ?? .v4(0))
        XCTAssertTrue(counter.tryAcquire(client, max: 2))
        XCTAssertTrue(counter.tryAcquire(client, max: 2))
        XCTAssertFalse(counter.tryAcquire(client, max: 2))
        XCTAssertTrue(counter.tryAcquire(other, max: 2))
        XCTAssertEqual(counter.count(for: client), 2)
        counter.release(client)
        XCTAssertTrue(counter.tryAcquire(client, max: 2))
        counter.release(client)
        counter.release(client)
        counter.release(other)
        XCTAssertEqual(counter.trackedKeys, 0)
        // A release without an acquire is ignored, and never creates negative credit.
        counter.release(client)
        XCTAssertEqual(counter.count(for: client), 0)
        XCTAssertFalse(counter.tryAcquire(client, max: 0))
    }

    func testConcurrentAcquireNeverExceedsMaximum() async {
        let counter = ConnectionCounter()
        let key = RateLimitKey("shared")
        let acquired = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var held = 0
                    for _ in 0..<1_000 where counter.tryAcquire(key, max: 10) { held += 1 }
                    return held
                }
            }
            return await group.reduce(0, +)
        }
        XCTAssertEqual(acquired, 10)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 { group.addTask { counter.release(key) } }
        }
        XCTAssertEqual(counter.trackedKeys, 0)
    }
}
