import TernCore
import Yams

extension ConfigDecoder {
    static let cacheKeys = [
        "enabled", "memory", "memory_max_object", "max_object_size", "disk", "admission", "heuristic_fraction",
        "heuristic_max_ttl", "lock_timeout", "max_waiters", "hit_for_miss", "max_variants",
    ] + cacheTagKeys
    /// Request-coalescing keys: valid in the top-level `cache` only, so a route's `cache` explains where they go.
    static let coalescingKeys = ["lock_timeout", "max_waiters", "hit_for_miss"]
    static let coalescingKeysOnARoute: [String: (message: String, hint: String?)] = Dictionary(
        uniqueKeysWithValues: coalescingKeys.map { key in
            (key, (message: "\(key) is not a route setting", hint: "move it to the top-level cache: section"))
        }
    )
    /// Longest `cache.lock_timeout`.
    static let maxLockTimeout = Duration.seconds(600)
    /// Allowed `cache.max_waiters`.
    static let maxWaitersRange = 1...1_000_000
    /// Allowed `cache.max_variants`.
    static let maxVariantsRange = 1...4096
    /// Longest `cache.hit_for_miss`.
    static let maxHitForMiss = Duration.seconds(3_600)
    static let diskCacheKeys = ["path", "size", "map_size", "on_damage"]
    static let routeCacheKeys = ["bypass", "key", "force_ttl", "min_ttl", "negative_ttl", "cache_set_cookie"]
    static let cacheKeyKeys = ["query", "headers", "cookies"]
    static let queryModes = ["keep", "sort", "drop"]
    static let queryListModes = ["allow", "deny"]

    // MARK: Top-level cache

    mutating func decodeCache(_ entry: Entry) -> CacheConfig {
        var cache = CacheConfig()
        guard
            let fields = self.fields(
                entry.value, path: entry.path, allowed: ConfigDecoder.cacheKeys,
                what: "cache: {memory: 256MiB}, or cache: {enabled: false} to turn caching off"
            )
        else { return cache }
        if let e = fields["enabled"], let value = self.bool(e) {
            cache.enabled = value
        }
        if let e = fields["max_variants"], let value = self.int(e, range: ConfigDecoder.maxVariantsRange) {
            cache.maxVariants = value
        }
        if let e = fields["memory"], let value = self.byteCount(e, positive: false) {
            cache.memory = value
        }
        if let e = fields["max_object_size"], let value = self.byteCount(e, positive: true) {
            cache.maxObjectSize = value
        }
        let memoryMaxEntry = fields["memory_max_object"]
        cache.memoryMaxObjectSize = CacheConfig.defaultMemoryMaxObjectSize(
            memory: cache.memory, maxObjectSize: cache.maxObjectSize
        )
        if let e = memoryMaxEntry, let value = self.byteCount(e, positive: true) {
            cache.memoryMaxObjectSize = value
            if cache.memory.bytes > 0, value > cache.memory {
                self.report(
                    e.value.mark,
                    "\(entry.path): memory_max_object (\(value)) is larger than memory (\(cache.memory))",
                    hint: "an object must fit in the memory tier; lower memory_max_object or raise memory"
                )
            } else if cache.memory.bytes > 0, value > cache.maxObjectSize {
                self.report(
                    e.value.mark,
                    "\(entry.path): memory_max_object (\(value)) is larger than max_object_size (\(cache.maxObjectSize))",
                    hint: "responses above max_object_size are never cached; lower memory_max_object or raise max_object_size"
                )
            }
        }
        if let e = fields["disk"] {
            cache.disk = self.decodeDiskCache(e)
        }
        let admissionEntry = fields["admission"]
        if let e = admissionEntry,
            let text = self.choice(e, CacheConfig.Admission.allCases.map(\.rawValue), noun: "admission policy"),
            let value = CacheConfig.Admission(rawValue: text)
        {
            cache.admission = value
            if value == .diskFirst, fields["disk"] == nil {
                self.report(
                    e.value.mark,
                    "\(e.path): disk_first needs a disk tier",
                    hint: "add cache.disk: {path: …}, or use admission: both"
                )
            }
        }
        if let e = fields["heuristic_fraction"], let value = self.fraction(e) {
            cache.heuristicFraction = value
        }
        if let e = fields["heuristic_max_ttl"], let value = self.duration(e, positive: false) {
            cache.heuristicMaxTTL = value
        }
        if let e = fields["lock_timeout"],
            let value = self.duration(
                e, positive: true, maximum: ConfigDecoder.maxLockTimeout,
                maximumHint: "after lock_timeout a waiting request fetches on its own; e.g. 10s"
            )
        {
            cache.lockTimeout = value
        }
        if let e = fields["max_waiters"],
            let value = self.int(
                e, range: ConfigDecoder.maxWaitersRange,
                example: "requests beyond max_waiters fetch on their own; e.g. max_waiters: 10000"
            )
        {
            cache.maxWaiters = value
        }
        if let e = fields["hit_for_miss"],
            let value = self.duration(
                e, positive: false, maximum: ConfigDecoder.maxHitForMiss,
                maximumHint: "e.g. 30s; 0s turns hit-for-miss off"
            )
        {
            cache.hitForMiss = value
        }
        self.decodeCacheTags(fields, into: &cache)
        if cache.enabled, cache.memory.bytes == 0, fields["disk"] == nil, let e = fields["memory"] {
            self.report(
                e.value.mark,
                "\(entry.path): memory is 0 and there is no disk tier, so nothing could be cached",
                hint: "add cache.disk: {path: …}, or write enabled: false to turn caching off"
            )
        }
        return cache
    }

