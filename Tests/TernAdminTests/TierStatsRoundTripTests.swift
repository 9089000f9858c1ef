import Foundation
import TernAdmin
import XCTest

/// `/stats` JSON decodes back to the same snapshot (the `tiers[]` disk fields included).
final class TierStatsRoundTripTests: XCTestCase {
    func testSnapshotRoundTrips() throws {
        let snapshot = FakeBackend.snapshot(step: 2)
        let data = try StatsSnapshot.makeEncoder().encode(snapshot)
        let decoded = try StatsSnapshot.makeDecoder().decode(StatsSnapshot.self, from: data)
        XCTAssertEqual(decoded.tiers.map(\.name), ["memory", "disk"])
        XCTAssertEqual(decoded.tiers[1].writeFailures, ["no_space": 2, "io": 1])
        XCTAssertEqual(decoded, snapshot)
    }
}
