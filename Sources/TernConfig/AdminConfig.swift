import Foundation
import TernCore

/// The admin listener (top-level key `admin`): health and readiness probes, statistics, Prometheus metrics, the
/// dashboard and purge. Absent means no admin listener (unless quick mode's `--admin` is given).
///
/// The admin listener is separate from the data listeners and is never reachable through them. Mutating endpoints
/// (`POST /purge`) need `Authorization: Bearer <token>`; when no token resolves they are refused outright.
public struct AdminConfig: Sendable, Equatable {
    /// Where the bearer token comes from. At most one of `token`, `token_file` and `token_env` may be written;
    /// without any, the token is read from the environment variable `TERN_ADMIN_TOKEN`.
    public enum TokenSource: Sendable, Equatable {
        /// The token itself (key `token`). Prefer `token_file` or `token_env`: a literal ends up in backups.
        case literal(String)
        /// The environment variable holding the token (key `token_env`, default `TERN_ADMIN_TOKEN`).
        case environment(String)
        /// A file holding the token (key `token_file`; absolute). Leading and trailing white space is dropped.
        case file(String)
    }

    /// The HTTP `PURGE` method on the data listeners (key `purge_method`), the convention of several caches.
    /// Off by default; when on, only clients whose address is in ``allow`` may use it (others get 403).
    public struct PurgeMethod: Sendable, Equatable {
        /// Whether `PURGE <url>` on a data listener purges that URL (key `enabled`, default `false`).
        public var enabled: Bool
        /// Client addresses allowed to send `PURGE` (key `allow`, default loopback only).
        public var allow: [IPAddressRange]

        /// Creates the setting; values are taken as given (no validation).
        public init(enabled: Bool = false, allow: [IPAddressRange] = AdminConfig.loopback) {
            self.enabled = enabled
            self.allow = allow
        }

        /// Off.
        public static let `default` = PurgeMethod()
    }

    /// Address of the admin listener (key `listen`, default `127.0.0.1:9090`).
    public var listen: HostPort
    /// Where the bearer token for mutating endpoints comes from (keys `token`, `token_env`, `token_file`).
    public var token: TokenSource
    /// Client addresses allowed to talk to the admin listener at all (key `allow`, default loopback only:
    /// `127.0.0.0/8` and `::1`). Others get 403.
    public var allow: [IPAddressRange]
    /// The `PURGE` method on the data listeners (key `purge_method`, default off).
    public var purgeMethod: PurgeMethod
    /// Host names (without port) the admin listener answers to (key `hosts`); `nil` means
    /// ``defaultHosts(listen:)``. Requests naming any other `Host` get 421, so a web page can't reach the
    /// admin listener through a DNS name that resolves to it (DNS rebinding).
    public var hosts: [String]?

    /// The names a request's `Host` may carry: the configured ``hosts``, or the listener's own address
    /// (unless it is a wildcard address), `localhost`, `127.0.0.1` and `[::1]`. IPv6 literals are bracketed.
    public var allowedHosts: [String] {
        if let hosts = self.hosts { return hosts }
        var names = ["localhost", "127.0.0.1", "[::1]"]
        let own = self.listen.host.contains(":") ? "[\(self.listen.host)]" : self.listen.host
        if own != "0.0.0.0", own != "[::]", !names.contains(own) { names.append(own) }
        return names
    }

    /// `127.0.0.0/8` and `::1`.
    public static let loopback: [IPAddressRange] = [
        IPAddressRange(address: .v4(0x7F00_0000), prefixLength: 8)!,
        IPAddressRange(address: .v6(0, 1), prefixLength: 128)!,
    ]
    /// `127.0.0.1:9090`.
    public static let defaultListen = HostPort(host: "127.0.0.1", port: 9090)
    /// `TERN_ADMIN_TOKEN`.
    public static let defaultTokenEnvironmentVariable = "TERN_ADMIN_TOKEN"

    /// Creates admin settings; values are taken as given (no validation).
    public init(
        listen: HostPort = AdminConfig.defaultListen,
        token: TokenSource = .environment(AdminConfig.defaultTokenEnvironmentVariable),
        allow: [IPAddressRange] = AdminConfig.loopback,
        purgeMethod: PurgeMethod = .default,
        hosts: [String]? = nil
    ) {
        self.listen = listen
        self.token = token
        self.allow = allow
        self.purgeMethod = purgeMethod
        self.hosts = hosts
    }

    /// Loopback on port 9090, token from `TERN_ADMIN_TOKEN`, loopback clients only, no `PURGE` method.
    public static let `default` = AdminConfig()

    /// Resolves ``token`` to the bearer token, or `nil` when none is configured (mutating endpoints are then
    /// refused with 403).
    ///
    /// - A literal is returned as is.
    /// - An environment variable that is unset or empty (after trimming white space) means no token.
    /// - A file is read and trimmed; a file that cannot be read, or is empty, is an error: the operator asked for
    ///   a token, and silently running without one would turn purge off.
    public func resolveToken(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(AdminTokenError) -> String? {
        switch self.token {
        case .literal(let value):
            return value
        case .environment(let name):
            guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
            else { return nil }
            return value
        case .file(let path):
            let contents: String
            do {
                contents = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw AdminTokenError(message: "admin.token_file: cannot read '\(path)': \(error.localizedDescription)")
            }
            let value = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else {
                throw AdminTokenError(message: "admin.token_file: '\(path)' is empty")
            }
            return value
        }
    }
}

/// The admin token could not be resolved (an unreadable or empty `token_file`).
public struct AdminTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, starting with the key.
    public var message: String

    /// Creates an error.
    public init(message: String) {
        self.message = message
    }

    public var description: String { self.message }
}
