import Atomics
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import TernConfig
import TernCore
import TernLimits
import TernWAF

/// Per-route security settings, derived once from configuration.
struct RouteSecurity: Sendable {
    var access: AccessList?
    var rateLimits: [RateLimitPolicy]
    var wafMode: WAFMode
    var wafRuleSet: Int
}

/// One named rate-limit policy as the data plane applies it.
struct RateLimitPolicy: Sendable {
    enum Key: Sendable { case client(ipv6Prefix: Int), route(Int), header(String) }
    var name: String
    var limit: RateLimit
    var key: Key
}

/// The request filters that run before routing to an origin: client identity, IP access lists,
/// GCRA rate limits and the ModSecurity WAF (Docs/security.md). Shared by all event loops.
public final class SecurityGate: Sendable {
    let trusted: [IPAddressRange]
    let globalAccess: AccessList?
    let listenerAccess: [AccessList?]
    let routes: [RouteSecurity]
    let rateLimiter = RateLimiterTable(maximumKeys: 100_000)
    public let waf: WAFEngine?
    private let wafExclusionSets: [WAFRuleExclusions]
    let connections = ConnectionCounter()
    let maxConnectionsPerClient: Int
    /// The WAF mode for requests no route claims (refused before routing): `waf.mode`.
    let defaultWAFMode: WAFMode

    // Counters for the stats surface.
    public let aclDenials = ManagedAtomic<Int>(0)
    public let wafDetections = ManagedAtomic<Int>(0)
    private let wafBlocks = NIOLockedValueBox<[String: Int]>([:])
    private let rateLimited = NIOLockedValueBox<[String: Int]>([:])
    private let recentBlocks = NIOLockedValueBox<[(Date, String, String)]>([])

    var isActive: Bool {
        self.globalAccess != nil || self.listenerAccess.contains { $0 != nil } || self.routes.contains { route in
            route.access != nil || !route.rateLimits.isEmpty || route.wafMode != .off
        }
    }

    /// Builds the gate; compiles the WAF rule sets (tens of ms each: call off the event loops).
    public init(configuration: TernConfiguration) throws {
        self.trusted = configuration.proxy.trustedProxies
        self.globalAccess = configuration.access.map { AccessList(allow: $0.allow, deny: $0.deny) }
        self.listenerAccess = configuration.listeners.map { listener in listener.access.map { AccessList(allow: $0.allow, deny: $0.deny) } }
        self.maxConnectionsPerClient = configuration.limits.maxConnectionsPerClient
        self.defaultWAFMode = Self.mode(configuration.waf.mode)
        let policies = Dictionary(uniqueKeysWithValues: configuration.rateLimits.map { ($0.name, $0) })

        let (exclusionSets, ruleSetOfRoute) = Self.wafRuleSets(configuration)
        var routes: [RouteSecurity] = []
        for (index, route) in configuration.routes.enumerated() {
            let mode = Self.mode(route.waf.mode ?? configuration.waf.mode)
            let ruleSet = ruleSetOfRoute[index]
            let limits: [RateLimitPolicy] = route.rateLimits.compactMap { name in
                guard let policy = policies[name] else { return nil }
                let key: RateLimitPolicy.Key
                switch policy.key {
                case .client: key = .client(ipv6Prefix: policy.ipv6Prefix)
                case .route: key = .route(index)
                case .header(let header): key = .header(header)
                }
                return RateLimitPolicy(name: name, limit: RateLimit(rate: policy.rate, burst: policy.burst, windowSeconds: policy.windowSeconds), key: key)
            }
            routes.append(RouteSecurity(
                access: route.access.map { AccessList(allow: $0.allow, deny: $0.deny) },
                rateLimits: limits, wafMode: mode, wafRuleSet: ruleSet
            ))
        }
        self.routes = routes
        self.wafExclusionSets = exclusionSets
        if routes.contains(where: { $0.wafMode != .off }) {
            self.waf = try WAFEngine(settings: Self.wafSettings(configuration.waf), exclusionSets: exclusionSets)
        } else {
            self.waf = nil
        }
    }

    /// Compiles the WAF rule sets a configuration would use, without starting threads or opening the
    /// audit log (`tern check-config`): throws the engine's error for a bad `waf.config_dir` template
    /// or exclusion. Does nothing when no route uses the WAF.
    public static func checkWAFRules(_ configuration: TernConfiguration) throws {
        let routesUseWAF = configuration.routes.contains { Self.mode($0.waf.mode ?? configuration.waf.mode) != .off }
        guard routesUseWAF else { return }
        try WAFEngine.checkRules(settings: Self.wafSettings(configuration.waf), exclusionSets: Self.wafRuleSets(configuration).sets)
    }

    /// The distinct exclusion sets (the first one empty) and each route's index into them.
    static func wafRuleSets(_ configuration: TernConfiguration) -> (sets: [WAFRuleExclusions], ruleSetOfRoute: [Int]) {
        var sets: [WAFRuleExclusions] = [WAFRuleExclusions()]
        var ruleSetOfRoute: [Int] = []
        for route in configuration.routes {
            let exclusions = WAFRuleExclusions(
                ruleIDs: route.waf.excludeRuleIDs,
                tags: route.waf.excludeTags,
                targets: route.waf.excludeArguments.map { .argument($0, tag: "OWASP_CRS") }
                    + route.waf.excludeHeaders.map { .header($0, tag: "OWASP_CRS") }
            )
            if let existing = sets.firstIndex(of: exclusions) {
                ruleSetOfRoute.append(existing)
            } else {
                sets.append(exclusions)
                ruleSetOfRoute.append(sets.count - 1)
            }
        }
        return (sets, ruleSetOfRoute)
    }

