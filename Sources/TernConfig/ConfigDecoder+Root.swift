import TernCore
import TernPolicy
import Yams

extension ConfigDecoder.Entry {
    /// An entry standing for a list item or other keyless node.
    static func item(_ node: Node, path: String) -> ConfigDecoder.Entry {
        ConfigDecoder.Entry(key: "", keyMark: node.mark, value: node, path: path)
    }
}

extension ConfigDecoder {
    static let topLevelKeys = [
        "listeners", "origins", "routes", "cache", "limits", "proxy", "logging", "workers", "shutdown_timeout",
        "admin", "waf", "access", "rate_limits",
    ]

    /// Decodes the document root into a configuration (best effort; check ``errors`` afterwards).
    mutating func decodeRoot(_ root: Node) -> TernConfiguration {
        var config = TernConfiguration(listeners: [], origins: [], routes: [])
        guard
            let fields = self.fields(
                root,
                path: "",
                allowed: ConfigDecoder.topLevelKeys,
                nullIsEmpty: false,
                what: "listeners:, origins: and routes: as top-level keys"
            )
        else { return config }

        // Names declared under `origins`, including pools that had errors, so routes naming them
        // do not produce a second, misleading error.
        var declaredOrigins: [String]?
        if let entry = fields["listeners"] {
            config.listeners = self.decodeListeners(entry)
        } else {
            self.missing("listeners", in: fields, ownerMark: root.mark, example: "listeners: [{address: \"127.0.0.1:8080\"}]")
        }
        if let entry = fields["origins"] {
            (config.origins, declaredOrigins) = self.decodeOrigins(entry)
        } else {
            self.missing("origins", in: fields, ownerMark: root.mark, example: "origins: {app: {members: [\"http://127.0.0.1:9000\"]}}")
        }
        // Policy names declared under `rate_limits`, including policies that had errors (see declaredOrigins).
        var declaredPolicies: [String]?
        if let entry = fields["rate_limits"] {
            (config.rateLimits, declaredPolicies) = self.decodeRateLimits(entry)
        }
        if let entry = fields["routes"] {
            config.routes = self.decodeRoutes(entry, originNames: declaredOrigins, rateLimitNames: declaredPolicies)
        } else {
            self.missing("routes", in: fields, ownerMark: root.mark, example: "routes: [{path: /, origin: app}]")
        }
        if let entry = fields["cache"] {
            config.cache = self.decodeCache(entry)
        }
        if let entry = fields["limits"] {
            config.limits = self.decodeLimits(entry)
        }
        if let entry = fields["proxy"] {
            config.proxy = self.decodeProxy(entry)
        }
        if let entry = fields["logging"] {
            config.logging = self.decodeLogging(entry)
        }
        if let entry = fields["workers"] {
            if case .scalar(let scalar) = entry.value, scalar.string == "auto" {
                config.workers = nil
            } else if let text = self.string(entry, expected: "'auto' or a number of threads") {
                if let value = Int(text) {
                    if (1...256).contains(value) {
                        config.workers = value
                    } else {
                        self.report(entry.value.mark, "workers: must be in 1...256, got \(value)",
                                    hint: "or write workers: auto for one per CPU core")
                    }
                } else {
                    self.report(entry.value.mark, "workers: expected 'auto' or an integer, got '\(text)'",
                                hint: "write workers: auto, or a number such as workers: 4")
                }
            }
        }
        if let entry = fields["shutdown_timeout"], let value = self.duration(entry, positive: false) {
            config.shutdownTimeout = value
        }
        if let entry = fields["admin"] {
            config.admin = self.decodeAdmin(entry, listeners: config.listeners)
        }
        if let entry = fields["waf"] {
            config.waf = self.decodeWAF(entry)
        }
        if let entry = fields["access"] {
            config.access = self.decodeAccessList(entry)
        }
        return config
    }

    // MARK: Listeners

    static let listenerKeys = ["address", "proxy_protocol", "access", "encoded_slashes"]

