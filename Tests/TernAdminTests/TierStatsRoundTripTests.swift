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

/// `tern stats` shows the disk tier's faults and each member's ejections.
final class StatsTextFaultTests: XCTestCase {
    func testFaultsAreShown() {
        let text = StatsText.render(FakeBackend.snapshot(step: 1), node: "http://127.0.0.1:9090")
        XCTAssertTrue(text.contains("READ-ONLY (writes failing) · 3 write failures · damaged store reset at start"), text)
        XCTAssertTrue(text.contains("ejected 3× (5xx 1, reset 2), back 2× · kept as last member 1× (timeout 1)"), text)
    }

    func testNothingExtraWithoutFaults() {
        var snapshot = FakeBackend.snapshot(step: 1)
        snapshot.tiers = snapshot.tiers.map { TierStats(name: $0.name, objects: $0.objects, bytes: $0.bytes, limitBytes: $0.limitBytes) }
        snapshot.origins = snapshot.origins.map { OriginMemberStats(pool: $0.pool, url: $0.url, health: $0.health) }
        let text = StatsText.render(snapshot, node: "n")
        XCTAssertFalse(text.contains("READ-ONLY"), text)
        XCTAssertFalse(text.contains("ejected 3×"), text)  // ("rejected" appears in the connections line)
        XCTAssertFalse(text.contains("kept as last member"), text)
    }
}
