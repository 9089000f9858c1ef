/// Media types for file name extensions (RFC 9110 §8.3 `Content-Type`; IANA media type registry).
///
/// Text types carry `; charset=utf-8` so browsers never sniff them. JavaScript is
/// `text/javascript` (RFC 9239). Unknown extensions map to ``defaultType``.
public enum MIMETypes {
    /// The type for unknown extensions: `application/octet-stream` (RFC 2046 §4.5.1).
    public static let defaultType = "application/octet-stream"

    /// The `Content-Type` for a path extension such as `"html"` or `".CSS"` (case-insensitive,
    /// a leading dot is ignored).
    public static func contentType(forPathExtension pathExtension: String) -> String {
        var ext = Substring(pathExtension)
        if ext.first == "." { ext = ext.dropFirst() }
        return Self.table[ext.lowercased()] ?? Self.defaultType
    }

    /// The `Content-Type` for the last path component's extension (`/a/b.min.js` → `js`);
    /// a name without a dot, or a dotfile such as `.profile`, gets ``defaultType``.
    public static func contentType(forPath path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return Self.defaultType }
        return Self.contentType(forPathExtension: String(name[name.index(after: dot)...]))
    }

    private static let utf8 = "; charset=utf-8"

    private static let table: [String: String] = [
        // Text and documents.
        "html": "text/html" + utf8,
        "htm": "text/html" + utf8,
        "xhtml": "application/xhtml+xml" + utf8,
        "css": "text/css" + utf8,
        "js": "text/javascript" + utf8,
        "mjs": "text/javascript" + utf8,
        "cjs": "text/javascript" + utf8,
        "json": "application/json",
        "jsonld": "application/ld+json",
        "map": "application/json",
        "webmanifest": "application/manifest+json",
        "xml": "application/xml",
        "rss": "application/rss+xml",
        "atom": "application/atom+xml",
        "txt": "text/plain" + utf8,
        "text": "text/plain" + utf8,
        "md": "text/markdown" + utf8,
        "csv": "text/csv" + utf8,
        "tsv": "text/tab-separated-values" + utf8,
        "ics": "text/calendar" + utf8,
        "vtt": "text/vtt" + utf8,
        "yaml": "application/yaml",
        "yml": "application/yaml",
        "pdf": "application/pdf",
        "wasm": "application/wasm",
        // Images.
        "svg": "image/svg+xml",
        "svgz": "image/svg+xml",
        "png": "image/png",
        "apng": "image/apng",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "avif": "image/avif",
        "ico": "image/vnd.microsoft.icon",
        "bmp": "image/bmp",
        "tif": "image/tiff",
        "tiff": "image/tiff",
        // Fonts.
        "woff": "font/woff",
        "woff2": "font/woff2",
        "ttf": "font/ttf",
        "otf": "font/otf",
        // Audio and video.
        "mp4": "video/mp4",
        "m4v": "video/mp4",
        "webm": "video/webm",
        "ogv": "video/ogg",
        "mov": "video/quicktime",
        "mp3": "audio/mpeg",
        "m4a": "audio/mp4",
        "ogg": "audio/ogg",
        "oga": "audio/ogg",
        "opus": "audio/ogg",
        "wav": "audio/wav",
        "flac": "audio/flac",
        // Archives and compressed data.
        "zip": "application/zip",
        "gz": "application/gzip",
        "tgz": "application/gzip",
        "br": "application/x-brotli",
        "zst": "application/zstd",
        "tar": "application/x-tar",
        "7z": "application/x-7z-compressed",
        "bin": "application/octet-stream",
    ]
}