    mutating func decodeListeners(_ entry: Entry) -> [ListenerConfig] {
        let example = "listeners: [{address: \"127.0.0.1:8080\"}]"
        guard let items = self.list(entry, example: example) else { return [] }
        if items.isEmpty {
            self.report(entry.value.mark ?? entry.keyMark, "listeners: at least one listener is required",
                        hint: "add e.g. \(example)")
        }
        var listeners: [ListenerConfig] = []
        var seen: [HostPort: Int] = [:]
        for (node, path) in items {
            var addressEntry = Entry.item(node, path: path)
            var proxyProtocol = false
            var access: AccessListConfig?
            var encodedSlashes = EncodedSlashPolicy.reject
            if case .mapping = node {
                guard
                    let fields = self.fields(node, path: path, allowed: ConfigDecoder.listenerKeys, nullIsEmpty: false)
                else { continue }
                if let e = fields["proxy_protocol"], let value = self.bool(e) {
                    proxyProtocol = value
                }
                if let e = fields["access"] {
                    access = self.decodeAccessList(e)
                }
                if let e = fields["encoded_slashes"],
                    let text = self.choice(e, EncodedSlashPolicy.allCases.map(\.rawValue), noun: "encoded-slash policy"),
                    let policy = EncodedSlashPolicy(rawValue: text)
                {
                    encodedSlashes = policy
                }
                guard let address = fields["address"] else {
                    self.missing("address", in: fields, ownerMark: node.mark, example: "address: \"127.0.0.1:8080\"")
                    continue
                }
                addressEntry = address
            }
            guard let text = self.string(addressEntry, expected: "an address such as 127.0.0.1:8080") else { continue }
            guard let address = HostPort.parse(text) else {
                let (message, hint) = ConfigDecoder.explainBadAddress(text)
                self.report(addressEntry.value.mark, "\(addressEntry.path): \(message)", hint: hint)
                continue
            }
            if let firstLine = seen[address] {
                self.report(
                    addressEntry.value.mark,
                    "\(addressEntry.path): duplicate listener \(address)",
                    hint: "\(address) is already listed at line \(firstLine); remove one of them"
                )
                continue
            }
            seen[address] = addressEntry.value.mark?.line ?? 0
            listeners.append(ListenerConfig(address: address, proxyProtocol: proxyProtocol, access: access, encodedSlashes: encodedSlashes))
        }
        return listeners
    }

