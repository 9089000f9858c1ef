import Foundation
import TernAdmin
import XCTest

/// `/metrics` against the catalog, and against the real `prometheus_client` text parser from PyPI.
final class PrometheusExpositionTests: XCTestCase {
    func testCatalogNamesAreValidAndUnique() {
        var seen: Set<String> = []
        for descriptor in MetricCatalog.all {
            XCTAssertTrue(seen.insert(descriptor.name).inserted, "\(descriptor.name) declared twice")
            XCTAssertNotNil(descriptor.name.range(of: "^tern_[a-z_]+$", options: .regularExpression), descriptor.name)
            XCTAssertEqual(descriptor.kind == .counter, descriptor.name.hasSuffix("_total"), descriptor.name)
            XCTAssertFalse(descriptor.help.isEmpty, descriptor.name)
            for label in descriptor.labels {
                XCTAssertNotNil(label.range(of: "^[a-z_]+$", options: .regularExpression), label)
            }
            for sample in descriptor.samples(FakeBackend.snapshot(step: 1)) {
                XCTAssertEqual(sample.labelValues.count, descriptor.labels.count, descriptor.name)
            }
        }
    }

    /// Each catalog entry's `jsonField` names a field that `/stats` really has.
    func testJSONFieldsExist() throws {
        let data = try StatsSnapshot.makeEncoder().encode(FakeBackend.snapshot(step: 1).withDerivedRatios())
        let root = try JSONSerialization.jsonObject(with: data)
        for descriptor in MetricCatalog.all {
            for field in descriptor.jsonField.split(separator: ",") {
                let path = field.trimmingCharacters(in: .whitespaces)
                XCTAssertTrue(Self.resolve(path, in: root), "\(descriptor.name): no JSON field \(path)")
            }
        }
    }

    /// Walks `a.b[].c{}`: `[]` is any element of an array, `{}` any value of a dictionary (as in
    /// Docs/metrics.md): true when some element or value leads to the rest of the path.
    static func resolve(_ path: String, in root: Any) -> Bool {
        var components = path.split(separator: ".").map(String.init)
        guard !components.isEmpty else { return true }
        var component = components.removeFirst()
        var suffixes: [String] = []
        while component.hasSuffix("[]") || component.hasSuffix("{}") {
            suffixes.insert(String(component.suffix(2)), at: 0)
            component.removeLast(2)
        }
        guard let start = (root as? [String: Any])?[component] else { return false }
        var nodes: [Any] = [start]
        for suffix in suffixes {
            nodes = nodes.flatMap { node -> [Any] in
                suffix == "[]" ? ((node as? [Any]) ?? []) : Array(((node as? [String: Any]) ?? [:]).values)
            }
        }
        let rest = components.joined(separator: ".")
        return nodes.contains { rest.isEmpty || Self.resolve(rest, in: $0) }
    }

    func testRenderContainsEveryMetricWithHelpAndType() {
        let text = String(decoding: PrometheusExposition.render(FakeBackend.snapshot(step: 1)), as: UTF8.self)
        for descriptor in MetricCatalog.all {
            XCTAssertTrue(text.contains("# TYPE \(descriptor.name) \(descriptor.kind.rawValue)\n"), descriptor.name)
            XCTAssertTrue(text.contains("# HELP \(descriptor.name) "), descriptor.name)
        }
        XCTAssertTrue(text.contains(#"tern_cache_hits_total{tier="memory"} 700"#), text)
        XCTAssertTrue(text.contains(#"quantile="0.99""#), text)
    }

    func testEmptySnapshotRendersUnlabeledMetricsOnly() {
        let text = String(decoding: PrometheusExposition.render(StatsSnapshot()), as: UTF8.self)
        XCTAssertTrue(text.contains("tern_requests_total 0"), text)
        XCTAssertFalse(text.contains("tern_waf_blocks_total"), "a labeled metric without samples is left out")
    }

    /// The exposition parses with `prometheus_client`'s parser, and every catalog metric is there with its type.
    func testParsesWithPrometheusClient() throws {
        guard let python = Self.findExecutable("python3") else {
            throw XCTSkip("python3 is not installed; cannot run the prometheus_client parser")
        }
        if try Self.run(python, ["-c", "import prometheus_client"]).status != 0 {
            let install = try Self.run(python, ["-m", "pip", "install", "--quiet", "prometheus-client"])
            if install.status != 0 {
                throw XCTSkip("pip could not install prometheus-client (\(install.output.suffix(300))); install it with: pip install prometheus-client")
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("metrics.txt")
        try Data(PrometheusExposition.render(FakeBackend.snapshot(step: 3))).write(to: file)

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("prometheus_parse.py").path
        let result = try Self.run(python, [script, file.path])
        XCTAssertEqual(result.status, 0, "prometheus_client could not parse /metrics: \(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init)
        for descriptor in MetricCatalog.all {
            // prometheus_client names a counter family without its `_total` suffix.
            let family = descriptor.kind == .counter ? String(descriptor.name.dropLast("_total".count)) : descriptor.name
            XCTAssertTrue(lines.contains("# FAMILY \(family) \(descriptor.kind.rawValue)"), "\(descriptor.name) missing:\n\(result.output)")
            XCTAssertTrue(lines.contains { $0.hasPrefix(descriptor.name + "{") }, "no sample of \(descriptor.name)")
        }
        // Label values with quotes and IPv6 brackets survive escaping.
        XCTAssertTrue(
            lines.contains { $0.hasPrefix(#"tern_origin_requests_total{member="http://[::1]:9003/base "q"",pool="static"} 0"#) },
            result.output
        )
        XCTAssertTrue(lines.contains(#"tern_requests_total{} 1450.0"#), result.output)
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
