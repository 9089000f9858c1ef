/// Pure path arithmetic for resolving relative paths in a configuration (no file-system access).
enum PathResolution {
    /// `path` resolved against `base`, with `.`/`..` segments and repeated slashes removed.
    /// The result is absolute when `path` or `base` is absolute.
    static func resolve(_ path: String, against base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base.isEmpty ? path : base + "/" + path)
        let absolute = joined.hasPrefix("/")
        var segments: [Substring] = []
        for segment in joined.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".":
                continue
            case "..":
                if let last = segments.last, last != ".." {
                    segments.removeLast()
                } else if !absolute {
                    segments.append(segment)
                }
            default:
                segments.append(segment)
            }
        }
        let body = segments.joined(separator: "/")
        if absolute { return "/" + body }
        return body.isEmpty ? "." : body
    }
}
