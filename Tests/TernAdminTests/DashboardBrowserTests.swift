import Foundation
import TernAdmin
import XCTest

/// The dashboard in a real headless browser (Debian `chromium`): it loads without script errors, its charts get
/// data from `/stats`, and a screenshot is saved to `.build/dashboard.png` for review.
final class DashboardBrowserTests: XCTestCase {
    static func chromium() throws -> String {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            if let path = PrometheusExpositionTests.findExecutable(name) { return path }
        }
        let message = "chromium is not installed (apt-get install -y chromium; `make deps` installs it)"
        if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail(message)
        }
        throw XCTSkip(message)
    }

    /// Runs chromium headless against `url` with `extra` arguments; returns stdout (stderr is discarded).
    static func runChromium(_ browser: String, _ url: String, _ extra: [String]) throws -> (Int32, String) {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("tern-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-extensions", "--disable-background-networking", "--user-data-dir=\(profile.path)",
            "--window-size=1280,900", "--virtual-time-budget=5000",
        ] + extra + [url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = DispatchTime.now() + .seconds(90)
        DispatchQueue.global().asyncAfter(deadline: deadline) { if process.isRunning { process.terminate() } }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testDashboardLoadsAndDrawsCharts() throws {
        let browser = try Self.chromium()
        let admin = try TestAdmin()
        defer { try? admin.stop() }

        let (status, dom) = try Self.runChromium(browser, admin.url + "/", ["--dump-dom"])
        XCTAssertEqual(status, 0, "chromium failed")
        XCTAssertTrue(dom.contains("<body data-errors=\"0\">"), "the page reported errors:\n\(Self.errors(in: dom))")
        for chart in ["chart-hit", "chart-rps"] {
            let points = Self.dataPoints(chart, in: dom)
            XCTAssertGreaterThanOrEqual(points, 2, "\(chart) has \(points) data points")
        }
        XCTAssertTrue(dom.contains("http://127.0.0.1:9002"), "origin table missing")
        XCTAssertTrue(dom.contains("tag product-42: 3 objects (soft)"), "recent purges missing")
        XCTAssertTrue(dom.contains("rule 949110: GET /search?q=&lt;script&gt;"), "WAF blocks missing or not escaped")

        let screenshot = repositoryRoot.appendingPathComponent(".build/dashboard.png")
        try FileManager.default.createDirectory(
            at: screenshot.deletingLastPathComponent(), withIntermediateDirectories: true
        )
        try? FileManager.default.removeItem(at: screenshot)
        let (shotStatus, _) = try Self.runChromium(browser, admin.url + "/", ["--screenshot=\(screenshot.path)", "--hide-scrollbars"])
        XCTAssertEqual(shotStatus, 0)
        let size = ((try? FileManager.default.attributesOfItem(atPath: screenshot.path))?[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 10_000, "no screenshot at \(screenshot.path)")
    }

    static func dataPoints(_ id: String, in dom: String) -> Int {
        guard let range = dom.range(of: "id=\"\(id)\" data-points=\"") else { return 0 }
        return Int(dom[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    static func errors(in dom: String) -> String {
        guard let start = dom.range(of: "<pre id=\"tern-errors\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex)
        else { return "(no error list)" }
        return String(dom[start.upperBound..<end.lowerBound])
    }
}
