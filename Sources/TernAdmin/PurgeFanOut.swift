import Foundation
import NIOCore

/// Exit statuses of `tern purge` and `tern stats`, for scripts.
public enum AdminExitCode: Int32, Sendable, CaseIterable {
    /// Every node answered successfully.
    case ok = 0
    /// At least one node failed: unreachable, timed out, or a 5xx answer.
    case nodeFailed = 1
    /// The command line or the request was wrong (also a node's 400/404/405/413).
    case usage = 2
    /// A node refused the credentials: 401 (missing or wrong token) or 403 (no token configured, or the client
    /// address is not in `admin.allow`).
    case authentication = 3
}

/// What one node said to one admin request.
public struct NodeReport<Value: Sendable & Equatable & Encodable>: Sendable, Equatable {
    /// The classification of the answer.
    public enum Outcome: Sendable, Equatable {
        /// 200 with a result.
        case ok(Value)
        /// 401 or 403.
        case authentication(status: Int, message: String)
        /// Another 4xx: the request was wrong.
        case rejected(status: Int, message: String)
        /// Unreachable, timed out, malformed, or 5xx.
        case failed(status: Int?, message: String)
    }

    /// The admin URL of the node.
    public var node: String
    /// What happened.
    public var outcome: Outcome

    /// Creates a report.
    public init(node: String, outcome: Outcome) {
        self.node = node
        self.outcome = outcome
    }

    /// The exit code this report alone would give.
    public var exitCode: AdminExitCode {
        switch self.outcome {
        case .ok: return .ok
        case .authentication: return .authentication
        case .rejected: return .usage
        case .failed: return .nodeFailed
        }
    }

    /// Classifies an HTTP answer (`value` is the decoded 200 body).
    public static func classify(node: String, status: Int, message: String, value: Value?) -> NodeReport {
        if status == 200, let value { return NodeReport(node: node, outcome: .ok(value)) }
        switch status {
        case 401, 403: return NodeReport(node: node, outcome: .authentication(status: status, message: message))
        case 400..<500: return NodeReport(node: node, outcome: .rejected(status: status, message: message))
        default: return NodeReport(node: node, outcome: .failed(status: status, message: message))
        }
    }
}

extension AdminExitCode {
    /// The exit code for several nodes: authentication problems first (retrying cannot fix them), then usage
    /// errors, then failed nodes; 0 only when every node succeeded. No node at all is a usage error.
    public static func combined(_ codes: [AdminExitCode]) -> AdminExitCode {
        if codes.isEmpty { return .usage }
        for code in [AdminExitCode.authentication, .usage, .nodeFailed] where codes.contains(code) {
            return code
        }
        return .ok
    }
}

/// `tern purge`: sends one purge to every node concurrently and reports each.
public enum PurgeFanOut {
    /// Purges `request` on every node in `nodes` (admin URLs), concurrently; reports come back in `nodes` order.
    public static func run(
        _ request: PurgeRequest, nodes: [String], token: String?, group: any EventLoopGroup,
        timeout: TimeAmount = .seconds(30)
    ) async -> [NodeReport<PurgeResult>] {
        await withTaskGroup(of: (Int, NodeReport<PurgeResult>).self) { tasks in
            for (index, node) in nodes.enumerated() {
                tasks.addTask {
                    guard let endpoint = AdminClient.Endpoint(node) else {
                        return (index, NodeReport(node: node, outcome: .rejected(status: 0, message: "invalid admin URL '\(node)' (expected http://host:port)")))
                    }
                    let client = AdminClient(endpoint: endpoint, group: group, timeout: timeout)
                    do {
                        let (response, result) = try await client.purge(request, token: token)
                        return (index, .classify(node: node, status: response.status, message: response.errorMessage, value: result))
                    } catch {
                        return (index, NodeReport(node: node, outcome: .failed(status: nil, message: "\(error)")))
                    }
                }
            }
            var reports = [NodeReport<PurgeResult>?](repeating: nil, count: nodes.count)
            for await (index, report) in tasks { reports[index] = report }
            return reports.compactMap { $0 }
        }
    }

    /// One line per node, e.g. `http://10.0.0.1:9090: purged 3 of 3 (hard)`.
    public static func text(_ reports: [NodeReport<PurgeResult>], showSample: Bool = false) -> String {
        var lines: [String] = []
        for report in reports {
            switch report.outcome {
            case .ok(let result):
                let mode = result.soft ? "soft: marked stale" : "hard: deleted"
                if result.dryRun {
                    lines.append("\(report.node): dry run, \(result.matched) object(s) would be purged (\(result.soft ? "soft" : "hard"))")
                } else {
                    lines.append("\(report.node): purged \(result.purged) of \(result.matched) matched object(s) (\(mode))")
                }
                if showSample || result.dryRun {
                    for key in result.sample.prefix(20) { lines.append("  \(key)") }
                    if result.matched > min(20, result.sample.count) {
                        lines.append("  … \(result.matched - min(20, result.sample.count)) more")
                    }
                }
            case .authentication(let status, let message):
                lines.append("\(report.node): authentication failed (\(status)): \(message)")
            case .rejected(let status, let message):
                lines.append("\(report.node): rejected\(status > 0 ? " (\(status))" : ""): \(message)")
            case .failed(let status, let message):
                lines.append("\(report.node): FAILED\(status.map { " (\($0))" } ?? ""): \(message)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `{"exitCode": n, "nodes": [{"node", "ok", "status", "result", "error"}]}`.
    public static func json(_ reports: [NodeReport<PurgeResult>]) -> String {
        struct Node: Encodable {
            var node: String
            var ok: Bool
            var status: Int?
            var result: PurgeResult?
            var error: String?
        }
        struct Document: Encodable {
            var exitCode: Int32
            var nodes: [Node]
        }
        let nodes = reports.map { report -> Node in
            switch report.outcome {
            case .ok(let result): return Node(node: report.node, ok: true, status: 200, result: result)
            case .authentication(let status, let message), .rejected(let status, let message):
                return Node(node: report.node, ok: false, status: status > 0 ? status : nil, error: message)
            case .failed(let status, let message):
                return Node(node: report.node, ok: false, status: status, error: message)
            }
        }
        let document = Document(exitCode: AdminExitCode.combined(reports.map(\.exitCode)).rawValue, nodes: nodes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(document)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
