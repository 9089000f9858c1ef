import Foundation
import NIOCore
import XCTest

@testable import TernStorage

/// Issue 12 (Vary flood): a URL keeps at most `maxVariants` variants in each tier; one more evicts
/// that URL's least recently used variant, and other URLs are untouched.
final class VariantCapTests: XCTestCase {
    /// As the proxy stores them: last accessed when stored.
    private func stamped(_ entry: CacheEntry) -> CacheEntry {
        var entry = entry
        entry.meta.lastAccess = entry.meta.responseTime
        return entry
    }

    func testMemoryTierKeepsAtMostMaxVariantsPerURL() {
        let tier = MemoryTier(limit: 1 << 20, maxObjectSize: 1 << 16, maxVariants: 4)
        tier.put(makeEntry("other"))
        for index in 0..<4 {
            tier.put(stamped(makeEntry("u", variantKey: "v\(index)", now: 1_000 + Int64(index))))
        }
        XCTAssertEqual(tier.get(primaryKey: "u", now: 5_000)?.count, 4)
        XCTAssertEqual(tier.variantEvictions, 0)
        for index in 4..<3_000 {
            tier.put(stamped(makeEntry("u", variantKey: "v\(index)", now: 6_000 + Int64(index))))
        }
        let kept = tier.get(primaryKey: "u", now: 10_000) ?? []
        XCTAssertEqual(kept.count, 4)
        XCTAssertEqual(Set(kept.map(\.meta.variantKey)), ["v2996", "v2997", "v2998", "v2999"])
        XCTAssertEqual(tier.variantEvictions, 2_996)
        XCTAssertNotNil(tier.get(primaryKey: "other", now: 10_000), "other URLs are untouched")
        XCTAssertEqual(tier.count, 5)
        // Replacing an existing variant evicts nothing.
        tier.put(makeEntry("u", variantKey: "v2999", seed: 9, now: 20_000))
        XCTAssertEqual(tier.variantEvictions, 2_996)
    }

    func testMemoryTierEvictsTheLeastRecentlyUsedVariant() {
        let tier = MemoryTier(limit: 1 << 20, maxObjectSize: 1 << 16, maxVariants: 2)
        tier.put(stamped(makeEntry("u", variantKey: "a", now: 1_000)))
        tier.put(stamped(makeEntry("u", variantKey: "b", now: 2_000)))
        // A read of the URL touches every variant; then b is stored again later than a.
        _ = tier.get(primaryKey: "u", now: 3_000)
        tier.put(stamped(makeEntry("u", variantKey: "b", now: 3_500)))
        tier.put(stamped(makeEntry("u", variantKey: "c", now: 4_000)))
        XCTAssertEqual(Set(tier.get(primaryKey: "u", now: 5_000)?.map(\.meta.variantKey) ?? []), ["b", "c"])
        XCTAssertEqual(tier.variantEvictions, 1)
    }

    func testDiskTierKeepsAtMostMaxVariantsPerURL() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let tier = try DiskTier(configuration: .init(directory: directory, limit: 64 << 20, maxVariants: 3))
        defer { tier.close() }
        tier.put(makeEntry("other"))
        for index in 0..<50 {
            tier.put(makeEntry("u", variantKey: "v\(index)", now: 1_000 + Int64(index)))
        }
        tier.flush()
        let kept = try XCTUnwrap(tier.get(primaryKey: "u"))
        XCTAssertEqual(Set(kept.map(\.meta.variantKey)), ["v47", "v48", "v49"])
        XCTAssertEqual(tier.variantEvictions, 47)
        XCTAssertEqual(try tier.get(primaryKey: "other")?.count, 1)
    }
}
