import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TernConfig
import TernCore
import TernPolicy

/// One access-log entry: everything known about a request once its response is done.
public struct AccessLogRecord: Sendable {
    public var unixTime: Int64
    public var client: String
    public var method: String
    /// The canonical target (what was routed, filtered, keyed and forwarded).
    public var target: String
    /// The target as the client sent it, when it differed from ``target``.
    public var rawTarget: String? = nil
    public var version: String
    public var status: Int
    public var bytesSent: Int
    public var durationMicros: Int64
    public var upstream: String?
    public var upstreamMicros: Int64?
    public var cacheStatus: String?
    public var referer: String?
    public var userAgent: String?
    public var requestID: String?
    /// The security filters' outcome (`acl-denied`, `rate-limited`, `waf-blocked`, `waf-detected`…).
    public var security: String? = nil

    public init(
        unixTime: Int64, client: String, method: String, target: String, rawTarget: String? = nil, version: String, status: Int,
        bytesSent: Int, durationMicros: Int64, upstream: String?, upstreamMicros: Int64?, cacheStatus: String?,
        referer: String?, userAgent: String?, requestID: String?, security: String? = nil
    ) {
        self.unixTime = unixTime
        self.client = client
        self.method = method
        self.target = target
        self.rawTarget = rawTarget
        self.version = version
        self.status = status
        self.bytesSent = bytesSent
        self.durationMicros = durationMicros
        self.upstream = upstream
        self.upstreamMicros = upstreamMicros
        self.cacheStatus = cacheStatus
        self.referer = referer
        self.userAgent = userAgent
        self.requestID = requestID
        self.security = security
    }
}

/// Formats access-log lines (pure; `combined` as Apache/nginx write it, or JSON lines).
public enum AccessLogFormatter {
    /// `client - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 2326 "referer" "agent" rt=0.001 upstream=… urt=… cache=…`
    public static func combined(_ r: AccessLogRecord) -> String {
        var line = ""
        line.reserveCapacity(200)
        line += r.client
        line += " - - ["
        line += Self.commonLogTime(r.unixTime)
        line += "] \""
        line += Self.escaped(r.method)
        line += " "
        line += Self.escaped(r.target)
        line += " "
        line += r.version
        line += "\" "
        line += String(r.status)
        line += " "
        line += String(r.bytesSent)
        line += " \""
        line += Self.escaped(r.referer ?? "-")
        line += "\" \""
        line += Self.escaped(r.userAgent ?? "-")
        line += "\" rt="
        line += Self.seconds(r.durationMicros)
        line += " upstream="
        line += r.upstream ?? "-"
        line += " urt="
        line += r.upstreamMicros.map(Self.seconds) ?? "-"
        line += " cache="
        line += r.cacheStatus ?? "-"
        if let security = r.security {
            line += " sec="
            line += security
        }
        if let raw = r.rawTarget {
            line += " raw=\""
            line += Self.escaped(raw)
            line += "\""
        }
        if let id = r.requestID {
            line += " id="
            line += id
        }
        line += "\n"
        return line
    }

    /// One JSON object per line with stable field names.
    public static func json(_ r: AccessLogRecord) -> String {
        var line = "{\"time\":\""
        line += Self.isoTime(r.unixTime)
        line += "\",\"client\":" + JSONString.quoted(r.client)
        line += ",\"method\":" + JSONString.quoted(r.method)
        line += ",\"target\":" + JSONString.quoted(r.target)
        if let raw = r.rawTarget { line += ",\"raw_target\":" + JSONString.quoted(raw) }
        line += ",\"version\":" + JSONString.quoted(r.version)
        line += ",\"status\":" + String(r.status)
        line += ",\"bytes\":" + String(r.bytesSent)
        line += ",\"duration_ms\":" + Self.millis(r.durationMicros)
        line += ",\"upstream\":" + (r.upstream.map(JSONString.quoted) ?? "null")
        line += ",\"upstream_ms\":" + (r.upstreamMicros.map(Self.millis) ?? "null")
        line += ",\"cache\":" + (r.cacheStatus.map(JSONString.quoted) ?? "null")
        line += ",\"referer\":" + (r.referer.map(JSONString.quoted) ?? "null")
        line += ",\"user_agent\":" + (r.userAgent.map(JSONString.quoted) ?? "null")
        if let id = r.requestID { line += ",\"request_id\":" + JSONString.quoted(id) }
        if let security = r.security { line += ",\"security\":" + JSONString.quoted(security) }
        line += "}\n"
        return line
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func civil(_ unix: Int64) -> (y: Int64, m: Int, d: Int, hh: Int, mm: Int, ss: Int) {
        let days = unix >= 0 ? unix / 86_400 : (unix - 86_399) / 86_400
        let secs = Int(unix - days * 86_400)
        let date = HTTPDate.civil(fromDays: days)
        return (date.year, date.month, date.day, secs / 3600, (secs % 3600) / 60, secs % 60)
    }

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }

