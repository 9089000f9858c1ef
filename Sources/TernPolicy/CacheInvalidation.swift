import NIOHTTP1
import TernCore

extension CachePolicy {
    /// The request targets (`path` or `path?query`, on the request's own authority) to invalidate
    /// after an unsafe request (RFC 9111 §4.4).
    ///
    /// Only for unsafe methods (``isUnsafe(_:)``: not GET, HEAD, OPTIONS, TRACE; unknown methods
    /// count as unsafe) answered with a non-error status (2xx, 3xx). Returns the target URI, then
    /// the `Location` and `Content-Location` targets when they are on the same authority:
    /// relative references are resolved against the target (RFC 3986 §5.2, dot segments
    /// removed); absolute ones (`http://…`, `//…`) count only when their host and port match
    /// `requestHost` (case-insensitive, default ports 80/443 ignored), otherwise they are
    /// ignored (§4.4: "MUST NOT … when the host differs", to prevent denial of service).
    /// Fragments are dropped; duplicates removed. The caller purges every variant of each target.
    public static func invalidationTargets(
        method: HTTPMethod,
        status: Int,
        requestPath: String,
        requestQuery: String?,
        requestHost: String,
        responseHeaders: HTTPHeaders
    ) -> [String] {
        guard Self.isUnsafe(method), (200..<400).contains(status) else { return [] }
        var targets: [String] = []
        func add(_ target: String) {
            if !targets.contains(target) { targets.append(target) }
        }
        let basePath = requestPath.isEmpty ? "/" : requestPath
        add(requestQuery.map { "\(basePath)?\($0)" } ?? basePath)
        for field in ["location", "content-location"] {
            guard let value = responseHeaders.first(name: field) else { continue }
            let reference = HTTPSyntax.trimOWS(Substring(value))
            if let resolved = Self.resolve(reference, basePath: basePath, baseQuery: requestQuery, host: requestHost) {
                add(resolved)
            }
        }
        return targets
    }

    /// Resolves a URI reference against `basePath?baseQuery` on `host` (RFC 3986 §5.2.2);
    /// `nil` for another authority, another scheme, or an empty reference.
    static func resolve(_ reference: Substring, basePath: String, baseQuery: String?, host: String) -> String? {
        var ref = reference
        if let hash = ref.firstIndex(of: "#") { ref = ref[..<hash] }
        guard !ref.isEmpty else { return nil }

        var scheme: String?
        if let colon = ref.firstIndex(of: ":"), let first = ref.first, first.isLetter, first.isASCII,
            ref[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") })
        {
            scheme = CacheFieldParsing.lower(ref[..<colon])
            ref = ref[ref.index(after: colon)...]
            guard scheme == "http" || scheme == "https" else { return nil }
        }

        var path: Substring
        var query: Substring?
        func split(_ s: Substring) -> (Substring, Substring?) {
            guard let q = s.firstIndex(of: "?") else { return (s, nil) }
            return (s[..<q], s[s.index(after: q)...])
        }

        if ref.hasPrefix("//") {
            let rest = ref.dropFirst(2)
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            guard Self.sameAuthority(String(rest[..<end]), scheme: scheme, requestHost: host) else { return nil }
            (path, query) = split(rest[end...])
            if path.isEmpty { path = "/" }
        } else if scheme != nil {
            return nil  // "http:foo": no authority, not usable
        } else if ref.first == "/" {
            (path, query) = split(ref)
        } else if ref.first == "?" {
            path = Substring(basePath)
            query = ref.dropFirst()
        } else {
            let (relative, q) = split(ref)
            let directory = basePath.lastIndex(of: "/").map { basePath[...$0] } ?? "/"
            path = Substring(String(directory) + relative)
            query = q
        }
        let normalized = Self.removeDotSegments(String(path))
        return query.map { "\(normalized)?\($0)" } ?? normalized
    }

    static func sameAuthority(_ authority: String, scheme: String?, requestHost: String) -> Bool {
        Self.normalizedAuthority(authority, scheme: scheme) == Self.normalizedAuthority(requestHost, scheme: nil)
    }

    /// Lower-cased host with a trailing dot and a default port removed (80/443 for the given
    /// scheme, either when unknown).
    static func normalizedAuthority(_ authority: String, scheme: String?) -> String {
        var host = Substring(CacheFieldParsing.lower(Substring(authority)))
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        var port: Substring = ""
        if let colon = host.lastIndex(of: ":"), !host[colon...].contains("]") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        let defaults: [Substring]
        switch scheme {
        case "http": defaults = ["", "80"]
        case "https": defaults = ["", "443"]
        default: defaults = ["", "80", "443"]
        }
        return defaults.contains(port) ? String(host) : "\(host):\(port)"
    }

    /// RFC 3986 §5.2.4 `remove_dot_segments`.
    static func removeDotSegments(_ path: String) -> String {
        var input = Substring(path)
        var output = ""
        func dropLastSegment() {
            if let slash = output.lastIndex(of: "/") { output = String(output[..<slash]) } else { output = "" }
        }
        while !input.isEmpty {
            if input.hasPrefix("../") {
                input = input.dropFirst(3)
            } else if input.hasPrefix("./") {
                input = input.dropFirst(2)
            } else if input.hasPrefix("/./") {
                input = "/" + input.dropFirst(3)
            } else if input == "/." {
                input = "/"
            } else if input.hasPrefix("/../") {
                input = "/" + input.dropFirst(4)
                dropLastSegment()
            } else if input == "/.." {
                input = "/"
                dropLastSegment()
            } else if input == "." || input == ".." {
                input = ""
            } else {
                let searchStart = input.first == "/" ? input.index(after: input.startIndex) : input.startIndex
                let end = input[searchStart...].firstIndex(of: "/") ?? input.endIndex
                output += input[..<end]
                input = input[end...]
            }
        }
        return output.isEmpty ? "/" : output
    }
}
