import Dispatch
import Foundation
import TernCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of the WAF audit log (JSON lines), written for every transaction with a match or an
/// intervention, and for overload / error outcomes.
///
/// Fields: `ts` (Unix seconds), `request_id`, `test_id` (the request's `X-Tern-Test-Id` header, only when
/// present: the CRS regression runner attributes lines by it), `client`, `client_port`, `method`, `uri`,
/// `mode`, `rule_set`, `outcome`, `status` (the enforced status; 0 = passed), `anomaly_score`,
/// `rule_ids`, `matches` (`id`, `msg`, `severity`, `data`, `phase`: request|response).
struct WAFAuditRecord: Sendable {
    var requestID: String
    var testID: String?
    var client: String
    var clientPort: Int
    var method: String
    var uri: String
    var mode: WAFMode
    var ruleSet: Int
    var outcome: WAFOutcome
    var status: Int
    var anomalyScore: Int?
    var requestMatches: [WAFRuleMatch]
    var responseMatches: [WAFRuleMatch]

    /// Whether the record is worth a line: matches, or anything but a clean pass.
    var isRelevant: Bool {
        !self.requestMatches.isEmpty || !self.responseMatches.isEmpty
            || ![.clean, .matched, .off, .refused].contains(self.outcome)
    }

    func jsonLine(timestamp: Double) -> String {
        var out = "{\"ts\":\(String(format: "%.3f", timestamp)),\"request_id\":"
        JSONString.append(self.requestID, to: &out)
        if let testID = self.testID {
            out += ",\"test_id\":"
            JSONString.append(testID, to: &out)
        }
        out += ",\"client\":"
        JSONString.append(self.client, to: &out)
        out += ",\"client_port\":\(self.clientPort),\"method\":"
        JSONString.append(self.method, to: &out)
        out += ",\"uri\":"
        JSONString.append(self.uri, to: &out)
        out += ",\"mode\":\"\(self.mode.rawValue)\",\"rule_set\":\(self.ruleSet),\"outcome\":\"\(self.outcome.rawValue)\",\"status\":\(self.status)"
        out += ",\"anomaly_score\":" + (self.anomalyScore.map(String.init) ?? "null")
        let all = self.requestMatches.map { ($0, "request") } + self.responseMatches.map { ($0, "response") }
        out += ",\"rule_ids\":[" + all.map { String($0.0.id) }.joined(separator: ",") + "],\"matches\":["
        for (index, (match, phase)) in all.enumerated() {
            if index > 0 { out += "," }
            out += "{\"id\":\(match.id),\"msg\":"
            JSONString.append(match.message, to: &out)
            out += ",\"severity\":" + (match.severity.map(String.init) ?? "null") + ",\"data\":"
            JSONString.append(match.data, to: &out)
            out += ",\"phase\":\"\(phase)\"}"
        }
        out += "]}\n"
        return out
    }
}

/// Appends audit lines to a file from its own serial queue, never on the calling thread.
final class WAFAuditLog: Sendable {
    let path: String
    private let fd: Int32
    private let queue: DispatchQueue

    init(path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw WAFError.auditLog(path: path, errno: errno) }
        self.path = path
        self.fd = fd
        self.queue = DispatchQueue(label: "tern.waf.audit")
    }

    func write(_ record: WAFAuditRecord) {
        guard record.isRelevant else { return }
        let fd = self.fd
        self.queue.async {
            let line = record.jsonLine(timestamp: Date().timeIntervalSince1970)
            let bytes = Array(line.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return systemWrite(fd, base + offset, raw.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Waits until every queued line is written (tests, shutdown).
    func flush() {
        self.queue.sync {}
    }

    deinit {
        self.queue.sync {}
        close(self.fd)
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Musl)
private let systemWrite = Musl.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
