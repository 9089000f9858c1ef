import NIOCore
import NIOHTTP1
import TernPolicy

/// Serves one directory tree over HTTP: plans GET/HEAD responses from `stat(2)`/`realpath(3)`
/// metadata, leaving the body to the caller, which streams the file slices the plan names.
///
/// Guarantees (details in `Docs/file-origin.md`):
/// - Nothing outside ``root`` is ever named by a plan: `..` segments are refused, and the
///   `realpath` of every candidate must lie under the root's `realpath`, so a symbolic link
///   leading outside answers 404.
/// - Hidden names (a segment starting with `.`) are never served, whether requested or reached
///   through a symbolic link.
/// - Only regular files are served; directories never list their contents.
/// - Validators: a strong `ETag` from inode, size and nanosecond mtime, and `Last-Modified`
///   (clamped to `now`); preconditions per RFC 9110 §13.2.2; ranges per RFC 9110 §14.
/// - Precompressed siblings `name.br` / `name.gz` are served with `Content-Encoding` when the
///   client accepts them (RFC 9110 §12.5.3) and they are not older than `name`; validators,
///   preconditions and ranges then apply to the sibling's bytes (ETag suffixed `-br` / `-gzip`).
public struct FileOrigin: Sendable {
    /// The canonical (`realpath`) root directory.
    public let root: String
    /// `Cache-Control` sent with 200, 206 and 304 responses; `nil` sends none.
    public let cacheControl: String?
    /// File names tried, in order, for a request naming a directory with a trailing slash.
    public let index: [String]

    /// Creates an origin serving the directory `root`.
    ///
    /// - Throws: ``FileOriginError`` when `root` does not exist, cannot be resolved, or is not a
    ///   directory, or when an `index` entry is not a plain, non-hidden file name.
    public init(root: String, cacheControl: String?, index: [String] = ["index.html"]) throws {
        let (resolved, code) = FileStat.realPath(root)
        guard let resolved else { throw FileOriginError(kind: .rootNotFound, path: root, errno: code) }
        guard let status = FileStat.stat(resolved), status.kind == .directory else {
            throw FileOriginError(kind: .rootNotDirectory, path: root)
        }
        for name in index where name.isEmpty || name.hasPrefix(".") || name.contains("/") || name.utf8.contains(0) {
            throw FileOriginError(kind: .invalidIndexName, path: name)
        }
        self.root = resolved
        self.cacheControl = cacheControl
        self.index = index
    }

    /// The strong entity-tag for a file version: `"<hex inode>-<hex size>-<hex mtime ns>"`.
    ///
    /// A streamer that opens ``FilePlan/filePath`` later can `fstat` the descriptor and compare
    /// this value with the plan's `ETag` to detect a file replaced since planning.
    public static func entityTag(inode: UInt64, size: Int64, modificationNanoseconds: Int64) -> EntityTag {
        let mtime = UInt64(bitPattern: modificationNanoseconds)
        let text = String(inode, radix: 16) + "-" + String(UInt64(bitPattern: size), radix: 16) + "-" + String(mtime, radix: 16)
        return EntityTag(opaque: text, isWeak: false)
    }

    /// Plans a response for one request (no body reading here; the caller streams the file).
    ///
    /// - Parameters:
    ///   - method: only GET and HEAD are served; anything else gets 405 with `Allow: GET, HEAD`.
    ///   - uri: the request target; its path is percent-decoded and its query ignored (but kept
    ///     in a directory redirect's `Location`).
    ///   - headers: the request headers (conditionals, `Range`, `If-Range`, `Accept-Encoding`).
    ///   - now: the current time in Unix seconds, for `Date` and to clamp `Last-Modified`.
    public func plan(method: HTTPMethod, uri: String, headers: HTTPHeaders, now: Int64) -> FilePlan {
        let date = HTTPDate.format(now)
        guard method == .GET || method == .HEAD else {
            return Self.errorPlan(.methodNotAllowed, date: date, isHead: false, extra: [("Allow", "GET, HEAD")])
        }
        let isHead = method == .HEAD

        let path: RequestPath
        switch RequestPath.parse(uri) {
        case .success(let parsed): path = parsed
        case .failure(.badRequest): return Self.errorPlan(.badRequest, date: date, isHead: isHead)
        case .failure(.notFound): return Self.errorPlan(.notFound, date: date, isHead: isHead)
        }

        let candidate = path.segments.isEmpty ? self.root : self.join(self.root, path.segments.joined(separator: "/"))
        guard let resolved = self.confinedRealPath(candidate), let status = FileStat.stat(resolved) else {
            return Self.errorPlan(.notFound, date: date, isHead: isHead)
        }

        switch status.kind {
        case .regular:
            guard !path.hasTrailingSlash else { return Self.errorPlan(.notFound, date: date, isHead: isHead) }
            let name = path.segments.last ?? ""
            return self.filePlan(method: method, headers: headers, now: now, date: date, path: resolved, status: status, name: name)
        case .directory:
            guard path.hasTrailingSlash else {
                var plan = Self.errorPlan(.movedPermanently, date: date, isHead: isHead, extra: [("Location", path.directoryLocation)])
                plan.body = []
                plan.headers.replaceOrAdd(name: "Content-Length", value: "0")
                plan.headers.remove(name: "Content-Type")
                return plan
            }
            for name in self.index {
                if let file = self.confinedRealPath(self.join(resolved, name)), let fileStatus = FileStat.stat(file),
                    fileStatus.kind == .regular
                {
                    return self.filePlan(
                        method: method, headers: headers, now: now, date: date, path: file, status: fileStatus, name: name
                    )
                }
            }
            return Self.errorPlan(.notFound, date: date, isHead: isHead)
        case .other:
            return Self.errorPlan(.notFound, date: date, isHead: isHead)
        }
    }

