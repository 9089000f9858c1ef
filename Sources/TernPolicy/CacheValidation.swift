import NIOHTTP1
import TernCore

extension CachePolicy {
    /// The conditional request fields for revalidating `stored` (RFC 9111 §4.3.1):
    /// `If-None-Match` with the stored `ETag`, and `If-Modified-Since` with the stored
    /// `Last-Modified` when it is a valid HTTP-date (sent verbatim: origins often compare the
    /// string). Empty when the response has no validator.
    public static func validationHeaders(for stored: StoredResponse) -> HTTPHeaders {
        var out = HTTPHeaders()
        let etags = CacheFieldParsing.listElements(stored.headers, "etag")
        if let etag = etags.first {
            out.add(name: "If-None-Match", value: String(etag))
        }
        if let lastModified = stored.headers.first(name: "last-modified"), HTTPDate.parse(lastModified) != nil {
            out.add(name: "If-Modified-Since", value: String(HTTPSyntax.trimOWS(Substring(lastModified))))
        }
        return out
    }

    /// Turns a client's request fields into those of the cache's own revalidation request
    /// (RFC 9111 §4.3.1): removes the client's preconditions (``CacheDefaults/clientConditionalFields``;
    /// the cache evaluates them itself against the response it ends up with) and adds
    /// ``validationHeaders(for:)``.
    public static func applyValidation(to requestHeaders: inout HTTPHeaders, for stored: StoredResponse) {
        for name in CacheDefaults.clientConditionalFields where requestHeaders.contains(name: name) {
            requestHeaders.remove(name: name)
        }
        requestHeaders.add(contentsOf: Self.validationHeaders(for: stored))
    }

    /// Updates a stored response with the header fields of a 304 that selected it
    /// (RFC 9111 §3.2, §4.3.4), with the new request and response times (ms).
    ///
    /// Each field name present in the 304 replaces all stored lines of that name, except:
    /// hop-by-hop fields and those named by the 304's `Connection`; ``CacheDefaults/neverStoredFields``;
    /// ``CacheDefaults/notUpdatedBy304`` (`Content-Length`, `Content-Range`, `Content-Encoding`,
    /// and `Set-Cookie` unless ``CachePolicyOptions/cacheSetCookie``); fields named by the 304's
    /// qualified `no-cache`/`private`. Stored fields absent from the 304 stay, except `Age` and
    /// `Date`: they describe the old message, so without a replacement they are removed (age is
    /// then computed from the new times alone).
    public static func merge(
        notModified: HTTPHeaders,
        into stored: StoredResponse,
        requestTime: Int64,
        responseTime: Int64,
        options: CachePolicyOptions = CachePolicyOptions()
    ) -> StoredResponse {
        var excluded = Set(CacheDefaults.neverStoredFields + ProxyHeaders.hopByHopFields)
        for name in CacheDefaults.notUpdatedBy304 where !(name == "set-cookie" && options.cacheSetCookie) {
            excluded.insert(name)
        }
        for token in CacheFieldParsing.listElements(notModified, "connection") {
            excluded.insert(CacheFieldParsing.lower(token))
        }
        let cc = Self.responseDirectives(notModified, options: options).directives
        excluded.formUnion(cc.noCacheFields)
        excluded.formUnion(cc.privateFields)

        var headers = stored.headers
        var replaced = Set<String>()
        for (name, _) in notModified {
            let lower = CacheFieldParsing.lower(Substring(name))
            guard !excluded.contains(lower), replaced.insert(lower).inserted else { continue }
            headers.remove(name: lower)
            for value in notModified[lower] { headers.add(name: name, value: value) }
        }
        for name in ["age", "date"] where !replaced.contains(name) && headers.contains(name: name) {
            headers.remove(name: name)
        }
        return StoredResponse(status: stored.status, headers: headers, requestTime: requestTime, responseTime: responseTime)
    }

    /// Whether a 304 identifies `stored` for update (RFC 9111 §4.3.4).
    ///
    /// - The 304 has an `ETag`: a strong one must strongly match the stored `ETag`, a weak one
    ///   weakly match it.
    /// - Else it has a `Last-Modified`: it must equal the stored one.
    /// - Else (no validator): selected. Tern keeps one response per variant and only ever sends
    ///   its own validators, so a bare 304 answers them (RFC 9111 names the validator-less case
    ///   for a stored response without validators; origins commonly omit them otherwise too).
    ///
    /// When this returns `false`, the 304 cannot be used: fetch again without conditionals.
    public static func notModifiedSelects(_ notModified: HTTPHeaders, stored: StoredResponse) -> Bool {
        if let newTag = CacheFieldParsing.listElements(notModified, "etag").first {
            guard let new = EntityTag(parsing: String(newTag)),
                let storedText = CacheFieldParsing.listElements(stored.headers, "etag").first,
                let old = EntityTag(parsing: String(storedText))
            else { return false }
            return new.isWeak ? new.weakMatch(old) : new.strongMatch(old)
        }
        if notModified.contains(name: "last-modified") {
            guard let new = CacheFieldParsing.date(notModified, "last-modified"),
                let old = CacheFieldParsing.date(stored.headers, "last-modified")
            else { return false }
            return new == old
        }
        return true
    }
}
