/// Time limits for talking to a pool member (key `timeouts`).
public struct UpstreamTimeouts: Sendable, Equatable {
    /// Establishing the TCP connection (default 2s).
    public var connect: Duration
    /// From request sent to the first response byte (key `first_byte`, default 30s).
    public var firstByte: Duration
    /// Longest silence while reading the response (default 60s).
    public var idle: Duration

    /// Creates timeouts.
    public init(connect: Duration = .seconds(2), firstByte: Duration = .seconds(30), idle: Duration = .seconds(60)) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
    }

    /// connect 2s, first_byte 30s, idle 60s.
    public static let `default` = UpstreamTimeouts()
}
