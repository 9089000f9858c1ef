import NIOCore

/// A request as received by a ``TestOrigin``.
///
/// The body has been read completely before the origin's handler is called, so
/// `body` always holds every byte the client sent for this request.
public struct TestRequest: Sendable {
    /// The request method, for example `"GET"`.
    public var method: String
    /// The request target exactly as sent, for example `"/a?b=c"`.
    public var uri: String
    /// The protocol version, for example `"HTTP/1.1"`.
    public var version: String
    /// Header fields in the order they arrived (names keep their original case).
    public var headers: [(name: String, value: String)]
    /// The decoded request body (chunked framing removed).
    public var body: [UInt8]
    /// The 1-based index of the accepted connection that carried this request.
    ///
    /// Two requests with the same `connectionID` were sent on the same TCP connection,
    /// which lets tests assert connection reuse by a proxy.
    public var connectionID: Int

    /// Creates a request value; ``TestOrigin`` builds these for you.
    public init(
        method: String,
        uri: String,
        version: String = "HTTP/1.1",
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        connectionID: Int = 1
    ) {
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers
        self.body = body
        self.connectionID = connectionID
    }

    /// The value of the first header field called `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        self.headers.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }

    /// Every value of the header fields called `name` (case-insensitive), in arrival order.
    public func headers(_ name: String) -> [String] {
        self.headers.filter { asciiCaseInsensitiveEquals($0.name, name) }.map(\.value)
    }

    /// The body decoded as UTF-8 (invalid sequences are replaced).
    public var bodyString: String { String(decoding: self.body, as: UTF8.self) }
}

/// A scripted answer for one request to a ``TestOrigin``.
///
/// Build one with the static helpers and adjust fields as needed:
///
/// ```swift
/// var r = TestResponse.ok("hello", headers: [("Cache-Control", "max-age=60")])
/// r.delayBeforeHead = .milliseconds(200)
/// ```
public struct TestResponse: Sendable {
    /// How the response body is produced.
    public enum Body: Sendable {
        /// A fixed body. `Content-Length` is added automatically unless a framing header is
        /// already present or the response has no body (a `HEAD` request, 1xx, 204 or 304).
        case bytes([UInt8])
        /// `Transfer-Encoding: chunked`, one HTTP chunk per element, with `interval`
        /// between chunks. Empty elements are skipped (they would end the body early).
        case chunked([[UInt8]], interval: TimeAmount)
        /// A deterministic body of `totalBytes` bytes where byte *i* is `UInt8(i % 251)`
        /// (see ``TestResponse/patternBytes(count:)``), written `chunkSize` bytes at a time,
        /// waiting `interval` between writes.
        ///
        /// Streaming uses real backpressure: the next chunk is written only once the previous
        /// write has completed (reached the socket), so a slow reader slows the origin down.
        /// With `useContentLength` the head carries `Content-Length: totalBytes`; otherwise
        /// the body is sent with `Transfer-Encoding: chunked`, one HTTP chunk per write.
        case generated(totalBytes: Int, chunkSize: Int, interval: TimeAmount, useContentLength: Bool)
    }

    /// What the origin does with the connection instead of (or while) answering.
    public enum Action: Sendable {
        /// Send the response normally.
        case respond
        /// Close the connection without writing anything.
        case closeWithoutResponse
        /// Send the head with the full `Content-Length` of ``TestResponse/body``, then only the
        /// first `n` body bytes, then close: a truncated response.
        case abortAfterBodyBytes(Int)
        /// Never answer; the connection stays open until the client or ``TestOrigin/stop()``
        /// closes it.
        case hang
        /// Write the garbage bytes `"HTTP/1.1 abc\r\n\r\n"`, then close.
        case invalidResponse
        /// Write these bytes verbatim (no HTTP encoding: heads, bodies, broken framing, 1xx storms),
        /// then end as `then` says.
        case raw([UInt8], then: RawEnding)
    }

    /// How a ``Action/raw(_:then:)`` script ends.
    public enum RawEnding: Sendable {
        /// Close the connection normally (FIN).
        case close
        /// Close with a TCP reset (`SO_LINGER` 0): the peer sees `ECONNRESET`.
        case reset
        /// Keep the connection open and silent (a stall).
        case hang
    }

    /// A raw script: `head` (status line and fields, without the final empty line) and `body`
    /// bytes sent verbatim, then `then`.
    public static func raw(head: String, body: [UInt8] = [], then ending: RawEnding) -> TestResponse {
        TestResponse(action: .raw(Array((head + "\r\n\r\n").utf8) + body, then: ending))
    }

