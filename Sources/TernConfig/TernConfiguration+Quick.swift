import TernCore

extension TernConfiguration {
    /// The file name used in errors about command-line flags.
    public static let commandLineFileName = "<command line>"

    /// Builds a configuration from `tern serve` flags without a file.
    ///
    /// - `listen`: `host:port` (`--listen`).
    /// - `origins`: URLs (`--origin`, repeatable) forming one `round_robin` pool named `default`, routed at `/`.
    /// - `routes`: `/prefix=URL` (`--route`, repeatable); the n-th makes pool `route<n>` with that one member and
    ///   a route for the prefix. Without `--origin`, requests matching no `--route` get no route.
    ///
    /// Errors use file `<command line>`, line 0 and as column the argument's position: 1 for `listen`,
    /// then 2, 3, … for each origin in order, then each route.
    public static func quick(listen: String, origins: [String], routes: [String]) throws(ConfigErrors)
        -> TernConfiguration
    {
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

        if !errors.isEmpty {
            throw ConfigErrors(errors: errors)
        }
        return TernConfiguration(listeners: listeners, origins: pools, routes: routeConfigs)
    }
}