    static func wafSettings(_ waf: WAFConfig) -> WAFSettings {
        var settings = WAFSettings()
        settings.paranoiaLevel = waf.paranoiaLevel
        settings.inboundAnomalyThreshold = waf.inboundAnomalyThreshold
        settings.outboundAnomalyThreshold = waf.outboundAnomalyThreshold
        settings.requestBodyLimit = Int(waf.requestBodyLimit.bytes)
        settings.bodyLimitAction = waf.bodyLimitAction == .processPartial ? .processPartial : .reject
        if let threads = waf.threads { settings.threads = threads }
        settings.queueLimit = waf.queueLimit
        settings.overload = waf.overload == .failOpen ? .failOpen : .failClosed
        settings.auditLogPath = waf.auditLog
        settings.inspectResponseHeaders = waf.inspectResponseHeaders
        settings.configDirectory = waf.configDirectory
        return settings
    }

    /// Reloads the rule files (e.g. after a CRS update) with the same settings. A failed reload
    /// keeps the old rules and throws the engine's error.
    public func reloadWAF() throws {
        guard let waf = self.waf else { return }
        try waf.reload(settings: waf.settings, exclusionSets: self.wafExclusionSets)
    }

    static func mode(_ mode: WAFModeConfig) -> WAFMode {
        switch mode {
        case .on: return .on
        case .detectionOnly: return .detectionOnly
        case .off: return .off
        }
    }

    /// The client identity: the socket peer, or the right-most untrusted `X-Forwarded-For`
    /// address when the peer is a trusted proxy. ACL, rate limits, WAF and logs all use it.
    func identity(peer: IPAddress, headers: HTTPHeaders) -> IPAddress {
        guard !self.trusted.isEmpty else { return peer }
        return ClientIdentity.resolve(peer: peer, forwardedFor: headers["x-forwarded-for"], trusted: self.trusted)
    }

    func permits(_ client: IPAddress, listener: Int, route: Int) -> Bool {
        if let list = self.globalAccess, !list.permits(client) { return false }
        if let list = self.listenerAccess[safe: listener] ?? nil, !list.permits(client) { return false }
        if let list = self.routes[route].access, !list.permits(client) { return false }
        return true
    }

    /// The first policy that limits this request, with its decision (`nil` when all admit it).
    func rateLimit(route: Int, client: IPAddress, headers: HTTPHeaders, now: Int64) -> (RateLimitPolicy, GCRA.Decision)? {
        for policy in self.routes[route].rateLimits {
            let key: RateLimitKey
            switch policy.key {
            case .client(let prefix): key = RateLimitKey.forClient(client, ipv6Prefix: prefix)
            case .route(let index): key = RateLimitKey("route:\(index)")
            case .header(let name):
                guard let value = headers.first(name: name) else { continue }
                key = RateLimitKey("h:\(name):\(value)")
            }
            let decision = self.rateLimiter.check(key: RateLimitKey("\(policy.name)|\(key)"), limit: policy.limit, now: now)
            if !decision.isAllowed {
                self.rateLimited.withLockedValue { $0[policy.name, default: 0] += 1 }
                return (policy, decision)
            }
        }
        return nil
    }

    func recordWAF(_ verdict: WAFRequestVerdict, mode: WAFMode, uri: String) {
        switch verdict.action {
        case .deny, .redirect:
            let ids = self.countBlock(verdict.matches)
            self.recentBlocks.withLockedValue { events in
                events.insert((Date(), ids.first ?? "-", uri), at: 0)
                if events.count > 30 { events.removeLast(events.count - 30) }
            }
        case .pass:
            if mode == .detectionOnly, !verdict.matches.isEmpty { self.wafDetections.wrappingIncrement(ordering: .relaxed) }
        }
    }

    /// Phase 3 verdicts: blocks count by rule like request blocks.
    func recordWAFResponse(_ verdict: WAFResponseVerdict) {
        guard verdict.action != .pass else { return }
        self.countBlock(verdict.matches)
    }

    /// Counts a block under the rule that carried the intervention (else every matched rule);
    /// returns those rule ids.
    @discardableResult
    private func countBlock(_ matches: [WAFRuleMatch]) -> [String] {
        let rules = matches.filter(\.disruptive).map { String($0.id) }
        let ids = rules.isEmpty ? matches.map { String($0.id) } : rules
        self.wafBlocks.withLockedValue { blocks in
            for id in ids { blocks[id, default: 0] += 1 }
        }
        return ids
    }

    public var wafBlocksByRule: [String: Int] { self.wafBlocks.withLockedValue { $0 } }
    public var rateLimitRejections: [String: Int] { self.rateLimited.withLockedValue { $0 } }
    public var recentWAFBlocks: [(time: Date, ruleID: String, uri: String)] {
        self.recentBlocks.withLockedValue { $0.map { (time: $0.0, ruleID: $0.1, uri: $0.2) } }
    }
}

import struct Foundation.Date
