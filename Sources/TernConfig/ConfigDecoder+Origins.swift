import TernCore
import Yams

extension ConfigDecoder {
    static let originTypes = ["http", "file"]
    static let httpPoolKeys = [
        "type", "members", "balance", "health_check", "passive_health", "timeouts", "connections", "host_header", "retry",
        "response_limits",
    ]
    static let fileOriginKeys = ["type", "root", "cache_control", "index"]
    static let healthCheckKeys = ["path", "interval", "timeout", "expect_status", "rise", "fall"]
    static let passiveHealthKeys = ["max_failures", "cooldown", "count", "http_5xx"]
    static let serverErrorKeys = ["threshold", "window"]
    static let responseLimitKeys = ["max_header_count", "max_header_bytes", "max_interim_responses"]
    static let timeoutKeys = ["connect", "first_byte", "idle"]
    static let connectionKeys = ["max_idle", "max_total", "idle_timeout"]

    /// Decodes `origins` (a mapping of name → origin). Returns the pools that decoded cleanly and every declared name.
    mutating func decodeOrigins(_ entry: Entry) -> ([OriginPoolConfig], [String]) {
        guard case .mapping(let mapping) = entry.value else {
            self.report(
                entry.value.mark ?? entry.keyMark,
                "origins: expected a mapping of origin names to origins, got \(ConfigDecoder.describe(entry.value))",
                hint: "write e.g. origins: {app: {members: [\"http://127.0.0.1:9000\"]}}"
            )
            return ([], [])
        }
        if mapping.isEmpty {
            self.report(entry.value.mark ?? entry.keyMark, "origins: at least one origin is required",
                        hint: "add e.g. app: {members: [\"http://127.0.0.1:9000\"]} under origins")
        }
        var pools: [OriginPoolConfig] = []
        var names: [String] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode, !ConfigDecoder.isNull(keyNode) else {
                self.report(keyNode.mark, "origins: origin names must be strings, got \(ConfigDecoder.describe(keyNode))")
                continue
            }
            let name = keyScalar.string
            let path = "origins.\(name)"
            if !ConfigDecoder.isValidName(name) {
                self.report(keyNode.mark, "\(path): invalid origin name '\(name)'",
                            hint: "use letters, digits, '-', '_' and '.' only")
                continue
            }
            if names.contains(name) {
                self.report(keyNode.mark, "\(path): duplicate origin name '\(name)'", hint: "origin names must be unique")
                continue
            }
            names.append(name)
            if let kind = self.decodeOrigin(value, path: path, nameMark: keyNode.mark) {
                pools.append(OriginPoolConfig(name: name, kind: kind))
            }
        }
        return (pools, names)
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }

    mutating func decodeOrigin(_ node: Node, path: String, nameMark: Mark?) -> OriginPoolConfig.Kind? {
        guard case .mapping(let mapping) = node else {
            self.report(
                node.mark ?? nameMark,
                "\(path): expected a mapping, got \(ConfigDecoder.describe(node))",
                hint: "write e.g. {members: [\"http://127.0.0.1:9000\"]} or {type: file, root: ./site}"
            )
            return nil
        }
        var type = "http"
        if let typePair = mapping.first(where: { $0.key.string == "type" }) {
            let entry = Entry(key: "type", keyMark: typePair.key.mark, value: typePair.value, path: "\(path).type")
            guard let value = self.choice(entry, ConfigDecoder.originTypes, noun: "origin type") else { return nil }
            type = value
        }
        if type == "file" {
            var misplaced: [String: (message: String, hint: String?)] = [:]
            for key in ConfigDecoder.httpPoolKeys where !ConfigDecoder.fileOriginKeys.contains(key) {
                misplaced[key] = (
                    "'\(key)' is only valid for http origins, but this origin has type: file",
                    key == "members"
                        ? "a file origin serves files from 'root'; remove 'members', or change the type to http"
                        : "remove it, or change the type to http"
                )
            }
            guard let fields = self.fields(node, path: path, allowed: ConfigDecoder.fileOriginKeys, misplaced: misplaced)
            else { return nil }
            return self.decodeFileOrigin(fields, nameMark: nameMark).map { .file($0) }
        }
        var misplaced: [String: (message: String, hint: String?)] = [:]
        for key in ConfigDecoder.fileOriginKeys where !ConfigDecoder.httpPoolKeys.contains(key) {
            misplaced[key] = (
                "'\(key)' is only valid for file origins, but this origin has type: http (the default)",
                "add type: file to serve a directory, or remove '\(key)'"
            )
        }
        guard let fields = self.fields(node, path: path, allowed: ConfigDecoder.httpPoolKeys, misplaced: misplaced)
        else { return nil }
        return self.decodeHTTPPool(fields, nameMark: nameMark).map { .http($0) }
    }

    // MARK: File origins

    mutating func decodeFileOrigin(_ fields: Fields, nameMark: Mark?) -> FileOriginConfig? {
        var config = FileOriginConfig(root: "")
        var valid = true
        if let entry = fields["root"] {
            if let root = self.filePath(entry) { config.root = root } else { valid = false }
        } else {
            self.missing("root", in: fields, ownerMark: nameMark, example: "root: ./site")
            valid = false
        }
        if let entry = fields["cache_control"], !ConfigDecoder.isNull(entry.value) {
            if let value = self.cleanString(entry, expected: "a Cache-Control value such as \"public, max-age=60\"") {
                config.cacheControl = value
            } else {
                valid = false
            }
        }
        if let entry = fields["index"] {
            if let items = self.list(entry, scalarIsList: true, example: "index: [index.html, index.htm]") {
                var names: [String] = []
                for (node, path) in items {
                    guard let name = self.cleanString(.item(node, path: path), expected: "a file name") else {
                        valid = false
                        continue
                    }
                    if name.contains("/") || name.hasPrefix(".") {
                        self.report(node.mark, "\(path): index entries are plain, non-hidden file names, got '\(name)'",
                                    hint: "write a name such as index.html, without '/' or a leading '.'")
                        valid = false
                        continue
                    }
                    names.append(name)
                }
                config.index = names
            } else {
                valid = false
            }
        }
        return valid ? config : nil
    }

    // MARK: HTTP pools

    mutating func decodeHTTPPool(_ fields: Fields, nameMark: Mark?) -> HTTPPoolConfig? {
        let errorCount = self.errors.count
        var config = HTTPPoolConfig(members: [])
        if let entry = fields["members"] {
            config.members = self.decodeMembers(entry)
        } else {
            self.missing("members", in: fields, ownerMark: nameMark, example: "members: [\"http://127.0.0.1:9000\"]")
        }
        if let entry = fields["balance"],
            let value = self.choice(entry, BalancePolicy.allCases.map(\.rawValue), noun: "balance policy")
        {
            config.balance = BalancePolicy(rawValue: value) ?? .roundRobin
        }
        if let entry = fields["health_check"] {
            config.healthCheck = self.decodeHealthCheck(entry)
        }
        if let entry = fields["passive_health"],
            let section = self.fields(entry.value, path: entry.path, allowed: ConfigDecoder.passiveHealthKeys)
        {
            if let e = section["max_failures"], let value = self.int(e, range: 0...1000, example: "0 disables passive ejection") {
                config.passive.maxFailures = value
            }
            if let e = section["cooldown"], let value = self.duration(e, positive: false) {
                config.passive.cooldown = value
            }
            if let e = section["count"] {
                config.passive.count = self.decodePassiveFailures(e) ?? config.passive.count
            }
            if let e = section["http_5xx"] {
                config.passive.serverErrors = self.decodeServerErrors(e)
                if config.passive.serverErrors != nil, config.passive.maxFailures == 0 {
                    self.report(e.keyMark, "\(e.path): has no effect while max_failures is 0 (passive ejection off)",
                                hint: "remove http_5xx, or set max_failures to 1 or more")
                }
            }
        }
        if let entry = fields["response_limits"],
            let section = self.fields(entry.value, path: entry.path, allowed: ConfigDecoder.responseLimitKeys)
        {
            if let e = section["max_header_count"], let value = self.int(e, range: 1...10_000) {
                config.responseLimits.maxHeaderCount = value
            }
            if let e = section["max_header_bytes"], let value = self.byteCount(e, positive: true) {
                if value.bytes < 1024 || value.bytes > 16 * 1024 * 1024 {
                    self.report(e.value.mark, "\(e.path): must be between 1KiB and 16MiB, got \(value.bytes) bytes",
                                hint: "origins' heads are rarely over 16KiB; the default is 64KiB")
                } else {
                    config.responseLimits.maxHeaderBytes = value
                }
            }
            if let e = section["max_interim_responses"],
                let value = self.int(e, range: 0...1000, example: "0 refuses any 1xx other than 101")
            {
                config.responseLimits.maxInterimResponses = value
            }
        }
        if let entry = fields["timeouts"],
            let section = self.fields(entry.value, path: entry.path, allowed: ConfigDecoder.timeoutKeys)
        {
            if let e = section["connect"], let value = self.duration(e, positive: true) { config.timeouts.connect = value }
            if let e = section["first_byte"], let value = self.duration(e, positive: true) { config.timeouts.firstByte = value }
            if let e = section["idle"], let value = self.duration(e, positive: true) { config.timeouts.idle = value }
        }
        if let entry = fields["connections"],
            let section = self.fields(entry.value, path: entry.path, allowed: ConfigDecoder.connectionKeys)
        {
            if let e = section["max_idle"], let value = self.int(e, range: 0...100_000) { config.connections.maxIdle = value }
            if let e = section["max_total"], let value = self.int(e, range: 1...1_000_000) { config.connections.maxTotal = value }
            if let e = section["idle_timeout"], let value = self.duration(e, positive: true) {
                config.connections.idleTimeout = value
            }
            if config.connections.maxIdle > config.connections.maxTotal {
                let mark = (section["max_idle"] ?? section["max_total"])?.value.mark ?? entry.keyMark
                self.report(
                    mark,
                    "\(entry.path): max_idle (\(config.connections.maxIdle)) is larger than max_total (\(config.connections.maxTotal))",
                    hint: "idle connections count towards max_total; lower max_idle or raise max_total"
                )
            }
        }
        if let entry = fields["host_header"], let text = self.cleanString(entry, expected: "preserve, origin or a host name") {
            switch text {
            case "preserve": config.hostHeader = .preserve
            case "origin": config.hostHeader = .origin
            default:
                let allowed = text.allSatisfy {
                    $0.isASCII && ($0.isLetter || $0.isNumber || "-._:[]".contains($0))
                }
                if allowed {
                    config.hostHeader = .fixed(text)
                } else {
                    self.report(
                        entry.value.mark,
                        "\(entry.path): '\(text)' is not preserve, origin or a valid host[:port]",
                        hint: "use preserve (forward the client's Host), origin (the member's host:port), or a fixed name such as app.internal"
                    )
                }
            }
        }
        if let entry = fields["retry"], let value = self.bool(entry) {
            config.retryIdempotent = value
        }
        return self.errors.count == errorCount ? config : nil
    }

    /// `passive_health.count`: a list of failure kinds, each at most once.
    mutating func decodePassiveFailures(_ entry: Entry) -> [PassiveHealthConfig.Failure]? {
        let names = PassiveHealthConfig.Failure.allCases.map(\.rawValue)
        guard let items = self.list(entry, scalarIsList: true, example: "count: [connect, reset, timeout]") else { return nil }
        var kinds: [PassiveHealthConfig.Failure] = []
        var valid = true
        for (node, path) in items {
            let item = Entry.item(node, path: path)
            guard let text = self.choice(item, names, noun: "failure kind") else {
                valid = false
                continue
            }
            let kind = PassiveHealthConfig.Failure(rawValue: text)!
            if kinds.contains(kind) {
                self.report(node.mark, "\(path): '\(text)' is listed twice", hint: "list each failure kind once")
                valid = false
                continue
            }
            kinds.append(kind)
        }
        return valid ? kinds : nil
    }

    /// `passive_health.http_5xx`: `{threshold, window}`; `off` (or `false`) leaves statuses uncounted.
    mutating func decodeServerErrors(_ entry: Entry) -> PassiveHealthConfig.ServerErrors? {
        if case .scalar(let scalar) = entry.value, ["off", "false"].contains(scalar.string) { return nil }
        guard let section = self.fields(
            entry.value, path: entry.path, allowed: ConfigDecoder.serverErrorKeys, nullIsEmpty: false,
            what: "http_5xx: {threshold: 5, window: 10s}"
        ) else { return nil }
        var rule = PassiveHealthConfig.ServerErrors()
        if let e = section["threshold"],
            let value = self.int(e, range: 1...100_000, example: "the number of 5xx responses within the window that eject a member")
        {
            rule.threshold = value
        }
        if let e = section["window"],
            let value = self.duration(e, positive: true, maximum: .seconds(3600), maximumHint: "a window longer than an hour would eject on stale history")
        {
            rule.window = value
        }
        return rule
    }

    mutating func decodeMembers(_ entry: Entry) -> [MemberConfig] {
        let example = "members: [\"http://127.0.0.1:9000\", {url: \"http://127.0.0.1:9001\", weight: 2}]"
        guard let items = self.list(entry, example: example) else { return [] }
        if items.isEmpty {
            self.report(entry.value.mark ?? entry.keyMark, "\(entry.path): an http origin needs at least one member",
                        hint: "add e.g. \(example)")
        }
        var members: [MemberConfig] = []
        var seen: [OriginURL: Int] = [:]
        for (node, path) in items {
            var urlEntry = Entry.item(node, path: path)
            var weight = 1
            if case .mapping = node {
                guard let fields = self.fields(node, path: path, allowed: ["url", "weight"], nullIsEmpty: false) else {
                    continue
                }
                if let e = fields["weight"] {
                    guard let value = self.int(e, range: 1...1000, example: "weights are relative: 2 gets twice the requests of 1")
                    else { continue }
                    weight = value
                }
                guard let url = fields["url"] else {
                    self.missing("url", in: fields, ownerMark: node.mark, example: "url: \"http://127.0.0.1:9000\"")
                    continue
                }
                urlEntry = url
            }
            guard let text = self.cleanString(urlEntry, expected: "a URL such as http://127.0.0.1:9000") else { continue }
            guard let url = OriginURL.parse(text) else {
                self.report(urlEntry.value.mark, "\(urlEntry.path): invalid origin URL '\(text)'",
                            hint: ConfigDecoder.explainBadURL(text))
                continue
            }
            if let firstLine = seen[url] {
                self.report(
                    urlEntry.value.mark,
                    "\(urlEntry.path): duplicate member \(url)",
                    hint: "already listed at line \(firstLine); use weight to send it more traffic"
                )
                continue
            }
            seen[url] = urlEntry.value.mark?.line ?? 0
            members.append(MemberConfig(url: url, weight: weight))
        }
        return members
    }

    static func explainBadURL(_ text: String) -> String {
        let lowered = text.lowercased()
        if lowered.hasPrefix("https://") {
            return "https origins are not supported yet; use http://"
        }
        guard let schemeEnd = lowered.firstRange(of: "://") else {
            return "add the scheme, e.g. http://\(text)"
        }
        if !lowered[..<schemeEnd.lowerBound].elementsEqual("http") {
            return "only http:// origins are supported"
        }
        if text.contains("@") { return "remove the user@ part; an origin URL cannot carry user info" }
        if text.contains("?") || text.contains("#") { return "an origin URL cannot have a query or fragment" }
        return "expected http://host[:port][/base-path], e.g. http://127.0.0.1:9000 or http://[::1]:9000/app"
    }

    mutating func decodeHealthCheck(_ entry: Entry) -> HealthCheckConfig? {
        if ConfigDecoder.isNull(entry.value) {
            self.report(
                entry.value.mark ?? entry.keyMark,
                "\(entry.path): expected a mapping, got nothing",
                hint: "write health_check: {} for the defaults (GET / every 5s), or remove the key to disable active checks"
            )
            return nil
        }
        guard let fields = self.fields(entry.value, path: entry.path, allowed: ConfigDecoder.healthCheckKeys) else {
            return nil
        }
        var config = HealthCheckConfig()
        if let e = fields["path"], let path = self.cleanString(e, expected: "a request path such as /healthz") {
            if path.hasPrefix("/"), !path.contains(" "), !path.contains("#") {
                config.path = path
            } else {
                self.report(e.value.mark, "\(e.path): must be a request path starting with '/', got '\(path)'",
                            hint: "write e.g. /healthz")
            }
        }
        let intervalEntry = fields["interval"]
        let timeoutEntry = fields["timeout"]
        if let e = intervalEntry, let value = self.duration(e, positive: true) { config.interval = value }
        if let e = timeoutEntry, let value = self.duration(e, positive: true) { config.timeout = value }
        if config.timeout >= config.interval {
            let mark = (timeoutEntry ?? intervalEntry)?.value.mark ?? entry.keyMark
            self.report(
                mark,
                "\(entry.path): timeout (\(formatDuration(config.timeout))) must be shorter than interval (\(formatDuration(config.interval)))",
                hint: "a probe must finish before the next one starts; lower timeout or raise interval"
            )
        }
        if let e = fields["expect_status"], let range = self.statusRange(e) { config.expectStatus = range }
        if let e = fields["rise"], let value = self.int(e, range: 1...100) { config.rise = value }
        if let e = fields["fall"], let value = self.int(e, range: 1...100) { config.fall = value }
        return config
    }

    /// `200` or `"200-399"`, within 100...599.
    mutating func statusRange(_ entry: Entry) -> ClosedRange<Int>? {
        guard let text = self.string(entry, expected: "a status code or range such as \"200-399\"") else { return nil }
        let hint = "write a status such as 200, or a range such as \"200-399\"; codes are 100...599"
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters() }
        guard (1...2).contains(parts.count), let low = Int(parts[0]), let high = Int(parts.last ?? "") else {
            self.report(entry.value.mark, "\(entry.path): invalid status range '\(text)'", hint: hint)
            return nil
        }
        guard (100...599).contains(low), (100...599).contains(high), low <= high else {
            self.report(entry.value.mark, "\(entry.path): status range '\(text)' is not within 100...599 or is reversed",
                        hint: hint)
            return nil
        }
        return low...high
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(String(self).trimmingSpaces)
    }
}
