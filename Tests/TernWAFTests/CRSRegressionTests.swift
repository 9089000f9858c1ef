import Foundation
import XCTest

@testable import TernWAF

/// CRS 3.3.4 regression replay, in-process, paranoia level 1, blocking.
///
/// - `testFastSubset` (always): the first two PL1 rule files of every family directory.
/// - `testFullRegression`: every stage; runs only with `TERN_WAF_CRS_FULL=1`
///   (`TERN_WAF_CRS_FULL=1 swift test --filter CRSRegressionTests`). Prints counts and each failure.
///
/// Counted: stages of enabled files whose rule (the file's rule id) is at paranoia level ≤ 1. Stages that
/// only check an HTTP status other than 403, or `expect_error`, belong to the HTTP server's parser and are
/// reported separately as `server_level` (the HTTP runner `Tests/waf-runner/crs_runner.py` checks them).
/// Known failures with their explanation live in `Fixtures/crs-known-failures.txt`; any other failure fails the test.
final class CRSRegressionTests: XCTestCase {
    struct Summary {
        var passed = 0
        var failed: [(CRSRegression.Stage, [Int])] = []
        var serverLevel = 0
        var skippedHigherLevel = 0
        var disabled = 0
        var counted: Int { self.passed + self.failed.count }
    }

    private func run(filter: ((String) -> Bool)?) throws -> Summary {
        guard let directory = WAFTestSupport.regressionDirectory else { throw XCTSkip("CRS regression tests not found (set TERN_CRS_REGRESSION_DIR)") }
        let settings = WAFTestSupport.settings()
        let levels = try CRSRegression.paranoiaLevels(rulesDirectory: settings.crsDirectory + "/rules")
        let stages = try CRSRegression.load(directory: directory, files: filter)
        XCTAssertFalse(stages.isEmpty)
        let engine = try WAFEngine(settings: settings, exclusionSets: [])
        defer { engine.shutdown() }
        var summary = Summary()
        for (index, stage) in stages.enumerated() {
            guard stage.enabled else { summary.disabled += 1; continue }
            guard (levels[stage.fileRuleID] ?? 1) <= 1 else { summary.skippedHigherLevel += 1; continue }
            let verdict = engine.inspectRequestSynchronously(CRSRegression.request(for: stage, id: "crs-\(index)"), ruleSet: 0, mode: .on)
            verdict.transaction?.close()
            switch CRSRegression.judge(stage, verdict) {
            case .passed: summary.passed += 1
            case .failed: summary.failed.append((stage, verdict.ruleIDs))
            case .serverLevel: summary.serverLevel += 1
            }
        }
        return summary
    }

    private func knownFailures() throws -> Set<String> {
        let path = WAFTestSupport.testsDirectory + "/Fixtures/crs-known-failures.txt"
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return Set(text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
            return String(trimmed.split(separator: " ").first ?? "")
        })
    }

    private func report(_ summary: Summary, label: String) throws {
        let known = try self.knownFailures()
        print("CRS regression (\(label)): \(summary.passed)/\(summary.counted) passed at PL1; server-level (not judged in-process): \(summary.serverLevel); higher-PL stages skipped: \(summary.skippedHigherLevel); disabled: \(summary.disabled)")
        for (stage, ids) in summary.failed {
            let mark = known.contains(stage.title) ? "known" : "NEW"
            print("  \(mark) FAIL \(stage.title) expected \(stage.expectation) got \(ids) — \(stage.method) \(stage.uri.prefix(80))")
        }
        let unexpected = summary.failed.filter { !known.contains($0.0.title) }.map(\.0.title)
        XCTAssertEqual(unexpected, [], "failures not explained in Fixtures/crs-known-failures.txt")
    }

    func testFastSubset() throws {
        guard let directory = WAFTestSupport.regressionDirectory else { throw XCTSkip("CRS regression tests not found") }
        let levels = try CRSRegression.paranoiaLevels(rulesDirectory: WAFSettings().crsDirectory + "/rules")
        // First two PL1 rule files of each family directory.
        var chosen: Set<String> = []
        for family in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where family.hasPrefix("REQUEST-") {
            let files = (try FileManager.default.contentsOfDirectory(atPath: directory + "/" + family)).filter { $0.hasSuffix(".yaml") }.sorted()
            let pl1 = files.filter { (levels[Int(($0 as NSString).deletingPathExtension) ?? 0] ?? 1) <= 1 }
            for file in pl1.prefix(2) { chosen.insert(family + "/" + file) }
        }
        let start = Date()
        let summary = try self.run(filter: { chosen.contains($0) })
        XCTAssertGreaterThanOrEqual(summary.counted, 100)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
        try self.report(summary, label: "fast subset, \(chosen.count) files")
    }

    func testFullRegression() throws {
        guard ProcessInfo.processInfo.environment["TERN_WAF_CRS_FULL"] == "1" else {
            throw XCTSkip("set TERN_WAF_CRS_FULL=1 to replay every CRS regression stage")
        }
        let summary = try self.run(filter: nil)
        try self.report(summary, label: "full")
    }
}
