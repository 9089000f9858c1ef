import Foundation
import Logging
import NIOCore
import TernConfig
import TernServer
import TernTesting
import XCTest

/// Starts Tern in-process on 127.0.0.1:0 from a YAML snippet and stops it after the test.
///
/// `{{name}}` placeholders in the YAML are replaced by `substitutions` (origin URLs, paths).
func startTern(
    _ yaml: String,
    substitutions: [String: String] = [:],
    baseDirectory: String = NSTemporaryDirectory(),
    file: StaticString = #filePath,
    line: UInt = #line
) throws -> TernServer {
    var text = yaml
    for (key, value) in substitutions {
        text = text.replacingOccurrences(of: "{{\(key)}}", with: value)
    }
    let configuration: TernConfiguration
    do {
        configuration = try ConfigLoader.parse(yaml: text, fileName: "test.yaml", baseDirectory: baseDirectory)
    } catch {
        XCTFail("test configuration is invalid: \(error)", file: file, line: line)
        throw error
    }
    var logger = Logger(label: "tern-test")
    logger.logLevel = .critical
    return try TernServer(configuration: configuration, logger: logger)
}

/// The YAML for one listener on an ephemeral loopback port with access logs off.
let testListenerYAML = """
    listeners:
      - address: 127.0.0.1:0
    logging:
      access:
        path: "off"
    workers: 1
    shutdown_timeout: 2s
    """

/// A minimal proxy configuration: one pool of `members`, one route for `/`.
func proxyYAML(members: [String], extraPool: String = "", extraTop: String = "") -> String {
    let memberLines = members.map { "          - url: \($0)" }.joined(separator: "\n")
    return """
        \(testListenerYAML)
        origins:
          app:
            members:
        \(memberLines)
        \(extraPool)
        routes:
          - path: /
            origin: app
        \(extraTop)
        """
}

extension RawResponse {
    func headerValues(_ name: String) -> [String] { self.headers(name) }
}

/// Reads a response to a GET, failing the test with context on error.
func get(_ port: Int, _ path: String, headers: [(String, String)] = [], file: StaticString = #filePath, line: UInt = #line) throws -> RawResponse {
    do {
        return try RawHTTPClient.get(port: port, path: path, headers: headers)
    } catch {
        XCTFail("GET \(path) failed: \(error)", file: file, line: line)
        throw error
    }
}

/// The resident set size of this process, in bytes (Linux `/proc/self/statm`).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// The repository root (for the bundled config and the built `tern` binary).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
