import CModSecurity
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One ModSecurity transaction (one request, never reused).
///
/// Returned in a passing ``WAFRequestVerdict``; the proxy hands it to
/// ``WAFEngine/inspectResponse(_:status:headers:body:on:)`` or ``WAFEngine/finish(_:)``. Danger: a handle
/// that is simply dropped is cleaned up by `deinit` on whatever thread drops it (logging phase included),
/// which may be an event loop — always call one of the two.
public final class WAFTransactionHandle: @unchecked Sendable {
    // Safety: the transaction pointer is used by one WAF thread at a time (phases are sequential,
    // each submitted after the previous completed); `state` guards the close.
    private let pointer: OpaquePointer
    let collector: WAFMatchCollector
    private let ruleSet: CompiledRuleSet
    private let instance: ModSecurityInstance
    private let audit: WAFAuditLog?
    /// The route's mode for this transaction.
    public let mode: WAFMode
    /// Tern's request id (ModSecurity `unique_id`).
    public let requestID: String
    private let state: NIOLockedValueBox<State>

    private struct State {
        var closed = false
        var record: WAFAuditRecord
    }

    init(
        instance: ModSecurityInstance,
        ruleSet: CompiledRuleSet,
        audit: WAFAuditLog?,
        mode: WAFMode,
        record: WAFAuditRecord
    ) {
        let collector = WAFMatchCollector()
        let id = Self.sanitizedID(record.requestID)
        self.pointer = id.withCString { idPointer in
            // The engine copies the id; the collector pointer is handed back to ternWAFLogCallback.
            msc_new_transaction_with_id(
                instance.pointer,
                ruleSet.pointer,
                UnsafeMutablePointer(mutating: idPointer),
                Unmanaged.passUnretained(collector).toOpaque()
            )
        }
        self.collector = collector
        self.ruleSet = ruleSet
        self.instance = instance
        self.audit = audit
        self.mode = mode
        self.requestID = record.requestID
        self.state = NIOLockedValueBox(State(record: record))
    }

    deinit {
        self.close()
    }

    /// A request id safe for the engine's log format (no quotes, spaces or control characters).
    static func sanitizedID(_ id: String) -> String {
        // Byte-level: this runs for every inspected request (a Set<Character> cost ~60k instructions).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(id.utf8.count, 128))
        var needsCopy = false
        for byte in id.utf8.prefix(128) {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"):
                bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "_"))
                needsCopy = true
            }
        }
        if bytes.isEmpty { return "-" }
        if !needsCopy, id.utf8.count <= 128 { return id }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Phases (WAF threads only)

    /// An engine intervention.
    struct Intervention {
        var status: Int
        var url: String?

        var action: WAFAction {
            if let url, (300..<400).contains(self.status) { return .redirect(status: self.status, url: url) }
            if let url { return .redirect(status: 302, url: url) }
            return .deny(status: self.status >= 400 ? self.status : 403)
        }
    }

    /// Checks for an intervention after a phase; records its log entry as a (disruptive) match and frees
    /// the strings the engine allocated.
    func intervention() -> Intervention? {
        var it = ModSecurityIntervention(status: 200, pause: 0, url: nil, log: nil, disruptive: 0)
        let disrupted = msc_intervention(self.pointer, &it)
        defer {
            free(it.url)
            free(it.log)
        }
        if let log = it.log, let match = WAFLogMessage.parse(String(cString: log)) {
            self.collector.append(match)
        }
        guard disrupted != 0 || it.disruptive != 0 else { return nil }
        return Intervention(status: Int(it.status), url: it.url.map { String(cString: $0) })
    }

    func processConnection(client: String, clientPort: Int, server: String, serverPort: Int) {
        _ = msc_process_connection(self.pointer, client, Int32(clamping: clientPort), server, Int32(clamping: serverPort))
    }

    func processURI(_ uri: String, method: String, version: String) {
        _ = msc_process_uri(self.pointer, uri, method, version)
    }

    func addRequestHeader(_ name: String, _ value: String) {
        Self.withBytes(name) { n in
            Self.withBytes(value) { v in
                _ = msc_add_n_request_header(self.pointer, n.baseAddress, n.count, v.baseAddress, v.count)
            }
        }
    }

    func processRequestHeaders() { _ = msc_process_request_headers(self.pointer) }

    func appendRequestBody(_ body: ByteBuffer) {
        body.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            _ = msc_append_request_body(self.pointer, base.assumingMemoryBound(to: UInt8.self), raw.count)
        }
    }

    func processRequestBody() { _ = msc_process_request_body(self.pointer) }

    func addResponseHeader(_ name: String, _ value: String) {
        Self.withBytes(name) { n in
            Self.withBytes(value) { v in
                _ = msc_add_n_response_header(self.pointer, n.baseAddress, n.count, v.baseAddress, v.count)
            }
        }
    }

    func processResponseHeaders(status: Int) { _ = msc_process_response_headers(self.pointer, Int32(clamping: status), "HTTP 1.1") }

    func appendResponseBody(_ body: ByteBuffer) {
        body.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            _ = msc_append_response_body(self.pointer, base.assumingMemoryBound(to: UInt8.self), raw.count)
        }
    }

    func processResponseBody() { _ = msc_process_response_body(self.pointer) }

    /// Updates the audit record (request verdict, response matches).
    func updateRecord(_ body: (inout WAFAuditRecord) -> Void) {
        self.state.withLockedValue { body(&$0.record) }
    }

    /// Logging phase, clean-up and the audit line. Idempotent.
    func close() {
        let record: WAFAuditRecord? = self.state.withLockedValue { state in
            guard !state.closed else { return nil }
            state.closed = true
            return state.record
        }
        guard let record else { return }
        _ = msc_process_logging(self.pointer)
        msc_transaction_cleanup(self.pointer)
        self.audit?.write(record)
    }

    private static func withBytes(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if let done: Void = string.utf8.withContiguousStorageIfAvailable(body) {
            return done
        }
        let bytes = Array(string.utf8)
        bytes.withUnsafeBufferPointer(body)
    }
}