    /// `10/Oct/2000:13:55:36 +0000`
    public static func commonLogTime(_ unix: Int64) -> String {
        let c = Self.civil(unix)
        return "\(Self.two(c.d))/\(Self.months[c.m - 1])/\(c.y):\(Self.two(c.hh)):\(Self.two(c.mm)):\(Self.two(c.ss)) +0000"
    }

    /// `2000-10-10T13:55:36Z`
    public static func isoTime(_ unix: Int64) -> String {
        let c = Self.civil(unix)
        return "\(c.y)-\(Self.two(c.m))-\(Self.two(c.d))T\(Self.two(c.hh)):\(Self.two(c.mm)):\(Self.two(c.ss))Z"
    }

    static func seconds(_ micros: Int64) -> String {
        let ms = micros / 1000
        let frac = ms % 1000
        return "\(ms / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)"
    }

    static func millis(_ micros: Int64) -> String {
        let frac = micros % 1000
        return "\(micros / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)"
    }

    /// Escapes `"` and `\` and control bytes so a hostile target can't forge log lines.
    static func escaped(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + String(scalar.value, radix: 16, uppercase: false).leftPadded(2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}

/// Writes access-log lines on a background thread so event loops never block on I/O.
///
/// Event loops append formatted lines to a buffer under a lock; the writer thread swaps the buffer
/// out and writes it with one `write(2)` per batch. If the writer falls behind by more than
/// `maxBufferedBytes`, new lines are dropped and counted rather than blocking requests.
public final class AccessLogSink: @unchecked Sendable {
    private let fd: Int32
    private let ownsFD: Bool
    private let format: AccessLogConfig.Format
    private let condition = NSCondition()
    private var buffer: [UInt8] = []
    private var stopped = false
    private var finished = false
    private var thread: Thread?
    private let maxBufferedBytes = 8 << 20
    /// Lines dropped because the writer could not keep up.
    public private(set) var dropped = 0

    public init?(config: AccessLogConfig) throws {
        self.format = config.format
        switch config.destination {
        case .off: return nil
        case .stdout: self.fd = STDOUT_FILENO; self.ownsFD = false
        case .stderr: self.fd = STDERR_FILENO; self.ownsFD = false
        case .file(let path):
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw TernProxyError.cannotOpenAccessLog(path: path, errno: errno)
            }
            self.fd = fd
            self.ownsFD = true
        }
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "tern-access-log"
        self.thread = thread
        thread.start()
    }

    /// Formats and queues one record (called on event loops; never blocks on I/O).
    public func log(_ record: AccessLogRecord) {
        let line = self.format == .json ? AccessLogFormatter.json(record) : AccessLogFormatter.combined(record)
        self.condition.lock()
        if self.buffer.count > self.maxBufferedBytes {
            self.dropped += 1
        } else {
            let wasEmpty = self.buffer.isEmpty
            self.buffer.append(contentsOf: line.utf8)
            if wasEmpty { self.condition.signal() }
        }
        self.condition.unlock()
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            self.condition.lock()
            while self.buffer.isEmpty && !self.stopped { self.condition.wait() }
            if self.buffer.isEmpty && self.stopped {
                self.condition.unlock()
                break
            }
            swap(&batch, &self.buffer)
            self.condition.unlock()
            batch.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(self.fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        break
                    }
                    offset += n
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
        self.condition.lock()
        self.finished = true
        self.condition.broadcast()
        self.condition.unlock()
    }

    /// Flushes what is queued and stops the writer thread.
    public func close() {
        self.condition.lock()
        self.stopped = true
        self.condition.signal()
        // Wait until the writer has drained the buffer and left its loop.
        while !self.finished { _ = self.condition.wait(until: Date().addingTimeInterval(0.05)) }
        self.condition.unlock()
        if self.ownsFD { Foundation.close(self.fd) }
    }
}

/// Errors the data plane reports at start-up.
public enum TernProxyError: Error, CustomStringConvertible {
    case cannotOpenAccessLog(path: String, errno: Int32)
    case cannotBind(address: String, reason: String)
    case originSetup(pool: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpenAccessLog(let path, let code):
            return "cannot open access log \(path): \(String(cString: strerror(code)))"
        case .cannotBind(let address, let reason):
            return "cannot listen on \(address): \(reason)"
        case .originSetup(let pool, let reason):
            return "origin pool \(pool): \(reason)"
        }
    }
}
