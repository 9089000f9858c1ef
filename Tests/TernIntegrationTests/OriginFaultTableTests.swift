import Atomics
import Foundation
import NIOCore
import TernServer
import TernTesting
import XCTest

/// Origin faults, one table (issue 13): for each, what the client gets, that nothing was stored
/// (a second request for the same URL reaches the origin again), and the member's health (a
/// one-member pool: never ejected, failures counted).
final class OriginFaultTableTests: XCTestCase {
    enum Expect: Equatable {
        /// A complete response with this status.
        case status(Int)
        /// The connection closed before a complete response (a head may have been sent).
        case aborted
    }

    struct Fault {
        var name: String
        var script: TestResponse
        var expect: Expect
        /// Whether the member's failure counter goes up (once per request).
        var failure: Bool
        var line: UInt
    }

    static let cacheable = "Cache-Control: max-age=600"

    static func head(_ status: String = "200 OK", contentLength: Int, extra: [String] = []) -> String {
        (["HTTP/1.1 \(status)", "Content-Length: \(contentLength)", cacheable] + extra).joined(separator: "\r\n")
    }

    static let small = TestResponse.patternBytes(count: 1000)
    static let large = TestResponse.patternBytes(count: 300_000)

    static let faults: [Fault] = [
        Fault(name: "reset-mid-body", script: .raw(head: head(contentLength: 1000), body: Array(small.prefix(300)), then: .reset),
              expect: .status(502), failure: true, line: #line),
        Fault(name: "reset-mid-large-body", script: .raw(head: head(contentLength: large.count), body: Array(large.prefix(100_000)), then: .reset),
              expect: .aborted, failure: true, line: #line),
        Fault(name: "short-content-length-body", script: .raw(head: head(contentLength: 1000), body: Array(small.prefix(10)), then: .close),
              expect: .status(502), failure: true, line: #line),
        Fault(name: "short-large-body", script: .raw(head: head(contentLength: large.count), body: Array(large.prefix(150_000)), then: .close),
              expect: .aborted, failure: true, line: #line),
        Fault(name: "body-longer-than-content-length", script: .raw(head: head(contentLength: 10), body: Array(small.prefix(500)), then: .close),
              expect: .status(502), failure: true, line: #line),
        Fault(name: "stall-before-head", script: .performing(.hang),
              expect: .status(504), failure: true, line: #line),
        Fault(name: "stall-after-head", script: .raw(head: head(contentLength: 1000), then: .hang),
              expect: .status(504), failure: true, line: #line),
        Fault(name: "stall-mid-body", script: .raw(head: head(contentLength: 1000), body: Array(small.prefix(200)), then: .hang),
              expect: .status(504), failure: true, line: #line),
        Fault(name: "stall-mid-large-body", script: .raw(head: head(contentLength: large.count), body: Array(large.prefix(100_000)), then: .hang),
              expect: .aborted, failure: true, line: #line),
        Fault(name: "garbage", script: .raw(head: "NOT HTTP AT ALL", then: .close),
              expect: .status(502), failure: true, line: #line),
        Fault(name: "1xx-storm", script: TestResponse(action: .raw(
            Array(String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 50).utf8) + Array((head(contentLength: 2) + "\r\n\r\nok").utf8), then: .close)),
              expect: .status(502), failure: true, line: #line),
        Fault(name: "oversized-header", script: .raw(head: head(contentLength: 2, extra: ["X-Big: " + String(repeating: "b", count: 70_000)]), body: Array("ok".utf8), then: .close),
              expect: .status(502), failure: true, line: #line),
        Fault(name: "overcounted-headers", script: .raw(head: head(contentLength: 2, extra: (0..<201).map { "X-F\($0): v" }), body: Array("ok".utf8), then: .close),
              expect: .status(502), failure: true, line: #line),
        Fault(name: "close-without-response", script: .performing(.closeWithoutResponse),
              expect: .status(502), failure: true, line: #line),
    ]

    /// Heads within the limits are fine (the limits are not off by one).
    static let controls: [Fault] = [
        Fault(name: "few-1xx", script: TestResponse(action: .raw(
            Array(String(repeating: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", count: 16).utf8) + Array((head(contentLength: 2) + "\r\n\r\nok").utf8), then: .close)),
              expect: .status(200), failure: false, line: #line),
        Fault(name: "many-headers-within-limit", script: .raw(head: head(contentLength: 2, extra: (0..<197).map { "X-F\($0): v" }), body: Array("ok".utf8), then: .close),
              expect: .status(200), failure: false, line: #line),
        Fault(name: "large-header-within-limit", script: .raw(head: head(contentLength: 2, extra: ["X-Big: " + String(repeating: "b", count: 60_000)]), body: Array("ok".utf8), then: .close),
              expect: .status(200), failure: false, line: #line),
    ]

    func testOriginFaults() throws {
        let scripts = Dictionary(uniqueKeysWithValues: (Self.faults + Self.controls).map { ("/\($0.name)", $0.script) })
        let origin = try TestOrigin.start { request in scripts[request.uri] ?? .ok("unknown") }
        defer { origin.stop() }
        let tern = try startTern(proxyYAML(members: [origin.url], extraPool: """
                timeouts: {first_byte: 500ms, idle: 500ms}
                connections: {max_idle: 0}
            """))
        defer { tern.shutdown() }
        let member = tern.proxy.runtime.pools[0].members[0]
        func originRequests(_ path: String) -> Int { origin.requests.filter { $0.uri == path }.count }

        for fault in Self.faults + Self.controls {
            let path = "/\(fault.name)"
            let failuresBefore = member.failuresTotal.load(ordering: .relaxed)
            for attempt in 1...2 {
                let outcome = Self.fetch(port: tern.port, path: path)
                switch (fault.expect, outcome) {
                case (.status(let expected), .response(let response)):
                    XCTAssertEqual(response.status, expected, "\(fault.name) #\(attempt)", line: fault.line)
                    if expected == 200 {
                        XCTAssertEqual(response.bodyString, "ok", "\(fault.name)", line: fault.line)
                    }
                case (.aborted, .aborted(let partialHead)):
                    // The head went out before the body broke off: it must not claim the object was stored.
                    XCTAssertFalse(partialHead.lowercased().contains("stored"), "\(fault.name): \(partialHead)", line: fault.line)
                default:
                    XCTFail("\(fault.name) #\(attempt): expected \(fault.expect), got \(outcome)", line: fault.line)
                }
                if fault.expect != .status(200) || attempt == 1 {
                    XCTAssertEqual(originRequests(path), attempt, "\(fault.name): nothing stored, so request #\(attempt) reached the origin", line: fault.line)
                }
            }
            if fault.expect == .status(200) {
                XCTAssertEqual(originRequests(path), 1, "\(fault.name): a complete response is stored and hit", line: fault.line)
            }
            let failures = member.failuresTotal.load(ordering: .relaxed) - failuresBefore
            XCTAssertEqual(failures, fault.failure ? 2 : 0, "\(fault.name): failures counted", line: fault.line)
            // The pool's only member stays in service whatever the origin does.
            XCTAssertTrue(member.isAvailableForStats(now: .now()), "\(fault.name)", line: fault.line)
        }
        XCTAssertEqual(member.ejections.withLockedValue { $0 }, [:])
        let suppressed = member.ejectionsSuppressed.withLockedValue { $0 }
        XCTAssertGreaterThan(suppressed.values.reduce(0, +), 0, "failures that would have ejected the member were reported: \(suppressed)")
    }

    enum Outcome: CustomStringConvertible {
        case response(RawResponse)
        case aborted(partialHead: String)
        case error(String)

        var description: String {
            switch self {
            case .response(let r): return "status \(r.status)"
            case .aborted(let head): return "aborted after \(head.prefix(120))"
            case .error(let e): return "error \(e)"
            }
        }
    }

    static func fetch(port: Int, path: String) -> Outcome {
        do {
            let client = try RawHTTPClient(port: port)
            defer { client.close() }
            try client.send("GET \(path) HTTP/1.1\r\nHost: faults.test\r\n\r\n")
            return .response(try client.readResponse())
        } catch RawHTTPClientError.closedBeforeCompleteResponse(let partial) {
            let text = String(decoding: partial.prefix(4096), as: UTF8.self)
            return .aborted(partialHead: String(text.components(separatedBy: "\r\n\r\n").first ?? ""))
        } catch {
            return .error("\(error)")
        }
    }
}