    mutating func decodeDiskCache(_ entry: Entry) -> DiskCacheConfig? {
        guard
            let fields = self.fields(
                entry.value, path: entry.path, allowed: ConfigDecoder.diskCacheKeys,
                what: "disk: {path: cache, size: 4GiB}"
            )
        else { return nil }
        var disk = DiskCacheConfig(path: "")
        var valid = true
        if let e = fields["path"] {
            if let path = self.filePath(e) { disk.path = path } else { valid = false }
        } else {
            self.missing("path", in: fields, ownerMark: entry.keyMark, example: "path: cache (a directory, relative to this file)")
            valid = false
        }
        if let e = fields["size"], let value = self.byteCount(e, positive: true) {
            disk.size = value
        }
        if let e = fields["map_size"], let value = self.byteCount(e, positive: true) {
            disk.mapSize = value
            if value < disk.size {
                self.report(
                    e.value.mark,
                    "\(entry.path): map_size (\(value)) is smaller than size (\(disk.size))",
                    hint: "the memory map must hold the whole disk tier; raise map_size or remove it"
                )
            }
        }
        if let e = fields["on_damage"] {
            if let value = self.choice(e, DiskCacheConfig.DamagePolicy.allCases.map(\.rawValue), noun: "on_damage policy") {
                disk.onDamage = DiskCacheConfig.DamagePolicy(rawValue: value) ?? .reset
            } else {
                valid = false
            }
        }
        return valid ? disk : nil
    }

    /// A plain decimal number within 0...1, such as `0.1`.
    mutating func fraction(_ entry: Entry) -> Double? {
        guard let text = self.string(entry, expected: "a number between 0 and 1") else { return nil }
        let trimmed = String(text.trimmingSpaces)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        let isDecimal = (1...2).contains(parts.count) && !parts[0].isEmpty
            && parts.allSatisfy { $0.allSatisfy(\.isASCIIDigit) } && (parts.count == 1 || !parts[1].isEmpty)
        guard isDecimal, let value = Double(trimmed) else {
            self.report(
                entry.value.mark, "\(entry.path): expected a number between 0 and 1, got '\(text)'",
                hint: trimmed.hasSuffix("%") ? "write a fraction: 0.1 means 10%" : "write e.g. 0.1"
            )
            return nil
        }
        guard value <= 1 else {
            self.report(entry.value.mark, "\(entry.path): must be in 0...1, got \(trimmed)",
                        hint: "it is a fraction: 0.1 means 10% of the time since Last-Modified")
            return nil
        }
        return value
    }

