import NIOHTTP1
import TernPolicy

// The cache policy's field parsers on header values from the input, and the decisions built on
// them. Input: lines (`\n`-separated, at most 64 read). Every line's value goes through each
// value parser (Cache-Control, entity-tags, HTTP-dates, ranges, codings); a line `name: value`
// (name a token) also adds that field to one header set, used as the request's and the
// response's fields by the decisions. Bytes the request parser would refuse in a field value
// (controls other than HTAB) are dropped, so the headers are ones that can reach the policy.
// Invariants are checked with `precondition` where they are cheap.

let policyOptions = [
    CachePolicyOptions(),
    CachePolicyOptions(
        cacheSetCookie: true, forceTTL: 60, minTTL: 10, negativeTTL: 5,
        defaultStaleWhileRevalidate: 30, defaultStaleIfError: 300, honorRequestCacheControl: false
    ),
]

/// 2023-11-14T22:13:20Z in milliseconds: the clock of a stored response.
let responseTime: Int64 = 1_700_000_000_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var headers = HTTPHeaders()
    var values: [String] = []
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(64) {
        let kept = line.filter { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
        if let colon = kept.firstIndex(of: UInt8(ascii: ":")), colon > 0, kept[..<colon].allSatisfy(isTchar) {
            let name = String(decoding: kept[..<colon], as: UTF8.self)
            let value = String(decoding: kept[(colon + 1)...].drop { $0 == 0x20 || $0 == 0x09 }, as: UTF8.self)
            headers.add(name: name, value: value)
            values.append(value)
        } else {
            values.append(String(decoding: kept.drop { $0 == 0x20 || $0 == 0x09 }, as: UTF8.self))
        }
    }
    for value in values { fieldValue(value) }
    fieldSection(headers)
    // Formatting any timestamp gives a date that parses back to it (clamped to years 0000–9999).
    if size >= 8 {
        let t = UnsafeRawPointer(data).loadUnaligned(as: Int64.self)
        let clamped = min(max(t, -62_167_219_200), 253_402_300_799)
        precondition(HTTPDate.parse(HTTPDate.format(t)) == clamped, "HTTPDate.format(\(t)) does not parse back")
    }
    return 0
}

/// One field value through each value parser.
func fieldValue(_ value: String) {
    for structured in [false, true] {
        let cc = CacheControl(fieldValue: value, structured: structured)
        for delta in [cc.maxAge, cc.sMaxAge, cc.minFresh, cc.staleWhileRevalidate, cc.staleIfError] {
            if let delta { precondition(delta >= 0, "a negative delta-seconds from \(value)") }
        }
    }

    if let tag = EntityTag(parsing: value) {
        precondition(EntityTag(parsing: tag.headerValue) == tag, "an entity-tag does not round-trip: \(value)")
        if let variant = CompressionPolicy.variantETag(value, coding: .br) {
            guard let parsed = EntityTag(parsing: variant) else { preconditionFailure("variant ETag \(variant) does not parse") }
            let base = CompressionPolicy.baseETag(parsed)
            precondition(base.tag == tag && base.coding == .br, "variant ETag \(variant) does not map back to \(value)")
        }
    }
    switch EntityTag.parseList(value) {
    case .any: break
    case .tags(let tags):
        for tag in tags { precondition(EntityTag(parsing: tag.headerValue) == tag, "a listed entity-tag does not round-trip: \(value)") }
    }

    if let date = HTTPDate.parse(value) {
        precondition(HTTPDate.parse(HTTPDate.format(date)) == date, "an HTTP-date does not round-trip: \(value)")
    }
    _ = HTTPDate.parse(value, now: responseTime / 1000)

    let specs = ByteRanges.parse(value)
    for length: Int64 in [0, 1, 100, 10_000, 1 << 40, Int64.max] {
        let resolution = specs.map { ByteRanges.resolve(specs: $0, length: length) } ?? .full
        precondition(resolution == ByteRanges.resolve(header: value, length: length), "Range resolution differs by entry point")
        guard case .satisfiable(let ranges) = resolution else { continue }
        precondition(!ranges.isEmpty, "a satisfiable Range without ranges: \(value)")
        var previousUpper: Int64 = -2
        for range in ranges {
            precondition(range.lowerBound >= 0 && range.upperBound < length, "a range outside the representation: \(value) \(length)")
            precondition(range.lowerBound > previousUpper + 1, "ranges overlap, touch or are out of order: \(value)")
            previousUpper = range.upperBound
        }
        if length <= 1 << 40 {
            let multipart = ByteRanges.multipart(ranges: ranges, length: length, contentType: "text/plain", boundary: "b")
            var total = Int64(multipart.closing.readableBytes)
            for part in multipart.parts { total += Int64(part.header.readableBytes) + part.range.count64 }
            precondition(total == multipart.contentLength, "multipart Content-Length is wrong for \(value)")
        }
    }

    _ = ContentCoding(token: Substring(value))
}

