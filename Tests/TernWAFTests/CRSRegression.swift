import Foundation
import NIOCore
import Yams

@testable import TernWAF

/// Loads the OWASP CRS 3.3.4 regression tests ("ftw" YAML) and replays them in-process against a
/// ``WAFEngine``, checking `log_contains` / `no_log_contains` against that transaction's own matches.
struct CRSRegression {
    enum Expectation: Equatable {
        case logContains(Int)
        case noLogContains(Int)
        /// HTTP status only (mostly the server's own parser: 400/405); in-process only a 403 can be checked.
        case status([Int])
        /// The server must refuse the request before any WAF (malformed); not checkable in-process.
        case expectError
    }

    struct Stage {
        var file: String
        var fileRuleID: Int
        var title: String
        var enabled: Bool
        var method: String
        var uri: String
        var version: String
        var headers: [(String, String)]
        var body: [UInt8]
        var expectation: Expectation
    }

    enum Result: String {
        case passed, failed
        /// Status-only or expect_error stage judged by the HTTP server, not the engine.
        case serverLevel = "server_level"
    }

    /// Rule id → paranoia level, from the position of each rule after the `EXECUTING_PARANOIA_LEVEL "@lt N"` gates.
    static func paranoiaLevels(rulesDirectory: String) throws -> [Int: Int] {
        var levels: [Int: Int] = [:]
        let gate = try NSRegularExpression(pattern: #"EXECUTING_PARANOIA_LEVEL "@lt (\d)"|id:(\d+)"#)
        for file in try FileManager.default.contentsOfDirectory(atPath: rulesDirectory) where file.hasSuffix(".conf") {
            let text = try String(contentsOfFile: rulesDirectory + "/" + file, encoding: .utf8)
            var current = 1
            for match in gate.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let r = Range(match.range(at: 1), in: text), let level = Int(text[r]) {
                    current = level
                } else if let r = Range(match.range(at: 2), in: text), let id = Int(text[r]), levels[id] == nil {
                    levels[id] = current
                }
            }
        }
        return levels
    }

