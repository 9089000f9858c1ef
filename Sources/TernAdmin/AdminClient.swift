import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client for the admin API (`tern purge`, `tern stats`): one connection per request,
/// `Connection: close`, a deadline for the whole exchange. Plain `http://` only.
public struct AdminClient: Sendable {
    /// A parsed admin URL such as `http://127.0.0.1:9090`.
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        /// Host name or IP literal (without brackets).
        public var host: String
        /// TCP port (default 80).
        public var port: Int
        /// Path prefix before the endpoint paths (without trailing `/`), usually empty.
        public var basePath: String

        /// Parses `http://host[:port][/base]`; a bare `host:port` is taken as `http://host:port`.
        public init?(_ text: String) {
            var rest = Substring(text)
            if let scheme = rest.range(of: "://") {
                guard rest[..<scheme.lowerBound].lowercased() == "http" else { return nil }
                rest = rest[scheme.upperBound...]
            }
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let authority = rest[..<slash]
            var base = String(rest[slash...])
            while base.hasSuffix("/") { base.removeLast() }
            guard !authority.isEmpty, !authority.contains("@") else { return nil }
            var host = String(authority)
            var port = 80
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else { return nil }
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                if !after.isEmpty {
                    guard after.hasPrefix(":"), let value = Int(after.dropFirst()) else { return nil }
                    port = value
                }
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                guard let value = Int(authority[authority.index(after: colon)...]) else { return nil }
                port = value
            }
            let hostIsValid = authority.hasPrefix("[")
                || host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
            guard !host.isEmpty, hostIsValid, (1...65535).contains(port) else { return nil }
            self.host = host
            self.port = port
            self.basePath = base
        }

        /// `http://host:port[/base]`.
        public var description: String {
            "http://\(self.host.contains(":") ? "[\(self.host)]" : self.host):\(self.port)\(self.basePath)"
        }
    }

    /// A complete response.
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// The headers.
        public var headers: HTTPHeaders
        /// The body.
        public var body: [UInt8]

        /// The `error` of an admin JSON error body, or the body as text.
        public var errorMessage: String {
            if let decoded = try? JSONDecoder().decode(AdminErrorBody.self, from: Data(self.body)) {
                return decoded.error
            }
            let text = String(decoding: self.body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "HTTP \(self.status)" : text
        }
    }

    /// Why a request produced no response.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The connection could not be made (refused, unreachable, name not found).
        case connect(String)
        /// No complete response within the deadline.
        case timeout
        /// The connection closed early or the response was not HTTP.
        case protocolError(String)

        public var description: String {
            switch self {
            case .connect(let message): return "cannot connect: \(message)"
            case .timeout: return "no response in time"
            case .protocolError(let message): return "bad response: \(message)"
            }
        }
    }

    /// Where requests go.
    public let endpoint: Endpoint
    /// Deadline for one exchange, connect included.
    public let timeout: TimeAmount
    private let group: any EventLoopGroup

    /// Creates a client for `endpoint`.
    public init(endpoint: Endpoint, group: any EventLoopGroup, timeout: TimeAmount = .seconds(10)) {
        self.endpoint = endpoint
        self.group = group
        self.timeout = timeout
    }

    /// Sends one request and collects the whole response.
    public func send(
        method: HTTPMethod, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) async throws(Failure) -> Response {
        let endpoint = self.endpoint
        let eventLoop = self.group.next()
        let promise = eventLoop.makePromise(of: Response.self)
        let timeout = self.timeout
        let connectTimeout = min(timeout, .seconds(5))
        let channelFuture = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(AdminResponseCollector(promise: promise))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
        let deadline = eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure.timeout)
        }
        channelFuture.whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(Failure.connect(AdminClient.describe(error)))
            case .success(let channel):
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: endpoint.basePath + path)
                head.headers.add(name: "Host", value: endpoint.port == 80 ? endpoint.host : "\(endpoint.host):\(endpoint.port)")
                head.headers.add(name: "Connection", value: "close")
                head.headers.add(name: "User-Agent", value: "tern-cli")
                for (name, value) in headers { head.headers.add(name: name, value: value) }
                if let body { head.headers.add(name: "Content-Length", value: String(body.count)) }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                if let body, !body.isEmpty {
                    channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
                }
                channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { error in
                    promise.fail(Failure.protocolError(AdminClient.describe(error)))
                }
            }
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        do {
            return try await promise.futureResult.get()
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.protocolError(AdminClient.describe(error))
        }
    }

    /// `GET /stats`, decoded.
    public func stats() async throws(Failure) -> (Response, StatsSnapshot?) {
        let response = try await self.send(method: .GET, path: "/stats")
        guard response.status == 200 else { return (response, nil) }
        guard let snapshot = try? StatsSnapshot.makeDecoder().decode(StatsSnapshot.self, from: Data(response.body)) else {
            throw Failure.protocolError("/stats did not return a statistics snapshot")
        }
        return (response, snapshot)
    }

    /// `POST /purge` with `request` and the bearer `token` (if any).
    public func purge(_ request: PurgeRequest, token: String?) async throws(Failure) -> (Response, PurgeResult?) {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let body = (try? JSONEncoder().encode(request)).map { Array($0) } ?? []
        let response = try await self.send(method: .POST, path: "/purge", headers: headers, body: body)
        guard response.status == 200 else { return (response, nil) }
        guard let result = try? JSONDecoder().decode(PurgeResult.self, from: Data(response.body)) else {
            throw Failure.protocolError("/purge did not return a purge result")
        }
        return (response, result)
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first { return describe(failure.error) }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve \(error.host): \(dns)" }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if error is ChannelError { return "\(error)" }
        return String(describing: error)
    }
}

/// Collects one response into a promise.
final class AdminResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<AdminClient.Response>
    private var response: AdminClient.Response?

    init(promise: EventLoopPromise<AdminClient.Response>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.response = AdminClient.Response(status: Int(head.status.code), headers: head.headers, body: [])
        case .body(var buffer):
            self.response?.body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            if let response = self.response {
                self.promise.succeed(response)
            } else {
                self.promise.fail(AdminClient.Failure.protocolError("response ended before its head"))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(AdminClient.Failure.protocolError("connection closed before the response was complete"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(AdminClient.Failure.protocolError(AdminClient.describe(error)))
        context.close(promise: nil)
    }
}