/// A whole field section, as request and as response.
func fieldSection(_ headers: HTTPHeaders) {
    let etag = headers.first(name: "etag").flatMap { EntityTag(parsing: $0) }
    let lastModified = headers.first(name: "last-modified").flatMap { HTTPDate.parse($0) }

    // Vary and the keys: U+001F separates the key's parts and can't be forged from a value.
    let vary = CacheVary.fields(headers)
    if let vary {
        precondition(vary == Array(Set(vary)).sorted(), "Vary fields not sorted and unique")
        let key = CacheVary.variantKey(fields: vary, request: headers)
        precondition(key == CacheVary.variantKey(fields: vary, request: headers), "variant key not deterministic")
        precondition(key.utf8.filter { $0 == 0x1F }.count == max(0, vary.count - 1), "a forged separator in variant key \(key)")
    }
    let keyOptions = CacheKeyOptions(query: .sort, headers: ["accept-language", "x-variant"], cookies: ["session", "lang"])
    let key = CacheKey.primary(
        scheme: "http", host: "example.com", path: "/p", query: "b=1&a=2", requestHeaders: headers,
        options: keyOptions, partition: "route"
    )
    precondition(key.utf8.filter { $0 == 0x1F }.count == 5, "a forged separator in cache key \(key)")

    // Content codings.
    let accept = AcceptEncoding(headers)
    for coding in ContentCoding.allCases {
        let q = accept.quality(of: coding)
        precondition(q >= 0 && q <= 1, "quality \(q) out of range")
    }
    if let chosen = accept.choose(available: [.gzip, .identity]) {
        precondition(chosen == .gzip || chosen == .identity, "chose an unavailable coding")
    }
    precondition(["br", "gzip", "identity"].contains(accept.variantToken), "unexpected variant token")
    _ = ContentCoding.applied(headers)
    _ = CompressionPolicy().shouldCompress(status: 200, responseHeaders: headers, method: .GET)

    // Preconditions.
    for method in [HTTPMethod.GET, .HEAD, .PUT] {
        _ = Conditionals.evaluate(method: method, headers: headers, etag: etag, lastModified: lastModified)
    }
    _ = Conditionals.ifRangeMatches(headers: headers, etag: etag, lastModified: lastModified, now: responseTime / 1000)

    // Hop-by-hop fields never survive.
    var stripped = headers
    ProxyHeaders.stripHopByHop(&stripped)
    for name in ProxyHeaders.hopByHopFields {
        precondition(!stripped.contains(name: name), "hop-by-hop \(name) kept")
    }
    _ = ProxyHeaders.isKeepAlive(headers, version: .http1_1)
    var forwarded = headers
    ProxyHeaders.prepareRequest(&forwarded, version: .http1_1, forwarding: ForwardingContext(peerAddress: "192.0.2.1", peerIsTrusted: false))

    // Storing, freshness, reuse, validation, invalidation.
    for options in policyOptions {
        _ = CachePolicy.responseDirectives(headers, options: options)
        let storable = CachePolicy.headersForStorage(headers, options: options)
        for name in ProxyHeaders.hopByHopFields {
            precondition(!storable.contains(name: name), "hop-by-hop \(name) stored")
        }
        _ = CachePolicy.requestBypassReason(method: .GET, requestHeaders: headers, options: options)
        for status in [200, 206, 304, 404, 500] {
            _ = CachePolicy.storability(method: .GET, requestHeaders: headers, status: status, responseHeaders: headers, options: options)
        }
        let stored = StoredResponse(status: 200, headers: headers, requestTime: responseTime - 50, responseTime: responseTime)
        for elapsed: Int64 in [0, 1_500, 86_400_000 * 400] {
            let now = responseTime + elapsed
            let freshness = CachePolicy.freshness(of: stored, now: now, options: options)
            precondition(freshness.currentAge >= 0, "negative age \(freshness.currentAge)")
            let age = CachePolicy.ageHeaderValue(freshness)
            precondition(!age.isEmpty && age.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }, "Age value \(age)")
            _ = CachePolicy.reuse(request: headers, method: .GET, stored: stored, now: now, options: options)
            _ = CachePolicy.staleIfErrorAllowed(stored: stored, request: headers, failure: .status(503), now: now, options: options)
        }
        var revalidation = headers
        CachePolicy.applyValidation(to: &revalidation, for: stored)
        _ = CachePolicy.notModifiedSelects(headers, stored: stored)
        _ = CachePolicy.merge(notModified: headers, into: stored, requestTime: responseTime + 10, responseTime: responseTime + 20, options: options)
    }
    for target in CachePolicy.invalidationTargets(
        method: .POST, status: 201, requestPath: "/a/b", requestQuery: "q=1", requestHost: "example.com", responseHeaders: headers
    ) {
        precondition(target.hasPrefix("/"), "invalidation target \(target) is not a path")
    }
}

func isTchar(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

extension ClosedRange<Int64> {
    var count64: Int64 { self.upperBound - self.lowerBound + 1 }
}
