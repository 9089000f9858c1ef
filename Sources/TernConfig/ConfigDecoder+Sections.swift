import TernCore
import Yams

extension ConfigDecoder {
    static let limitsKeys = [
        "max_header_bytes", "max_header_count", "max_uri_bytes", "max_request_body", "header_timeout",
        "body_idle_timeout", "keep_alive_timeout", "max_connections", "max_requests_per_connection",
        "max_connections_per_client", "underscores_in_headers",
    ]
    static let proxyKeys = ["trusted_proxies", "forwarded", "via", "hide_response_headers"]
    static let loggingKeys = ["access", "level"]
    static let accessLogKeys = ["path", "format"]

    // MARK: Limits

    mutating func decodeLimits(_ entry: Entry) -> LimitsConfig {
        var limits = LimitsConfig()
        guard let fields = self.fields(entry.value, path: entry.path, allowed: ConfigDecoder.limitsKeys) else {
            return limits
        }
        if let e = fields["max_header_bytes"], let value = self.byteCount(e, positive: true) {
            limits.maxHeaderBytes = value
        }
        if let e = fields["max_header_count"], let value = self.int(e, range: 1...10_000) {
            limits.maxHeaderCount = value
        }
        if let e = fields["max_uri_bytes"], let value = self.byteCount(e, positive: true) {
            limits.maxURIBytes = value
        }
        if let e = fields["max_request_body"] {
            if case .scalar(let scalar) = e.value, scalar.string == "unlimited" {
                limits.maxRequestBody = nil
            } else if let value = self.byteCount(e, positive: false) {
                limits.maxRequestBody = value
            }
        }
        if let e = fields["header_timeout"], let value = self.duration(e, positive: true) {
            limits.headerTimeout = value
        }
        if let e = fields["body_idle_timeout"], let value = self.duration(e, positive: true) {
            limits.bodyIdleTimeout = value
        }
        if let e = fields["keep_alive_timeout"], let value = self.duration(e, positive: false) {
            limits.keepAliveTimeout = value
        }
        if let e = fields["max_connections"], let value = self.int(e, range: 1...10_000_000) {
            limits.maxConnections = value
        }
        if let e = fields["max_requests_per_connection"],
            let value = self.int(e, range: 0...Int.max, example: "0 means unlimited")
        {
            limits.maxRequestsPerConnection = value
        }
        if let e = fields["max_connections_per_client"],
            let value = self.int(e, range: 0...10_000_000, example: "0 means unlimited")
        {
            limits.maxConnectionsPerClient = value
        }
        if let e = fields["underscores_in_headers"],
            let text = self.choice(e, UnderscoreFieldPolicy.allCases.map(\.rawValue), noun: "policy"),
            let policy = UnderscoreFieldPolicy(rawValue: text)
        {
            limits.underscoresInHeaders = policy
        }
        return limits
    }

    // MARK: Proxy

    mutating func decodeProxy(_ entry: Entry) -> ProxyConfig {
        var proxy = ProxyConfig()
        guard let fields = self.fields(entry.value, path: entry.path, allowed: ConfigDecoder.proxyKeys) else {
            return proxy
        }
        if let e = fields["trusted_proxies"],
            let items = self.list(e, scalarIsList: true, example: "trusted_proxies: [10.0.0.0/8, \"::1\"]")
        {
            var ranges: [IPAddressRange] = []
            for (node, path) in items {
                guard let text = self.cleanString(.item(node, path: path), expected: "an address or CIDR range") else {
                    continue
                }
                guard let range = IPAddressRange(text) else {
                    self.report(node.mark, "\(path): invalid address or CIDR range '\(text)'",
                                hint: "write e.g. 10.0.0.0/8, 192.168.1.7, ::1 or fd00::/8")
                    continue
                }
                ranges.append(range)
            }
            proxy.trustedProxies = ranges
        }
        if let e = fields["forwarded"], let value = self.bool(e) {
            proxy.forwarded = value
        }
        if let e = fields["via"] {
            if case .scalar(let scalar) = e.value, scalar.style == .plain, ["false", "true"].contains(scalar.string.lowercased()) {
                proxy.via = scalar.string.lowercased() == "true" ? "tern" : nil
            } else if let text = self.cleanString(e, expected: "a pseudonym such as tern, or false") {
                if HTTPSyntax.isToken(text) {
                    proxy.via = text
                } else {
                    self.report(e.value.mark, "\(e.path): '\(text)' is not a valid Via pseudonym",
                                hint: "use a single token such as edge-1, or false to send no Via")
                }
            }
        }
        if let e = fields["hide_response_headers"],
            let items = self.list(e, scalarIsList: true, example: "hide_response_headers: [server, x-powered-by]")
        {
            var names: [String] = []
            for (node, path) in items {
                guard let text = self.cleanString(.item(node, path: path), expected: "a header name") else { continue }
                guard HTTPSyntax.isToken(text) else {
                    self.report(node.mark, "\(path): '\(text)' is not a valid header name",
                                hint: "header names are tokens such as x-powered-by, see RFC 9110 §5.1")
                    continue
                }
                let lowered = text.lowercased()
                if !names.contains(lowered) { names.append(lowered) }
            }
            proxy.hideResponseHeaders = names
        }
        return proxy
    }

    // MARK: Logging

    mutating func decodeLogging(_ entry: Entry) -> LoggingConfig {
        var logging = LoggingConfig()
        guard let fields = self.fields(entry.value, path: entry.path, allowed: ConfigDecoder.loggingKeys) else {
            return logging
        }
        if let e = fields["level"], let level = self.choice(e, LoggingConfig.levels, noun: "log level") {
            logging.level = level
        }
        if let e = fields["access"],
            let access = self.fields(
                e.value, path: e.path, allowed: ConfigDecoder.accessLogKeys,
                what: "{path: stdout, format: combined}"
            )
        {
            if let p = access["path"], let text = self.cleanString(p, expected: "stdout, stderr, off or a file path") {
                switch text {
                case "stdout": logging.access.destination = .stdout
                case "stderr": logging.access.destination = .stderr
                case "off": logging.access.destination = .off
                default:
                    if let path = self.filePath(p) { logging.access.destination = .file(path) }
                }
            }
            if let f = access["format"],
                let format = self.choice(f, AccessLogConfig.Format.allCases.map(\.rawValue), noun: "access log format")
            {
                logging.access.format = AccessLogConfig.Format(rawValue: format) ?? .combined
            }
        }
        return logging
    }
}