    /// The status code.
    public var status: Int
    /// Header fields sent verbatim, in order. Framing headers given here win over the
    /// automatic ones, which makes deliberately inconsistent framing possible.
    public var headers: [(String, String)]
    /// The body.
    public var body: Body
    /// How long to wait after the request was fully read before acting. Default: zero.
    public var delayBeforeHead: TimeAmount
    /// What to do. Default: ``Action/respond``.
    public var action: Action
    /// When `false`, `Connection: close` is added and the connection is closed after the
    /// response. The origin also closes when the request itself asked for it
    /// (`Connection: close`, or HTTP/1.0 without keep-alive). Default: `true`.
    public var keepAlive: Bool

    /// Creates a response; the static helpers are usually shorter.
    public init(
        status: Int = 200,
        headers: [(String, String)] = [],
        body: Body = .bytes([]),
        delayBeforeHead: TimeAmount = .zero,
        action: Action = .respond,
        keepAlive: Bool = true
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delayBeforeHead = delayBeforeHead
        self.action = action
        self.keepAlive = keepAlive
    }

    /// `200 OK` with a UTF-8 body.
    public static func ok(_ body: String, headers: [(String, String)] = []) -> TestResponse {
        TestResponse(status: 200, headers: headers, body: .bytes(Array(body.utf8)))
    }

    /// Any status with an optional UTF-8 body.
    public static func status(_ code: Int, body: String = "", headers: [(String, String)] = []) -> TestResponse {
        TestResponse(status: code, headers: headers, body: .bytes(Array(body.utf8)))
    }

    /// Any status with a binary body.
    public static func bytes(_ bytes: [UInt8], status: Int = 200, headers: [(String, String)] = []) -> TestResponse {
        TestResponse(status: status, headers: headers, body: .bytes(bytes))
    }

    /// A chunked response, one HTTP chunk per string.
    public static func chunked(
        _ chunks: [String],
        interval: TimeAmount = .zero,
        status: Int = 200,
        headers: [(String, String)] = []
    ) -> TestResponse {
        TestResponse(status: status, headers: headers, body: .chunked(chunks.map { Array($0.utf8) }, interval: interval))
    }

    /// A large deterministic body streamed with backpressure; see ``Body/generated(totalBytes:chunkSize:interval:useContentLength:)``.
    public static func generated(
        totalBytes: Int,
        chunkSize: Int = 16 * 1024,
        interval: TimeAmount = .zero,
        useContentLength: Bool = true,
        status: Int = 200,
        headers: [(String, String)] = []
    ) -> TestResponse {
        TestResponse(
            status: status,
            headers: headers,
            body: .generated(
                totalBytes: totalBytes,
                chunkSize: chunkSize,
                interval: interval,
                useContentLength: useContentLength
            )
        )
    }

    /// A response whose ``action`` is `action`, for example `.performing(.hang)` or
    /// `.performing(.abortAfterBodyBytes(10), body: bytes)` (the body is what
    /// ``Action/abortAfterBodyBytes(_:)`` truncates).
    public static func performing(_ action: Action, body: [UInt8] = []) -> TestResponse {
        TestResponse(body: .bytes(body), action: action)
    }

    /// A copy with ``delayBeforeHead`` set.
    public func delayed(by delay: TimeAmount) -> TestResponse {
        var copy = self
        copy.delayBeforeHead = delay
        return copy
    }

    /// A copy with ``keepAlive`` set to `false`.
    public func closingConnection() -> TestResponse {
        var copy = self
        copy.keepAlive = false
        return copy
    }

    /// The deterministic pattern used by ``Body/generated(totalBytes:chunkSize:interval:useContentLength:)``:
    /// byte *i* is `UInt8(i % 251)`.
    public static func patternBytes(count: Int) -> [UInt8] {
        patternBytes(offset: 0, count: count)
    }

    /// `count` pattern bytes starting at absolute offset `offset`.
    static func patternBytes(offset: Int, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8]()
        out.reserveCapacity(count)
        var v = offset % 251
        for _ in 0..<count {
            out.append(UInt8(v))
            v += 1
            if v == 251 { v = 0 }
        }
        return out
    }

    /// Every body byte, materialized (used for truncation).
    var allBodyBytes: [UInt8] {
        switch self.body {
        case .bytes(let b): return b
        case .chunked(let chunks, _): return chunks.flatMap { $0 }
        case .generated(let total, _, _, _): return TestResponse.patternBytes(count: total)
        }
    }
}

/// ASCII case-insensitive comparison for header names.
func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    let ua = a.utf8, ub = b.utf8
    guard ua.count == ub.count else { return false }
    for (x, y) in zip(ua, ub) {
        let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
        let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
        if lx != ly { return false }
    }
    return true
}