    /// Every stage of every `*.yaml` under `directory`, sorted by file then order.
    static func load(directory: String, files filter: ((String) -> Bool)? = nil) throws -> [Stage] {
        let enumerator = FileManager.default.enumerator(atPath: directory)
        var paths: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".yaml") && (filter?(path) ?? true) { paths.append(path) }
        }
        var stages: [Stage] = []
        for path in paths.sorted() {
            let text = try String(contentsOfFile: directory + "/" + path, encoding: .utf8)
            guard let root = try Yams.compose(yaml: text) else { continue }
            let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let fileRuleID = Int(name) ?? 0
            let enabled = root["meta"]?["enabled"]?.bool ?? true
            for test in root["tests"]?.sequence ?? [] {
                let title = test["test_title"]?.string ?? name
                for (index, wrapper) in (test["stages"]?.sequence ?? []).enumerated() {
                    guard let stage = wrapper["stage"], let input = stage["input"], let output = stage["output"] else { continue }
                    guard let expectation = Self.expectation(output) else { continue }
                    var parsed = Self.stage(input)
                    parsed.file = path
                    parsed.fileRuleID = fileRuleID
                    parsed.title = (test["stages"]?.sequence?.count ?? 1) > 1 ? "\(title)#\(index + 1)" : title
                    parsed.enabled = enabled
                    parsed.expectation = expectation
                    stages.append(parsed)
                }
            }
        }
        return stages
    }

    private static func ruleID(in text: String) -> Int? {
        let digits = text.filter(\.isNumber)
        return Int(digits)
    }

    private static func expectation(_ output: Node) -> Expectation? {
        if let text = output["log_contains"]?.string, let id = Self.ruleID(in: text) { return .logContains(id) }
        if let text = output["no_log_contains"]?.string, let id = Self.ruleID(in: text) { return .noLogContains(id) }
        if let status = output["status"] {
            if let list = status.sequence { return .status(list.compactMap(\.int)) }
            if let one = status.int { return .status([one]) }
        }
        if output["expect_error"] != nil { return .expectError }
        return nil
    }

    /// ftw's request construction: defaults, list `data` joined with CRLF, `Content-Length` (and a form
    /// `Content-Type` when none is given) added unless `stop_magic`; `encoded_request` / `raw_request` parsed.
    private static func stage(_ input: Node) -> Stage {
        var stage = Stage(
            file: "", fileRuleID: 0, title: "", enabled: true,
            method: input["method"]?.string ?? "GET",
            uri: input["uri"]?.string ?? "/",
            version: input["version"]?.string ?? "HTTP/1.1",
            headers: [], body: [], expectation: .expectError
        )
        if let encoded = input["encoded_request"]?.string, let raw = Data(base64Encoded: encoded.filter { !$0.isWhitespace }) {
            Self.parseRaw(Array(raw), into: &stage)
            return stage
        }
        if let raw = input["raw_request"]?.string {
            Self.parseRaw(Self.bytes(raw), into: &stage)
            return stage
        }
        if let mapping = input["headers"]?.mapping {
            for (key, value) in mapping {
                stage.headers.append((key.string ?? "", value.string ?? (value.int.map(String.init) ?? "")))
            }
        }
        if let list = input["data"]?.sequence {
            stage.body = Self.bytes(list.compactMap(\.string).joined(separator: "\r\n"))
        } else if let data = input["data"]?.string {
            stage.body = Self.bytes(data)
        }
        let stopMagic = input["stop_magic"]?.bool ?? false
        // ftw sends multi-line (YAML block) bodies with CRLF line ends: multipart bodies rely on it.
        if !stopMagic, stage.body.contains(10), !Self.containsCRLF(stage.body) {
            stage.body = stage.body.flatMap { $0 == 10 ? [13, 10] : [$0] }
        }
        if !stage.body.isEmpty && !stopMagic {
            if !stage.headers.contains(where: { $0.0.lowercased() == "content-length" }) {
                stage.headers.append(("Content-Length", String(stage.body.count)))
            }
            if !stage.headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                stage.headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            }
        }
        return stage
    }

    /// YAML strings are Unicode; ftw sends code points ≤ 0xFF as single bytes (latin-1), others as UTF-8.
    static func bytes(_ text: String) -> [UInt8] {
        if text.unicodeScalars.allSatisfy({ $0.value <= 0xFF }) {
            return text.unicodeScalars.map { UInt8($0.value) }
        }
        return Array(text.utf8)
    }

    private static func containsCRLF(_ bytes: [UInt8]) -> Bool {
        zip(bytes, bytes.dropFirst()).contains { $0 == 13 && $1 == 10 }
    }

    private static func parseRaw(_ bytes: [UInt8], into stage: inout Stage) {
        // Split head and body at the first blank line (CRLF or LF).
        var headEnd = bytes.count
        var bodyStart = bytes.count
        for i in 0..<bytes.count {
            if bytes[i] == 10, i + 1 < bytes.count, bytes[i + 1] == 10 { headEnd = i; bodyStart = i + 2; break }
            if bytes[i] == 13, i + 3 < bytes.count, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 {
                headEnd = i; bodyStart = i + 4; break
            }
        }
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self)
        var lines = head.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        guard !lines.isEmpty else { return }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        if requestLine.count >= 1 { stage.method = String(requestLine[0]) }
        if requestLine.count >= 2 { stage.uri = String(requestLine[1]) }
        if requestLine.count >= 3 { stage.version = String(requestLine[2]) }
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            stage.headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop(while: { $0 == " " }))))
        }
        stage.body = Array(bytes[bodyStart...])
    }

    static func request(for stage: Stage, id: String) -> WAFRequest {
        WAFRequest(
            requestID: id,
            clientAddress: "127.0.0.1",
            clientPort: 40_000,
            serverAddress: "127.0.0.1",
            serverPort: 80,
            method: stage.method,
            uri: stage.uri,
            httpVersion: stage.version,
            headers: stage.headers,
            body: stage.body.isEmpty ? nil : ByteBuffer(bytes: stage.body)
        )
    }

    /// Judges one verdict against the stage's expectation.
    static func judge(_ stage: Stage, _ verdict: WAFRequestVerdict) -> Result {
        switch stage.expectation {
        case .logContains(let id): return verdict.ruleIDs.contains(id) ? .passed : .failed
        case .noLogContains(let id): return verdict.ruleIDs.contains(id) ? .failed : .passed
        case .status(let statuses):
            if case .deny(let status) = verdict.action, statuses.contains(status) { return .passed }
            // 400/405/…: the HTTP server's own parser answers these before any WAF sees the request.
            return statuses.contains(where: { $0 != 403 && $0 != 200 }) ? .serverLevel : .failed
        case .expectError: return .serverLevel
        }
    }
}
