#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors thrown by ``RawHTTPClient``.
public enum RawHTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The TCP connection could not be established.
    case connectFailed(String)
    /// No byte arrived (or could be sent) within the client's timeout.
    case timeout
    /// The peer closed (or reset) the connection before a complete response arrived.
    /// `partial` holds every byte received for the response being read.
    case closedBeforeCompleteResponse(partial: [UInt8])
    /// The bytes received are not a valid HTTP/1.x response; the message says why.
    case malformed(String)
    /// A socket call failed; the message names it and the reason.
    case io(String)

    public var description: String {
        switch self {
        case .connectFailed(let why): return "connect failed: \(why)"
        case .timeout: return "timed out waiting for the peer"
        case .closedBeforeCompleteResponse(let partial):
            return "connection closed before a complete response (\(partial.count) bytes received: "
                + "\(String(decoding: partial.prefix(200), as: UTF8.self).debugDescription))"
        case .malformed(let why): return "malformed response: \(why)"
        case .io(let why): return "socket error: \(why)"
        }
    }
}

/// One HTTP/1.x response as read by ``RawHTTPClient``.
public struct RawResponse: Sendable {
    /// The status code, for example `200`.
    public var status: Int
    /// The reason phrase (may be empty).
    public var reason: String
    /// The protocol version from the status line, for example `"HTTP/1.1"`.
    public var version: String
    /// Header fields in wire order.
    public var headers: [(name: String, value: String)]
    /// The body with any chunked framing removed.
    public var body: [UInt8]
    /// Trailer fields of a chunked body, in wire order (empty otherwise).
    public var trailers: [(name: String, value: String)]
    /// Every byte of this response exactly as received (head, framing and body).
    public var raw: [UInt8]

    /// Creates a response value; ``RawHTTPClient`` builds these for you.
    public init(
        status: Int,
        reason: String,
        version: String,
        headers: [(name: String, value: String)],
        body: [UInt8],
        trailers: [(name: String, value: String)] = [],
        raw: [UInt8] = []
    ) {
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers
        self.body = body
        self.trailers = trailers
        self.raw = raw
    }

    /// The value of the first header field called `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        self.headers.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }

    /// Every value of the header fields called `name` (case-insensitive), in wire order.
    public func headers(_ name: String) -> [String] {
        self.headers.filter { asciiCaseInsensitiveEquals($0.name, name) }.map(\.value)
    }

    /// The body decoded as UTF-8 (invalid sequences are replaced).
    public var bodyString: String { String(decoding: self.body, as: UTF8.self) }
}

/// A blocking HTTP/1.x client over a plain socket, for tests that need exact bytes on the
/// wire: framing attacks, pipelining, slow senders, half-written requests.
///
/// Nothing is added to what you send. Responses are parsed strictly (status line, headers,
/// then a body framed by `Transfer-Encoding: chunked` with trailers, `Content-Length`, or the
/// connection closing; no body for `HEAD`, 1xx, 204 and 304). A 1xx response is returned on
/// its own: call ``readResponse(forMethod:)`` again for the final one.
///
/// ```swift
/// let client = try RawHTTPClient(port: proxyPort)
/// defer { client.close() }
/// try client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
/// let first = try client.readResponse()
/// let second = try client.readResponse()
/// ```
///
/// The timeout applies to each blocking socket call (`SO_RCVTIMEO`/`SO_SNDTIMEO`): a response
/// that keeps trickling in never times out. Not thread-safe: use one client from one thread.
public final class RawHTTPClient {
    private var fd: Int32
    private let timeout: Double
    /// Received bytes; `readIndex` marks the first byte not yet consumed.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// The peer closed or reset the connection (recv returned 0 or ECONNRESET).
    private var sawEOF = false

    /// The largest status line, header line or chunk-size line accepted.
    private static let maxLineLength = 1 << 20

