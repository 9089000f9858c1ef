import Foundation
import TernAdmin
import XCTest

/// `Docs/metrics.md` is generated from ``MetricCatalog``; this keeps the checked-in file in step.
final class MetricsDocTests: XCTestCase {
    func testMetricsDocIsUpToDate() throws {
        let path = repositoryRoot.appendingPathComponent("Docs/metrics.md")
        let expected = MetricsDocument.markdown()
        if ProcessInfo.processInfo.environment["TERN_REGENERATE_DOCS"] == "1" {
            try expected.write(to: path, atomically: true, encoding: .utf8)
            return
        }
        let actual = (try? String(contentsOf: path, encoding: .utf8)) ?? ""
        XCTAssertEqual(
            actual, expected,
            "Docs/metrics.md is out of date with Sources/TernAdmin/MetricCatalog.swift; regenerate it with: TERN_REGENERATE_DOCS=1 swift test --filter MetricsDocTests"
        )
    }

    func testEveryMetricIsDocumented() {
        let markdown = MetricsDocument.markdown()
        for descriptor in MetricCatalog.all {
            XCTAssertTrue(markdown.contains("| `\(descriptor.name)` | \(descriptor.kind.rawValue) |"), descriptor.name)
        }
    }
}