    // MARK: Route cache

    mutating func decodeRouteCache(_ entry: Entry) -> RouteCacheConfig {
        var cache = RouteCacheConfig()
        guard
            let fields = self.fields(
                entry.value, path: entry.path, allowed: ConfigDecoder.routeCacheKeys,
                misplaced: ConfigDecoder.coalescingKeysOnARoute,
                what: "cache: {force_ttl: 5m}, or cache: {bypass: true} to never cache this route"
            )
        else { return cache }
        if let e = fields["bypass"], let value = self.bool(e) {
            cache.bypass = value
        }
        if cache.bypass {
            // Everything else describes how to cache; on a bypassed route it would silently do nothing.
            for key in ConfigDecoder.routeCacheKeys where key != "bypass" {
                guard let e = fields[key] else { continue }
                self.report(
                    e.keyMark,
                    "\(e.path): \(key) has no effect on a bypassed route",
                    hint: "remove \(key), or remove bypass: true to cache this route"
                )
            }
            return cache
        }
        if let e = fields["key"] {
            cache.key = self.decodeCacheKey(e)
        }
        let forceEntry = fields["force_ttl"]
        let minEntry = fields["min_ttl"]
        if let e = forceEntry, let value = self.duration(e, positive: false) { cache.forceTTL = value }
        if let e = minEntry, let value = self.duration(e, positive: false) { cache.minTTL = value }
        if let e = fields["negative_ttl"], let value = self.duration(e, positive: false) { cache.negativeTTL = value }
        if let force = cache.forceTTL, let minimum = cache.minTTL, minimum > force {
            self.report(
                minEntry?.value.mark,
                "\(entry.path): min_ttl (\(formatDuration(minimum))) is longer than force_ttl (\(formatDuration(force)))",
                hint: "force_ttl already fixes the lifetime; remove min_ttl or raise force_ttl"
            )
        }
        if let e = fields["cache_set_cookie"], let value = self.bool(e) {
            cache.cacheSetCookie = value
        }
        return cache
    }

    mutating func decodeCacheKey(_ entry: Entry) -> CacheKeyConfig {
        var key = CacheKeyConfig()
        guard
            let fields = self.fields(
                entry.value, path: entry.path, allowed: ConfigDecoder.cacheKeyKeys,
                what: "key: {query: sort, headers: [accept-language], cookies: [lang]}"
            )
        else { return key }
        if let e = fields["query"], let query = self.decodeQueryMode(e) {
            key.query = query
        }
        if let e = fields["headers"], let names = self.headerNames(e, example: "headers: [accept-language, x-device]") {
            key.headers = names
        }
        if let e = fields["cookies"], let items = self.list(e, scalarIsList: true, example: "cookies: [lang, currency]") {
            var names: [String] = []
            for (node, path) in items {
                guard let text = self.cleanString(.item(node, path: path), expected: "a cookie name") else { continue }
                guard HTTPSyntax.isToken(text) else {
                    self.report(node.mark, "\(path): '\(text)' is not a valid cookie name",
                                hint: "cookie names are tokens such as session_lang, see RFC 6265 §4.1.1")
                    continue
                }
                if !names.contains(text) { names.append(text) }
            }
            key.cookies = names
        }
        return key
    }

    /// A list of header field names (a single name is a list of one): lower-cased, without duplicates.
    /// Names that are not tokens are reported and left out; `nil` when the value is not a list.
    mutating func headerNames(_ entry: Entry, example: String) -> [String]? {
        guard let items = self.list(entry, scalarIsList: true, example: example) else { return nil }
        var names: [String] = []
        for (node, path) in items {
            guard let text = self.cleanString(.item(node, path: path), expected: "a header name") else { continue }
            guard HTTPSyntax.isToken(text) else {
                self.report(node.mark, "\(path): '\(text)' is not a valid header name",
                            hint: "header names are tokens such as accept-language, see RFC 9110 §5.1")
                continue
            }
            let lowered = text.lowercased()
            if !names.contains(lowered) { names.append(lowered) }
        }
        return names
    }

