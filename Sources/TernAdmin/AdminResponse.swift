import Foundation
import NIOHTTP1

/// A complete admin response: status, headers and body (admin responses are small and never streamed).
public struct AdminResponse: Sendable, Equatable {
    /// The status.
    public var status: HTTPResponseStatus
    /// Headers besides `Content-Length` and `Connection`, which the handler sets.
    public var headers: [(String, String)]
    /// The body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPResponseStatus, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: AdminResponse, rhs: AdminResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    /// `text/plain` with `text`.
    static func text(_ status: HTTPResponseStatus, _ text: String) -> AdminResponse {
        AdminResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// JSON of `value`.
    static func json(_ status: HTTPResponseStatus, _ value: some Encodable, pretty: Bool = false) -> AdminResponse {
        let data = (try? StatsSnapshot.makeEncoder(pretty: pretty).encode(value)) ?? Data("{}".utf8)
        return AdminResponse(
            status: status, headers: [("Content-Type", "application/json")], body: Array(data) + [UInt8(ascii: "\n")]
        )
    }

    /// `{"error": message}` with `status`.
    static func error(_ status: HTTPResponseStatus, _ message: String, headers: [(String, String)] = []) -> AdminResponse {
        var response = AdminResponse.json(status, AdminErrorBody(error: message))
        response.headers += headers
        return response
    }
}

/// The JSON body of every admin error response.
public struct AdminErrorBody: Codable, Sendable, Equatable {
    /// What went wrong, for a person.
    public var error: String

    /// Creates an error body.
    public init(error: String) {
        self.error = error
    }
}
