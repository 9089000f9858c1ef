import Foundation
import XCTest

@testable import TernWAF

/// Per-request engine cost on one thread. Runs only with `TERN_WAF_BENCH=1` (prints µs/request).
final class WAFCostTests: XCTestCase {
    func testBenignGetCost() throws {
        guard ProcessInfo.processInfo.environment["TERN_WAF_BENCH"] == "1" else { throw XCTSkip("set TERN_WAF_BENCH=1") }
        let engine = try WAFEngine(settings: WAFTestSupport.settings(), exclusionSets: [])
        defer { engine.shutdown() }
        let request = WAFTestSupport.request("GET", "/static/app.js?v=3")  // 6 typical headers
        for _ in 0..<200 { engine.inspectRequestSynchronously(request, ruleSet: 0, mode: .on).transaction?.close() }
        let count = 2000
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count { engine.inspectRequestSynchronously(request, ruleSet: 0, mode: .on).transaction?.close() }
        let micros = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000 / Double(count)
        let attack = WAFTestSupport.request("GET", "/item?id=1%27%20OR%20%271%27%3D%271")
        let start2 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<500 { _ = engine.inspectRequestSynchronously(attack, ruleSet: 0, mode: .on) }
        let attackMicros = Double(DispatchTime.now().uptimeNanoseconds - start2) / 1000 / 500
        print(String(format: "WAF cost, one thread: benign GET with 6 headers %.0f µs/request (incl. logging phase + clean-up); blocked SQLi %.0f µs", micros, attackMicros))
    }
}