    /// `keep`, `sort`, `drop`, `{allow: [names]}` or `{deny: [names]}`.
    mutating func decodeQueryMode(_ entry: Entry) -> CacheKeyConfig.Query? {
        let valid = "keep, sort, drop, {allow: [name, …]}, {deny: [name, …]}"
        switch entry.value {
        case .scalar where !ConfigDecoder.isNull(entry.value):
            guard let text = self.string(entry) else { return nil }
            switch text {
            case "keep": return .keep
            case "sort": return .sort
            case "drop": return .drop
            case "allow", "deny":
                self.report(entry.value.mark, "\(entry.path): '\(text)' needs a list of parameter names",
                            hint: "write query: {\(text): [name, …]}")
                return nil
            default:
                var hint = "valid modes: \(valid)"
                if let suggestion = Suggestions.closest(
                    to: text, in: ConfigDecoder.queryModes + ConfigDecoder.queryListModes)
                {
                    hint = "did you mean '\(suggestion)'? " + hint
                }
                self.report(entry.value.mark, "\(entry.path): unknown query mode '\(text)'", hint: hint)
                return nil
            }
        case .mapping:
            guard
                let fields = self.fields(entry.value, path: entry.path, allowed: ConfigDecoder.queryListModes)
            else { return nil }
            switch (fields["allow"], fields["deny"]) {
            case (let allow?, let deny?):
                let later = ConfigDecoder.isBefore(allow.keyMark, deny.keyMark) ? deny : allow
                self.report(
                    later.keyMark,
                    "\(entry.path): allow and deny cannot be used together",
                    hint: "allow keeps only the listed parameters, deny drops the listed ones; choose one"
                )
                return nil
            case (let allow?, nil):
                return self.parameterNames(allow).map { .allow($0) }
            case (nil, let deny?):
                return self.parameterNames(deny).map { .deny($0) }
            case (nil, nil):
                // A mapping with only unknown keys has been reported already.
                if case .mapping(let mapping) = entry.value, mapping.isEmpty {
                    self.report(entry.value.mark, "\(entry.path): expected allow or deny", hint: "valid modes: \(valid)")
                }
                return nil
            }
        default:
            self.report(
                entry.value.mark ?? entry.keyMark,
                "\(entry.path): expected a query mode, got \(ConfigDecoder.describe(entry.value))",
                hint: "valid modes: \(valid)"
            )
            return nil
        }
    }

    /// A non-empty list of query parameter names (case-sensitive, without duplicates).
    mutating func parameterNames(_ entry: Entry) -> [String]? {
        guard let items = self.list(entry, scalarIsList: true, example: "\(entry.key): [id, page]") else { return nil }
        if items.isEmpty {
            self.report(
                entry.value.mark ?? entry.keyMark, "\(entry.path): list at least one parameter name",
                hint: entry.key == "allow" ? "query: drop leaves every parameter out of the key" : "query: keep keeps every parameter"
            )
            return nil
        }
        var names: [String] = []
        var valid = true
        for (node, path) in items {
            guard let text = self.cleanString(.item(node, path: path), expected: "a parameter name") else {
                valid = false
                continue
            }
            if text.contains(where: { "&=#? ".contains($0) }) {
                self.report(node.mark, "\(path): '\(text)' is not a query parameter name",
                            hint: "write just the name, e.g. utm_source for ?utm_source=…")
                valid = false
                continue
            }
            if !names.contains(text) { names.append(text) }
        }
        return valid ? names : nil
    }

    /// Whether `a` comes before `b` in the file.
    static func isBefore(_ a: Mark?, _ b: Mark?) -> Bool {
        ((a?.line ?? 0), (a?.column ?? 0)) < ((b?.line ?? 0), (b?.column ?? 0))
    }
}