    // MARK: - Serving a file

    private func filePlan(
        method: HTTPMethod,
        headers requestHeaders: HTTPHeaders,
        now: Int64,
        date: String,
        path originalPath: String,
        status originalStatus: FileStat,
        name: String
    ) -> FilePlan {
        // Precompressed siblings (`name.br`, `name.gz`): negotiated per RFC 9110 §12.5.3. The
        // selected variant's file, length and validators are what the rest of this plan uses.
        let contentType = MIMETypes.contentType(forPath: name)
        let siblings = self.siblings(of: originalPath, status: originalStatus, name: name)
        var coding = ContentCoding.identity
        if !siblings.isEmpty {
            var available: [ContentCoding] = [.identity]
            available += siblings.map(\.coding)
            coding = AcceptEncoding(requestHeaders).choose(available: available) ?? .identity
        }
        let selected = siblings.first { $0.coding == coding }
        let path = selected?.path ?? originalPath
        let status = selected?.status ?? originalStatus
        let vary = !siblings.isEmpty || Self.isCompressible(contentType)

        let baseTag = Self.entityTag(inode: status.inode, size: status.size, modificationNanoseconds: status.modificationNanoseconds)
        // A coding suffix inside the quotes (`"…-br"`), so every coding has its own strong validator.
        let etagValue = CompressionPolicy.variantETag(baseTag.headerValue, coding: coding) ?? baseTag.headerValue
        let etag = EntityTag(parsing: etagValue) ?? baseTag
        // RFC 9110 §8.8.2.1: never a Last-Modified later than the message's Date.
        let lastModified = min(status.modificationSeconds, now)

        var headers = HTTPHeaders()
        headers.add(name: "Date", value: date)
        headers.add(name: "ETag", value: etag.headerValue)
        headers.add(name: "Last-Modified", value: HTTPDate.format(lastModified))
        if let cacheControl = self.cacheControl { headers.add(name: "Cache-Control", value: cacheControl) }
        if vary { headers.add(name: "Vary", value: "Accept-Encoding") }

        switch Conditionals.evaluate(method: method, headers: requestHeaders, etag: etag, lastModified: lastModified) {
        case .notModified:
            return FilePlan(status: .notModified, headers: headers)
        case .preconditionFailed:
            var failed = HTTPHeaders()
            failed.add(name: "Date", value: date)
            failed.add(name: "Content-Length", value: "0")
            if vary { failed.add(name: "Vary", value: "Accept-Encoding") }
            return FilePlan(status: .preconditionFailed, headers: failed)
        case .proceed:
            break
        }

        let length = status.size
        headers.add(name: "Accept-Ranges", value: "bytes")
        if coding != .identity { headers.add(name: "Content-Encoding", value: coding.rawValue) }

        let rangeValues = requestHeaders["range"]
        if method == .GET, rangeValues.count == 1,
            Conditionals.ifRangeMatches(headers: requestHeaders, etag: etag, lastModified: lastModified, now: now)
        {
            switch ByteRanges.resolve(header: rangeValues[0], length: length) {
            case .full:
                break
            case .unsatisfiable:
                var extra = [("Content-Range", ByteRanges.unsatisfiedContentRange(length: length))]
                if vary { extra.append(("Vary", "Accept-Encoding")) }
                return Self.errorPlan(.rangeNotSatisfiable, date: date, isHead: false, extra: extra)
            case .satisfiable(let ranges) where ranges.count == 1:
                let range = ranges[0]
                let count = range.upperBound - range.lowerBound + 1
                headers.add(name: "Content-Type", value: contentType)
                headers.add(name: "Content-Length", value: String(count))
                headers.add(name: "Content-Range", value: ByteRanges.contentRange(range, length: length))
                return FilePlan(
                    status: .partialContent, headers: headers, filePath: path,
                    body: [.file(offset: range.lowerBound, length: count)]
                )
            case .satisfiable where coding != .identity:
                // A multipart/byteranges body cannot say that its parts are slices of encoded
                // bytes (`Content-Encoding` on it would claim the multipart itself is encoded),
                // so several ranges of an encoded variant get the whole variant (§14.2 allows
                // ignoring Range).
                break
            case .satisfiable(let ranges):
                let layout = ByteRanges.multipart(
                    ranges: ranges, length: length, contentType: contentType, boundary: Self.makeBoundary()
                )
                headers.add(name: "Content-Type", value: layout.contentType)
                headers.add(name: "Content-Length", value: String(layout.contentLength))
                var body: [FilePlan.Segment] = []
                body.reserveCapacity(ranges.count * 2 + 1)
                for part in layout.parts {
                    body.append(.bytes(part.header))
                    body.append(.file(offset: part.range.lowerBound, length: part.range.upperBound - part.range.lowerBound + 1))
                }
                body.append(.bytes(layout.closing))
                return FilePlan(status: .partialContent, headers: headers, filePath: path, body: body)
            }
        }

        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(length))
        let body: [FilePlan.Segment] = (method == .HEAD || length == 0) ? [] : [.file(offset: 0, length: length)]
        return FilePlan(status: .ok, headers: headers, filePath: path, body: body)
    }

    // MARK: - Precompressed siblings

    /// A usable precompressed sibling of a served file.
    struct Sibling {
        var coding: ContentCoding
        var path: String
        var status: FileStat
    }

    /// The file-name suffix of each precompressed sibling, in preference order.
    static let siblingSuffixes: [(coding: ContentCoding, suffix: String)] = [(.br, ".br"), (.gzip, ".gz")]

    /// The usable siblings `<path>.br` / `<path>.gz` of the file at `path` (its real path):
    /// regular, non-empty files under the root (a link leading outside or to a hidden name is
    /// ignored) whose mtime, in whole seconds, is not older than the original's (an older one is
    /// stale precompression and ignored). A file that is itself named `*.br` / `*.gz` has none: it is
    /// served as an ordinary file.
    func siblings(of path: String, status: FileStat, name: String) -> [Sibling] {
        if Self.siblingSuffixes.contains(where: { path.hasSuffix($0.suffix) || name.hasSuffix($0.suffix) }) { return [] }
        var found: [Sibling] = []
        for (coding, suffix) in Self.siblingSuffixes {
            // A plain stat first: the common case (no sibling) costs one failed syscall.
            guard FileStat.stat(path + suffix) != nil,
                let resolved = self.confinedRealPath(path + suffix),
                let sibling = FileStat.stat(resolved),
                sibling.kind == .regular, sibling.size > 0,
                // Whole seconds: `brotli -k` (1.0.9) copies the original's mtime truncated to the
                // second, so a nanosecond comparison would call every fresh .br stale.
                sibling.modificationSeconds >= status.modificationSeconds
            else { continue }
            found.append(Sibling(coding: coding, path: resolved, status: sibling))
        }
        return found
    }

    /// Whether responses of this type carry `Vary: Accept-Encoding` even without a sibling:
    /// the types Tern's default ``CompressionPolicy`` would encode.
    static func isCompressible(_ contentType: String) -> Bool {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        return Self.compressionPolicy.shouldCompress(status: 200, responseHeaders: headers, method: .GET)
    }

    private static let compressionPolicy = CompressionPolicy()

    // MARK: - Path confinement

    private func join(_ directory: String, _ relative: String) -> String {
        directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// `realpath(path)` when it lies under ``root`` and no component below the root is hidden;
    /// `nil` otherwise (missing, unreadable, escaping through a link, or hidden).
    private func confinedRealPath(_ path: String) -> String? {
        guard let resolved = FileStat.realPath(path).path else { return nil }
        if resolved == self.root { return resolved }
        let prefix = self.root.hasSuffix("/") ? self.root : self.root + "/"
        guard resolved.hasPrefix(prefix) else { return nil }
        let relative = resolved.dropFirst(prefix.count)
        guard !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { return nil }
        return resolved
    }

    // MARK: - Small responses

    private static func errorPlan(
        _ status: HTTPResponseStatus,
        date: String,
        isHead: Bool,
        extra: [(String, String)] = []
    ) -> FilePlan {
        let text = "\(status.code) \(status.reasonPhrase)\n"
        let buffer = ByteBuffer(string: text)
        var headers = HTTPHeaders()
        headers.add(name: "Date", value: date)
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        for (name, value) in extra { headers.add(name: name, value: value) }
        return FilePlan(status: status, headers: headers, body: isHead ? [] : [.bytes(buffer)])
    }

    /// A multipart boundary: 24 random hex digits after a fixed prefix (RFC 2046 §5.1.1).
    private static func makeBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        let a = String(generator.next() as UInt64, radix: 16)
        let b = String(generator.next() as UInt32, radix: 16)
        return "tern-" + String(repeating: "0", count: 16 - a.count) + a + String(repeating: "0", count: 8 - b.count) + b
    }
}