    /// Message and hint for a `host:port` that did not parse.
    static func explainBadAddress(_ text: String) -> (String, String) {
        let generic = "expected host:port such as 127.0.0.1:8080, [::1]:8080 or localhost:8080"
        if text.hasPrefix(":") {
            return ("missing host in '\(text)'", "write e.g. 127.0.0.1\(text), or 0.0.0.0\(text) for all IPv4 interfaces")
        }
        if let colon = text.lastIndex(of: ":") {
            let portText = text[text.index(after: colon)...]
            if !portText.isEmpty, portText.allSatisfy(\.isASCIIDigit) {
                if let port = Int(portText), port > 65535 {
                    return ("port \(portText) is out of range in '\(text)'", "ports are 0...65535")
                }
                if portText.count > 5 {
                    return ("port \(portText) is out of range in '\(text)'", "ports are 0...65535")
                }
                if !text.hasPrefix("["), text[..<colon].contains(":") {
                    return ("invalid address '\(text)'", "put IPv6 addresses in brackets, e.g. [::1]:8080")
                }
            }
            return ("invalid address '\(text)'", generic)
        }
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            return ("missing host in '\(text)'", "write e.g. 127.0.0.1:\(text), or 0.0.0.0:\(text) for all IPv4 interfaces")
        }
        return ("missing port in '\(text)'", "add a port, e.g. \(text):8080")
    }

    // MARK: Routes

    static let routeKeys = ["host", "path", "origin", "cache", "waf", "access", "rate_limits", "strip_request_fields"]

    /// Decodes `routes`; `originNames` are the declared origins (`nil` if `origins` is missing, which is reported
    /// already), `rateLimitNames` the declared rate-limit policies (`nil` if `rate_limits` is absent).
    mutating func decodeRoutes(
        _ entry: Entry, originNames declared: [String]?, rateLimitNames: [String]? = nil
    ) -> [RouteConfig] {
        let example = "routes: [{path: /, origin: app}]"
        guard let items = self.list(entry, example: example) else { return [] }
        if items.isEmpty {
            self.report(entry.value.mark ?? entry.keyMark, "routes: at least one route is required",
                        hint: "add e.g. \(example)")
        }
        let originNames = declared ?? []
        var routes: [RouteConfig] = []
        var seen: [String: Int] = [:]
        for (node, path) in items {
            guard
                let fields = self.fields(
                    node, path: path, allowed: ConfigDecoder.routeKeys, nullIsEmpty: false,
                    what: "{path: /api, origin: app}"
                )
            else { continue }
            var route = RouteConfig(origin: "")
            var valid = true
            if let hostEntry = fields["host"] {
                if let host = self.routeHost(hostEntry) { route.host = host } else { valid = false }
            }
            if let pathEntry = fields["path"] {
                if let prefix = self.cleanString(pathEntry, expected: "a path prefix such as /api") {
                    if !prefix.hasPrefix("/") {
                        self.report(pathEntry.value.mark, "\(pathEntry.path): must start with '/', got '\(prefix)'",
                                    hint: "write e.g. /\(prefix)")
                        valid = false
                    } else if prefix.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) {
                        self.report(pathEntry.value.mark,
                                    "\(pathEntry.path): a path prefix cannot contain spaces, '?' or '#'",
                                    hint: "routes match on the path only; percent-encode spaces as %20")
                        valid = false
                    } else {
                        route.pathPrefix = prefix
                    }
                } else {
                    valid = false
                }
            }
            if let originEntry = fields["origin"] {
                if let name = self.cleanString(originEntry, expected: "an origin name") {
                    route.origin = name
                    if declared != nil, !originNames.contains(name) {
                        self.report(
                            originEntry.value.mark,
                            "\(originEntry.path): no origin named '\(name)'",
                            hint: originNames.isEmpty
                                ? "define it under 'origins'"
                                : Suggestions.hint(for: name, candidates: originNames, noun: "origins")
                        )
                        valid = false
                    }
                } else {
                    valid = false
                }
            } else {
                self.missing("origin", in: fields, ownerMark: node.mark, example: "origin: \(originNames.first ?? "app")")
                valid = false
            }
            if let cacheEntry = fields["cache"] {
                route.cache = self.decodeRouteCache(cacheEntry)
            }
            if let wafEntry = fields["waf"] {
                if let waf = self.decodeRouteWAF(wafEntry) { route.waf = waf } else { valid = false }
            }
            if let accessEntry = fields["access"] {
                route.access = self.decodeAccessList(accessEntry)
            }
            if let e = fields["strip_request_fields"] {
                if let names = self.headerNames(e, example: "strip_request_fields: [x-original-url, x-host]") {
                    route.stripRequestFields = names
                } else {
                    valid = false
                }
            }
            if let limitsEntry = fields["rate_limits"] {
                if let names = self.routeRateLimits(limitsEntry, declared: rateLimitNames) {
                    route.rateLimits = names
                } else {
                    valid = false
                }
            }
            guard valid else { continue }
            let key = "\(route.host ?? "*any*") \(route.pathPrefix)"
            let mark = (fields["path"] ?? fields["origin"])?.keyMark ?? node.mark
            if let firstLine = seen[key] {
                self.report(
                    mark,
                    "\(path): duplicate route for host \(route.host ?? "(any)") and path \(route.pathPrefix)",
                    hint: "the route at line \(firstLine) already matches these requests; remove one"
                )
                continue
            }
            seen[key] = mark?.line ?? 0
            routes.append(route)
        }
        return routes
    }

    /// `example.com` or `*.example.com`, lower-cased.
    mutating func routeHost(_ entry: Entry) -> String? {
        guard let text = self.cleanString(entry, expected: "a host name such as example.com") else { return nil }
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        var body = Substring(name)
        if body.hasPrefix("*.") { body = body.dropFirst(2) }
        if body.contains(":") {
            self.report(entry.value.mark, "\(entry.path): '\(text)' includes a port",
                        hint: "routes match the host name without its port; write just the name")
            return nil
        }
        let labels = body.split(separator: ".", omittingEmptySubsequences: false)
        let validLabels = !labels.isEmpty && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        guard validLabels else {
            self.report(entry.value.mark, "\(entry.path): invalid host '\(text)'",
                        hint: "write an exact name such as example.com, or a wildcard such as *.example.com")
            return nil
        }
        return name
    }
}

extension Character {
    var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}
