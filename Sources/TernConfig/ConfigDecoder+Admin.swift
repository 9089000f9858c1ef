import TernCore
import TernPolicy
import Yams

extension ConfigDecoder {
    static let adminKeys = ["listen", "token", "token_env", "token_file", "allow", "purge_method", "hosts"]
    static let adminTokenKeys = ["token", "token_env", "token_file"]
    static let purgeMethodKeys = ["enabled", "allow"]
    /// Cache keys about surrogate keys (tags), decoded here with the rest of the purge surface.
    static let cacheTagKeys = ["tag_headers", "strip_tag_headers"]

    // MARK: Admin

    /// Decodes `admin:`; a null value (`admin:` with nothing under it) is the default admin listener.
    mutating func decodeAdmin(_ entry: Entry, listeners: [ListenerConfig]) -> AdminConfig {
        var admin = AdminConfig()
        guard
            let fields = self.fields(
                entry.value, path: entry.path, allowed: ConfigDecoder.adminKeys,
                what: "admin: {listen: \"127.0.0.1:9090\", token_file: /etc/tern/admin-token}"
            )
        else { return admin }
        if let e = fields["listen"],
            let text = self.string(e, expected: "an address such as 127.0.0.1:9090")
        {
            if let address = HostPort.parse(text) {
                admin.listen = address
                if address.port != 0, listeners.contains(where: { $0.address == address }) {
                    self.report(
                        e.value.mark, "\(e.path): \(address) is also a data listener",
                        hint: "the admin listener needs its own port, e.g. 127.0.0.1:9090"
                    )
                }
            } else {
                let (message, hint) = ConfigDecoder.explainBadAddress(text)
                self.report(e.value.mark, "\(e.path): \(message)", hint: hint)
            }
        }

        let given = ConfigDecoder.adminTokenKeys.compactMap { fields[$0] }
            .sorted { ConfigDecoder.isBefore($0.keyMark, $1.keyMark) }
        if given.count > 1 {
            for extra in given.dropFirst() {
                self.report(
                    extra.keyMark,
                    "\(entry.path): \(extra.key) cannot be combined with \(given[0].key)",
                    hint: "give the token one way: token (literal), token_env (variable name) or token_file (path)"
                )
            }
        } else if let e = given.first {
            switch e.key {
            case "token":
                if let value = self.cleanString(e, expected: "the token") {
                    if value.contains(" ") {
                        self.report(e.value.mark, "\(e.path): must not contain spaces",
                                    hint: "a bearer token is one word, e.g. 32 random hex characters")
                    } else {
                        admin.token = .literal(value)
                    }
                }
            case "token_env":
                if let name = self.cleanString(e, expected: "an environment variable name") {
                    if ConfigDecoder.isEnvironmentName(name) {
                        admin.token = .environment(name)
                    } else {
                        self.report(e.value.mark, "\(e.path): '\(name)' is not an environment variable name",
                                    hint: "write the variable's name without '$', e.g. TERN_ADMIN_TOKEN")
                    }
                }
            default:
                if let path = self.filePath(e) { admin.token = .file(path) }
            }
        }

        if let e = fields["allow"], let ranges = self.cidrList(e, example: "allow: [127.0.0.1, \"::1\", 10.0.0.0/8]") {
            admin.allow = ranges
        }
        if let e = fields["hosts"], let items = self.list(e, scalarIsList: true, example: "hosts: [tern-admin.internal, 10.0.0.5]") {
            var names: [String] = []
            for (node, path) in items {
                guard let text = self.cleanString(.item(node, path: path), expected: "a host name or address") else { continue }
                let bracketed = text.contains(":") && !text.hasPrefix("[") ? "[\(text)]" : text
                let name = try? CanonicalRequest.canonicalAuthority(bracketed, defaultPort: 0)
                let hasPort = name.map { $0.hasPrefix("[") ? !$0.hasSuffix("]") : $0.contains(":") } ?? true
                guard let name, !hasPort else {
                    self.report(node.mark, "\(path): '\(text)' is not a host name or IP address",
                                hint: "write a name such as tern-admin.internal or an address such as 10.0.0.5, without a port")
                    continue
                }
                if !names.contains(name) { names.append(name) }
            }
            admin.hosts = names
        }
        if let e = fields["purge_method"],
            let purge = self.fields(
                e.value, path: e.path, allowed: ConfigDecoder.purgeMethodKeys,
                what: "purge_method: {enabled: true, allow: [10.0.0.0/8]}"
            )
        {
            if let p = purge["enabled"], let value = self.bool(p) {
                admin.purgeMethod.enabled = value
            }
            if let p = purge["allow"], let ranges = self.cidrList(p, example: "allow: [10.0.0.0/8]") {
                admin.purgeMethod.allow = ranges
            }
        }
        return admin
    }

    /// A list of addresses or CIDR ranges (a single scalar is a one-element list); `nil` after any error.
    mutating func cidrList(_ entry: Entry, example: String) -> [IPAddressRange]? {
        guard let items = self.list(entry, scalarIsList: true, example: example) else { return nil }
        var ranges: [IPAddressRange] = []
        var valid = true
        for (node, path) in items {
            guard let text = self.cleanString(.item(node, path: path), expected: "an address or CIDR range") else {
                valid = false
                continue
            }
            guard let range = IPAddressRange(text) else {
                self.report(node.mark, "\(path): invalid address or CIDR range '\(text)'",
                            hint: "write e.g. 10.0.0.0/8, 192.168.1.7, ::1 or fd00::/8")
                valid = false
                continue
            }
            if !ranges.contains(range) { ranges.append(range) }
        }
        return valid ? ranges : nil
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`.
    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    // MARK: Cache tags

    /// Decodes `cache.tag_headers` and `cache.strip_tag_headers` into `cache`.
    mutating func decodeCacheTags(_ fields: Fields, into cache: inout CacheConfig) {
        if let e = fields["tag_headers"],
            let items = self.list(e, scalarIsList: true, example: "tag_headers: [surrogate-key, cache-tag]")
        {
            var names: [String] = []
            for (node, path) in items {
                guard let text = self.cleanString(.item(node, path: path), expected: "a header name") else { continue }
                guard HTTPSyntax.isToken(text) else {
                    self.report(node.mark, "\(path): '\(text)' is not a valid header name",
                                hint: "header names are tokens such as surrogate-key, see RFC 9110 §5.1")
                    continue
                }
                let lowered = text.lowercased()
                if !names.contains(lowered) { names.append(lowered) }
            }
            cache.tagHeaders = names
        }
        if let e = fields["strip_tag_headers"], let value = self.bool(e) {
            cache.stripTagHeaders = value
        }
    }
}
