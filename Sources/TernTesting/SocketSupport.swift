#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the C socket API shared by ``RawHTTPClient`` and ``TestPorts``.
enum Sys {
    #if canImport(Darwin)
    static let sockStream: Int32 = SOCK_STREAM
    static let noSignal: Int32 = 0
    #else
    static let sockStream = Int32(SOCK_STREAM.rawValue)
    static let noSignal = Int32(MSG_NOSIGNAL)
    #endif

    static func errorString(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    static func send(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Darwin)
        Darwin.send(fd, pointer, count, noSignal)
        #elseif canImport(Musl)
        Musl.send(fd, pointer, count, noSignal)
        #else
        Glibc.send(fd, pointer, count, noSignal)
        #endif
    }

    static func recv(_ fd: Int32, _ pointer: UnsafeMutableRawPointer, _ count: Int, _ flags: Int32) -> Int {
        #if canImport(Darwin)
        Darwin.recv(fd, pointer, count, flags)
        #elseif canImport(Musl)
        Musl.recv(fd, pointer, count, flags)
        #else
        Glibc.recv(fd, pointer, count, flags)
        #endif
    }

    static func close(_ fd: Int32) {
        #if canImport(Darwin)
        _ = Darwin.close(fd)
        #elseif canImport(Musl)
        _ = Musl.close(fd)
        #else
        _ = Glibc.close(fd)
        #endif
    }

    /// Seconds on a monotonic clock.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR {
            request = remaining
        }
    }

    static func timeval(seconds: Double) -> timeval {
        let clamped = max(seconds, 0.001)
        let whole = Int(clamped)
        #if canImport(Darwin)
        return Darwin.timeval(tv_sec: whole, tv_usec: Int32((clamped - Double(whole)) * 1e6))
        #else
        return .init(tv_sec: whole, tv_usec: Int((clamped - Double(whole)) * 1e6))
        #endif
    }

    static func setTimeval(_ fd: Int32, _ option: Int32, seconds: Double) {
        var tv = timeval(seconds: seconds)
        _ = setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout.size(ofValue: tv)))
    }
}

/// Helpers for picking TCP ports.
public enum TestPorts {
    /// A TCP port that was free on `127.0.0.1` a moment ago: binds port 0, reads the port the
    /// kernel chose, and closes the socket.
    ///
    /// Another process may take the port before you use it, so prefer binding port 0 directly
    /// (as ``TestOrigin`` does) and use this only where an address must be known in advance,
    /// for example in a configuration file or for a "connection refused" target.
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Sys.sockStream, 0)
        guard fd >= 0 else { throw TestPortsError.socket(Sys.errorString(errno)) }
        defer { Sys.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestPortsError.socket("bind: " + Sys.errorString(errno)) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestPortsError.socket("getsockname: " + Sys.errorString(errno)) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Errors thrown by ``TestPorts``.
public enum TestPortsError: Error, Sendable {
    /// A socket call failed; the message names it and the reason.
    case socket(String)
}

/// Polls `condition` every `poll` seconds until it returns `true` or `timeout` seconds pass.
///
/// Use sparingly, for conditions that settle asynchronously in the real world (a connection
/// count dropping after a close, a health check flipping), never as a substitute for waiting
/// on a response.
///
/// - Returns: `true` if the condition held before the deadline (it is checked once more at
///   the deadline), `false` otherwise.
public func waitUntil(timeout: Double, poll: Double = 0.01, _ condition: () -> Bool) -> Bool {
    let deadline = Sys.now() + timeout
    while true {
        if condition() { return true }
        let remaining = deadline - Sys.now()
        if remaining <= 0 { return condition() }
        Sys.sleep(seconds: min(poll, remaining))
    }
}