    /// Connects to `host:port` (a numeric IPv4/IPv6 address or a name such as `localhost`).
    ///
    /// - Parameter timeout: Seconds allowed for connecting and for each send or receive.
    /// - Throws: ``RawHTTPClientError/connectFailed(_:)``.
    public init(host: String = "127.0.0.1", port: Int, timeout: Double = 5) throws {
        self.timeout = timeout
        self.fd = try RawHTTPClient.connect(host: host, port: port, timeout: timeout)
        Sys.setTimeval(self.fd, SO_RCVTIMEO, seconds: timeout)
        Sys.setTimeval(self.fd, SO_SNDTIMEO, seconds: timeout)
        var one: Int32 = 1
        _ = setsockopt(self.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Darwin)
        _ = setsockopt(self.fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    deinit {
        if self.fd >= 0 { Sys.close(self.fd) }
    }

    /// Closes the connection. Idempotent.
    public func close() {
        if self.fd >= 0 {
            Sys.close(self.fd)
            self.fd = -1
        }
    }

    // MARK: Sending

    /// Sends the UTF-8 bytes of `s` exactly as given (write `\r\n` yourself).
    public func send(_ s: String) throws {
        try self.send(Array(s.utf8))
    }

    /// Sends `bytes` exactly as given, blocking until the kernel has taken them all.
    ///
    /// - Throws: ``RawHTTPClientError/timeout`` or ``RawHTTPClientError/io(_:)`` (for
    ///   example when the peer has reset the connection).
    public func send(_ bytes: [UInt8]) throws {
        guard self.fd >= 0 else { throw RawHTTPClientError.io("send: client is closed") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Sys.send(self.fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if n >= 0 {
                offset += n
                continue
            }
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw RawHTTPClientError.timeout
            default: throw RawHTTPClientError.io("send: " + Sys.errorString(code))
            }
        }
    }

    // MARK: Reading

    /// Reads the next response from the connection.
    ///
    /// - Parameter method: The method of the request this response answers; a `HEAD`
    ///   response has no body whatever its headers say.
    /// - Returns: The response; a 1xx response comes back on its own (read again for the final one).
    /// - Throws: ``RawHTTPClientError/timeout``, ``RawHTTPClientError/closedBeforeCompleteResponse(partial:)``
    ///   or ``RawHTTPClientError/malformed(_:)``.
    public func readResponse(forMethod method: String = "GET") throws -> RawResponse {
        // Drop what earlier responses consumed; everything from here on belongs to this one.
        if self.readIndex > 0 {
            self.buffer.removeFirst(self.readIndex)
            self.readIndex = 0
        }
        do {
            return try self.parseResponse(method: method.uppercased())
        } catch RawHTTPClientError.closedBeforeCompleteResponse {
            throw RawHTTPClientError.closedBeforeCompleteResponse(partial: self.buffer)
        }
    }

    /// Waits up to `seconds` for the peer to close the connection.
    ///
    /// Bytes that arrive meanwhile (say an error response sent before closing) are kept for
    /// ``readResponse(forMethod:)``.
    ///
    /// - Returns: `true` if the peer closed (`recv` returned 0) or reset the connection within
    ///   the time, `false` if it was still open at the deadline.
    public func isClosedByPeer(within seconds: Double) -> Bool {
        if self.sawEOF { return true }
        guard self.fd >= 0 else { return true }
        let deadline = Sys.now() + seconds
        while true {
            let remaining = deadline - Sys.now()
            if remaining <= 0 { return false }
            var pfd = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up)))
            if ready < 0 {
                if errno == EINTR { continue }
                return false
            }
            if ready == 0 { continue }
            switch self.receive(flags: Int32(MSG_DONTWAIT)) {
            case .eof: return true
            case .data, .wouldBlock: continue
            case .failed: return true
            }
        }
    }

    /// Sends one `GET` with `Connection: close` on a fresh connection and reads the response.
    ///
    /// A `Host: 127.0.0.1:PORT` header is added unless `headers` has one.
    public static func get(
        port: Int,
        path: String,
        headers: [(String, String)] = [],
        timeout: Double = 5
    ) throws -> RawResponse {
        let client = try RawHTTPClient(port: port, timeout: timeout)
        defer { client.close() }
        var request = "GET \(path) HTTP/1.1\r\n"
        if !headers.contains(where: { asciiCaseInsensitiveEquals($0.0, "host") }) {
            request += "Host: 127.0.0.1:\(port)\r\n"
        }
        for (name, value) in headers {
            request += "\(name): \(value)\r\n"
        }
        request += "Connection: close\r\n\r\n"
        try client.send(request)
        return try client.readResponse(forMethod: "GET")
    }

    // MARK: Parsing

    private func parseResponse(method: String) throws -> RawResponse {
        let statusLine = try self.readLine()
        let (version, status, reason) = try Self.parseStatusLine(statusLine)
        var headers: [(name: String, value: String)] = []
        try self.readFields(into: &headers, what: "header")

        var body: [UInt8] = []
        var trailers: [(name: String, value: String)] = []
        let hasNoBody =
            (100..<200).contains(status) || status == 204 || status == 304 || method == "HEAD"
            || (method == "CONNECT" && (200..<300).contains(status))
        if !hasNoBody {
            let transferEncodings = headers.filter { asciiCaseInsensitiveEquals($0.name, "transfer-encoding") }
                .flatMap { $0.value.split(separator: ",") }
                .map { $0.trimmingOWS().lowercased() }
            let contentLengths = headers.filter { asciiCaseInsensitiveEquals($0.name, "content-length") }
                .flatMap { $0.value.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingOWS() }
            if !transferEncodings.isEmpty {
                if transferEncodings.last == "chunked" {
                    try self.readChunkedBody(into: &body, trailers: &trailers)
                } else {
                    body = try self.readUntilClose()
                }
            } else if !contentLengths.isEmpty {
                guard let first = contentLengths.first,
                    !first.isEmpty, first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                    let length = Int(first),
                    contentLengths.allSatisfy({ $0 == first })
                else {
                    throw RawHTTPClientError.malformed("invalid Content-Length \(contentLengths)")
                }
                body = try self.readExactly(length)
            } else {
                body = try self.readUntilClose()
            }
        }
        return RawResponse(
            status: status,
            reason: reason,
            version: version,
            headers: headers,
            body: body,
            trailers: trailers,
            raw: Array(self.buffer[0..<self.readIndex])
        )
    }

    private static func parseStatusLine(_ line: String) throws -> (String, Int, String) {
        let bytes = Array(line.utf8)
        guard bytes.count >= 12, line.hasPrefix("HTTP/"), let firstSpace = bytes.firstIndex(of: 32) else {
            throw RawHTTPClientError.malformed("bad status line \(line.debugDescription)")
        }
        let version = String(decoding: bytes[..<firstSpace], as: UTF8.self)
        let codeStart = firstSpace + 1
        let codeEnd = codeStart + 3
        guard codeEnd <= bytes.count,
            bytes[codeStart..<codeEnd].allSatisfy({ $0 >= 48 && $0 <= 57 }),
            codeEnd == bytes.count || bytes[codeEnd] == 32,
            let status = Int(String(decoding: bytes[codeStart..<codeEnd], as: UTF8.self))
        else {
            throw RawHTTPClientError.malformed("bad status line \(line.debugDescription)")
        }
        let reason = codeEnd < bytes.count ? String(decoding: bytes[(codeEnd + 1)...], as: UTF8.self) : ""
        return (version, status, reason)
    }

    /// Reads `name: value` lines up to the empty line (headers or trailers).
    private func readFields(into fields: inout [(name: String, value: String)], what: String) throws {
        while true {
            let line = try self.readLine()
            if line.isEmpty { return }
            if line.first == " " || line.first == "\t" {
                // Obsolete line folding: continue the previous value.
                guard let last = fields.popLast() else {
                    throw RawHTTPClientError.malformed("\(what) block starts with a folded line")
                }
                fields.append((last.name, last.value + " " + line.trimmingOWS()))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw RawHTTPClientError.malformed("\(what) line without colon \(line.debugDescription)")
            }
            let name = String(line[..<colon])
            guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else {
                throw RawHTTPClientError.malformed("bad \(what) name \(name.debugDescription)")
            }
            fields.append((name, line[line.index(after: colon)...].trimmingOWS()))
        }
    }

    private func readChunkedBody(into body: inout [UInt8], trailers: inout [(name: String, value: String)]) throws {
        while true {
            let sizeLine = try self.readLine()
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
                .first.map { $0.trimmingOWS() } ?? ""
            guard !sizeText.isEmpty, sizeText.count <= 15, let size = Int(sizeText, radix: 16), size >= 0 else {
                throw RawHTTPClientError.malformed("bad chunk size line \(sizeLine.debugDescription)")
            }
            if size == 0 {
                try self.readFields(into: &trailers, what: "trailer")
                return
            }
            body.append(contentsOf: try self.readExactly(size))
            let terminator = try self.readLine()
            guard terminator.isEmpty else {
                throw RawHTTPClientError.malformed("chunk data not followed by CRLF")
            }
        }
    }

    // MARK: Buffer

    private enum Receive {
        case data, eof, wouldBlock, failed(Int32)
    }

    /// One `recv` into the buffer.
    private func receive(flags: Int32) -> Receive {
        guard self.fd >= 0 else { return .failed(EBADF) }
        if self.sawEOF { return .eof }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Sys.recv(self.fd, $0.baseAddress!, $0.count, flags) }
            if n > 0 {
                self.buffer.append(contentsOf: chunk[0..<n])
                return .data
            }
            if n == 0 {
                self.sawEOF = true
                return .eof
            }
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case ECONNRESET:
                self.sawEOF = true
                return .eof
            default: return .failed(code)
            }
        }
    }

    /// Receives more bytes, blocking up to the timeout.
    private func fill() throws {
        switch self.receive(flags: 0) {
        case .data: return
        case .eof: throw RawHTTPClientError.closedBeforeCompleteResponse(partial: [])
        case .wouldBlock: throw RawHTTPClientError.timeout
        case .failed(let code): throw RawHTTPClientError.io("recv: " + Sys.errorString(code))
        }
    }

    /// Reads one line ending in LF (a preceding CR is dropped).
    private func readLine() throws -> String {
        var searchFrom = self.readIndex
        while true {
            if let lf = self.buffer[searchFrom...].firstIndex(of: 10) {
                var end = lf
                if end > self.readIndex && self.buffer[end - 1] == 13 { end -= 1 }
                let line = String(decoding: self.buffer[self.readIndex..<end], as: UTF8.self)
                self.readIndex = lf + 1
                return line
            }
            searchFrom = self.buffer.count
            if self.buffer.count - self.readIndex > Self.maxLineLength {
                throw RawHTTPClientError.malformed("line longer than \(Self.maxLineLength) bytes")
            }
            try self.fill()
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while self.buffer.count - self.readIndex < count {
            try self.fill()
        }
        let bytes = Array(self.buffer[self.readIndex..<(self.readIndex + count)])
        self.readIndex += count
        return bytes
    }

    private func readUntilClose() throws -> [UInt8] {
        while true {
            do {
                try self.fill()
            } catch RawHTTPClientError.closedBeforeCompleteResponse {
                break
            }
        }
        let bytes = Array(self.buffer[self.readIndex...])
        self.readIndex = self.buffer.count
        return bytes
    }

    // MARK: Connecting

    private static func connect(host: String, port: Int, timeout: Double) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Sys.sockStream
        hints.ai_flags = AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw RawHTTPClientError.connectFailed("\(host):\(port): " + String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(first) }
        var lastError = "no address for \(host)"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else {
                lastError = "socket: " + Sys.errorString(errno)
                continue
            }
            // Non-blocking connect so that `timeout` bounds it, then back to blocking.
            let flags = fcntl(fd, F_GETFL, 0)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var status = cConnect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            if status != 0 && errno == EINPROGRESS {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&pfd, 1, Int32(max(1, timeout * 1000)))
                if ready == 1 {
                    var soError: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                    if soError == 0 {
                        status = 0
                    } else {
                        errno = soError
                    }
                } else if ready == 0 {
                    errno = ETIMEDOUT
                }
            }
            if status == 0 {
                _ = fcntl(fd, F_SETFL, flags)
                return fd
            }
            lastError = Sys.errorString(errno)
            Sys.close(fd)
        }
        throw RawHTTPClientError.connectFailed("\(host):\(port): \(lastError)")
    }
}

/// The C `connect`, which `RawHTTPClient.connect` would otherwise shadow.
private func cConnect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>!, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingOWS() -> String {
        var slice = Substring(self)
        while let c = slice.first, c == " " || c == "\t" { slice.removeFirst() }
        while let c = slice.last, c == " " || c == "\t" { slice.removeLast() }
        return String(slice)
    }
}
