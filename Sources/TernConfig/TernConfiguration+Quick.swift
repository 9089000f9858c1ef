import Foundation
import TernCore
import TernLimits

extension TernConfiguration {
    /// The file name used in errors about command-line flags.
    public static let commandLineFileName = "<command line>"

    /// Builds a configuration from `tern serve` flags without a file.
    ///
    /// - `listen`: `host:port` (`--listen`).
    /// - `origins`: URLs (`--origin`, repeatable) forming one `round_robin` pool named `default`, routed at `/`.
    /// - `routes`: `/prefix=URL` (`--route`, repeatable); the n-th makes pool `route<n>` with that one member and
    ///   a route for the prefix. Without `--origin`, requests matching no `--route` get no route.
    /// - `memory`: memory tier size (`--memory`, default 256MiB). Quick mode always caches; `--memory 0` without
    ///   `--cache-dir` turns caching off.
    /// - `cacheDir`: directory of the disk tier (`--cache-dir`); without it the cache is memory only. A relative
    ///   directory is resolved against the working directory.
    /// - `disk`: disk tier size (`--disk`, default 4GiB); needs `--cache-dir`.
    /// - `admin`: address of the admin listener (`--admin 127.0.0.1:9090`); the bearer token comes from the
    ///   environment variable `TERN_ADMIN_TOKEN`, clients from loopback only. Without it there is no admin listener.
    /// - `waf`: the WAF mode (`--waf on|detection-only|detection_only|off`); every other WAF setting takes its
    ///   default. Without it the WAF is off.
    /// - `rateLimit`: a rate such as `100r/s:200` (`--rate-limit`); creates a policy named `default` keyed by
    ///   client identity and applies it to every route. Without it there is no rate limit.
    ///
    /// Errors use file `<command line>`, line 0 and as column the argument's position: 1 for `listen`,
    /// then 2, 3, … for each origin in order, then each route, then `--memory`, `--cache-dir`, `--disk`,
    /// `--admin`, `--waf` and `--rate-limit` (in that order, one column each whether given or not).
    public static func quick(
        listen: String,
        origins: [String],
        routes: [String],
        memory: String? = nil,
        cacheDir: String? = nil,
        disk: String? = nil,
        admin: String? = nil,
        waf: String? = nil,
        rateLimit: String? = nil
    ) throws(ConfigErrors) -> TernConfiguration {
        var errors: [ConfigError] = []
        func fail(_ column: Int, _ message: String, _ hint: String? = nil) {
            errors.append(
                ConfigError(file: commandLineFileName, line: 0, column: column, message: message, hint: hint)
            )
        }

        var listeners: [ListenerConfig] = []
        if let address = HostPort.parse(listen) {
            listeners.append(ListenerConfig(address: address))
        } else {
            let (message, hint) = ConfigDecoder.explainBadAddress(listen)
            fail(1, "--listen: \(message)", hint)
        }

        var pools: [OriginPoolConfig] = []
        var routeConfigs: [RouteConfig] = []
        if origins.isEmpty, routes.isEmpty {
            fail(0, "at least one --origin or --route is required",
                 "e.g. --origin http://127.0.0.1:9000, or --route /api=http://127.0.0.1:9001")
        }

        var members: [MemberConfig] = []
        for (offset, text) in origins.enumerated() {
            let column = 2 + offset
            guard let url = OriginURL.parse(text) else {
                fail(column, "--origin: invalid origin URL '\(text)'", ConfigDecoder.explainBadURL(text))
                continue
            }
            if members.contains(where: { $0.url == url }) {
                fail(column, "--origin: duplicate origin \(url)", "list each origin once")
                continue
            }
            members.append(MemberConfig(url: url))
        }
        if !members.isEmpty {
            pools.append(OriginPoolConfig(name: "default", kind: .http(HTTPPoolConfig(members: members))))
            routeConfigs.append(RouteConfig(pathPrefix: "/", origin: "default"))
        }

        for (offset, text) in routes.enumerated() {
            let column = 2 + origins.count + offset
            let name = "route\(offset + 1)"
            guard let equals = text.firstIndex(of: "=") else {
                fail(column, "--route: expected /prefix=URL, got '\(text)'", "e.g. --route /api=http://127.0.0.1:9001")
                continue
            }
            let prefix = String(text[..<equals])
            let urlText = String(text[text.index(after: equals)...])
            guard prefix.hasPrefix("/"), !prefix.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) else {
                fail(column, "--route: the path prefix must start with '/', got '\(prefix)'",
                     "e.g. --route /api=http://127.0.0.1:9001")
                continue
            }
            guard let url = OriginURL.parse(urlText) else {
                fail(column, "--route: invalid origin URL '\(urlText)'", ConfigDecoder.explainBadURL(urlText))
                continue
            }
            if routeConfigs.contains(where: { $0.pathPrefix == prefix }) {
                fail(column, "--route: duplicate route for path \(prefix)",
                     prefix == "/" ? "--origin already routes '/'; drop one of them" : "list each prefix once")
                continue
            }
            pools.append(OriginPoolConfig(name: name, kind: .http(HTTPPoolConfig(members: [MemberConfig(url: url)]))))
            routeConfigs.append(RouteConfig(pathPrefix: prefix, origin: name))
        }

        let memoryColumn = 2 + origins.count + routes.count
        var cache = CacheConfig.default
        if let memory {
            if let size = quickSize(memory, flag: "--memory", positive: false, column: memoryColumn, fail: fail) {
                cache.memory = size
                cache.memoryMaxObjectSize = CacheConfig.defaultMemoryMaxObjectSize(
                    memory: size, maxObjectSize: cache.maxObjectSize
                )
            }
        }
        var cachePath: String?
        if let cacheDir {
            let column = memoryColumn + 1
            if cacheDir.isEmpty || cacheDir.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                fail(column, "--cache-dir: expected a directory, got '\(cacheDir)'", "e.g. --cache-dir /var/cache/tern")
            } else if cacheDir.hasPrefix("~") {
                fail(column, "--cache-dir: '~' is not expanded",
                     "use an absolute path, or one relative to the working directory")
            } else {
                cachePath = PathResolution.resolve(cacheDir, against: FileManager.default.currentDirectoryPath)
            }
        }
        let diskColumn = memoryColumn + 2
        var diskSize = DiskCacheConfig.defaultSize
        if let disk {
            if cacheDir == nil {
                fail(diskColumn, "--disk needs --cache-dir",
                     "add e.g. --cache-dir /var/cache/tern, or drop --disk for a memory-only cache")
            } else if let size = quickSize(disk, flag: "--disk", positive: true, column: diskColumn, fail: fail) {
                diskSize = size
            }
        }
        if let cachePath {
            cache.disk = DiskCacheConfig(path: cachePath, size: diskSize)
        }
        if cache.memory.bytes == 0, cacheDir == nil {
            cache.enabled = false
        }

        var adminConfig: AdminConfig?
        if let admin {
            let column = diskColumn + 1
            if let address = HostPort.parse(admin) {
                if address.port != 0, listeners.contains(where: { $0.address == address }) {
                    fail(column, "--admin: \(address) is also the --listen address",
                         "the admin listener needs its own port, e.g. --admin 127.0.0.1:9090")
                } else {
                    adminConfig = AdminConfig(listen: address)
                }
            } else {
                let (message, hint) = ConfigDecoder.explainBadAddress(admin)
                fail(column, "--admin: \(message)", hint)
            }
        }

        var wafConfig = WAFConfig.default
        if let waf {
            let column = diskColumn + 2
            let modes = ["on": WAFModeConfig.on, "detection-only": .detectionOnly, "detection_only": .detectionOnly, "off": .off]
            if let mode = modes[waf] {
                wafConfig.mode = mode
            } else {
                fail(column, "--waf: unknown mode '\(waf)'",
                     Suggestions.hint(for: waf, candidates: ["on", "detection-only", "off"], noun: "modes"))
            }
        }

        var policies: [RateLimitPolicyConfig] = []
        if let rateLimit {
            let column = diskColumn + 3
            do {
                let limit = try RateLimit.parse(rateLimit)
                policies.append(
                    RateLimitPolicyConfig(
                        name: "default", rate: limit.rate, burst: limit.burst, windowSeconds: limit.windowSeconds,
                        key: .client
                    )
                )
                for index in routeConfigs.indices {
                    routeConfigs[index].rateLimits = ["default"]
                }
            } catch {
                fail(column, "--rate-limit: invalid rate '\(rateLimit)'", ConfigDecoder.rateHint(error))
            }
        }

        if !errors.isEmpty {
            throw ConfigErrors(errors: errors)
        }
        return TernConfiguration(
            listeners: listeners, origins: pools, routes: routeConfigs, cache: cache, admin: adminConfig,
            waf: wafConfig, rateLimits: policies
        )
    }

    /// Parses a size flag such as `--memory 256MiB`, reporting a problem against `flag` at `column`.
    private static func quickSize(
        _ text: String, flag: String, positive: Bool, column: Int, fail: (Int, String, String?) -> Void
    ) -> ByteCount? {
        let hint = "expected a size such as 256MiB, 4GiB or 512m; KiB/MiB/GiB/TiB and k/m/g are 1024-based, KB/MB/GB 1000-based"
        if text.trimmingSpaces.hasPrefix("-") {
            fail(column, "\(flag): must not be negative, got '\(text)'", hint)
            return nil
        }
        guard let value = ByteCount.parse(text) else {
            fail(column, "\(flag): invalid size '\(text)'", hint)
            return nil
        }
        if positive, value.bytes == 0 {
            fail(column, "\(flag): must be greater than 0", "e.g. \(flag) 4GiB")
            return nil
        }
        return value
    }
}
