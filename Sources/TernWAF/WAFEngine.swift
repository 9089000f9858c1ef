import NIOConcurrencyHelpers
import NIOCore

/// ModSecurity v3 + OWASP CRS, run on dedicated WAF threads and completed on the caller's event loop.
///
/// One compiled rule set per exclusion set (``inspectRequest(_:ruleSet:mode:on:)``'s `ruleSet` is the index
/// into `exclusionSets`; by convention index 0 has no exclusions). Rules load once (~36 ms per set on
/// this machine, so `init` and `reload` must not run on an event loop) and are shared read-only by all
/// transactions; a transaction keeps the rule set it started with alive across a reload.
///
/// Flow per request (libmodsecurity connector sequence), intervention checked after every step:
/// ```
/// connection → URI+method+version → headers → phase 1 → body → phase 2 (always) → verdict
///   passed: [phase 3 response headers → (phase 4 body)] → logging → clean-up   (inspectResponse / finish)
///   denied: logging → clean-up at once
/// ```
public final class WAFEngine: Sendable {
    private struct State: Sendable {
        var settings: WAFSettings
        var ruleSets: [CompiledRuleSet]
        var audit: WAFAuditLog?
        /// Some loaded directive acts in phase 3 (``WAFPhaseScan``).
        var hasResponseHeaderRules: Bool
    }

    private let instance: ModSecurityInstance
    let pool: WAFWorkerPool
    private let state: NIOLockedValueBox<State>
    /// Serializes rule compilation (the engine's parser is not meant to run concurrently).
    private let loadLock = NIOLock()

    /// Compiles one rule set per exclusion set (an empty array compiles one set without exclusions) and
    /// starts `settings.threads` WAF threads. Throws the engine's parser error on bad rules.
    public init(settings: WAFSettings, exclusionSets: [WAFRuleExclusions]) throws {
        let instance = ModSecurityInstance()
        let (ruleSets, phase3) = try Self.compile(settings: settings, exclusionSets: exclusionSets)
        let audit = try settings.auditLogPath.map { try WAFAuditLog(path: $0) }
        self.instance = instance
        self.state = NIOLockedValueBox(State(settings: settings, ruleSets: ruleSets, audit: audit, hasResponseHeaderRules: phase3))
        self.pool = WAFWorkerPool(threads: settings.threads)
    }

    /// Compiles the rule sets and throws the engine's error, without starting threads or opening the
    /// audit log (configuration checks).
    public static func checkRules(settings: WAFSettings, exclusionSets: [WAFRuleExclusions]) throws {
        _ = try Self.compile(settings: settings, exclusionSets: exclusionSets)
    }

    /// Recompiles every rule set. On failure the old rules stay in service and the engine's error is thrown.
    /// `threads` is fixed at creation; everything else (including the audit log path) applies at once.
    public func reload(settings: WAFSettings, exclusionSets: [WAFRuleExclusions]) throws {
        let (ruleSets, phase3) = try self.loadLock.withLock { try Self.compile(settings: settings, exclusionSets: exclusionSets) }
        let currentAudit = self.state.withLockedValue { $0.audit }
        let audit: WAFAuditLog?
        if let path = settings.auditLogPath {
            audit = currentAudit?.path == path ? currentAudit : try WAFAuditLog(path: path)
        } else {
            audit = nil
        }
        self.state.withLockedValue { $0 = State(settings: settings, ruleSets: ruleSets, audit: audit, hasResponseHeaderRules: phase3) }
    }

    /// Number of compiled rule sets (valid `ruleSet` indices are `0..<ruleSetCount`).
    public var ruleSetCount: Int { self.state.withLockedValue { $0.ruleSets.count } }

    /// The settings in force.
    public var settings: WAFSettings { self.state.withLockedValue { $0.settings } }

    /// Whether responses are worth holding for phase 3: `inspectResponseHeaders` is set and some loaded
    /// directive acts in that phase (stock CRS 3.3.4 has none; see ``WAFPhaseScan``).
    public var runsResponseHeaderPhase: Bool {
        self.state.withLockedValue { $0.settings.inspectResponseHeaders && $0.hasResponseHeaderRules }
    }

    /// Stops the WAF threads after the queued work; call once at shutdown.
    public func shutdown() {
        self.pool.shutdown()
        self.state.withLockedValue { $0.audit }?.flush()
    }

    /// Waits until queued audit lines are written (tests and orderly shutdown).
    public func flushAuditLog() {
        self.state.withLockedValue { $0.audit }?.flush()
    }

    /// The compiled rule sets, and whether the first one's configuration (and what it includes) has a
    /// directive acting in phase 3 (``WAFPhaseScan``; only read when response headers are inspected).
    private static func compile(settings: WAFSettings, exclusionSets: [WAFRuleExclusions]) throws -> (ruleSets: [CompiledRuleSet], respondsInPhase3: Bool) {
        let configuration = WAFConfiguration(settings: settings)
        let sets = exclusionSets.isEmpty ? [WAFRuleExclusions.none] : exclusionSets
        var compiled: [WAFRuleExclusions: CompiledRuleSet] = [:]
        var result: [CompiledRuleSet] = []
        var phase3 = false
        for (index, exclusions) in sets.enumerated() {
            if let existing = compiled[exclusions] {
                result.append(existing)
                continue
            }
            let text = try configuration.render(exclusions: exclusions)
            if index == 0, settings.inspectResponseHeaders { phase3 = WAFPhaseScan.actsInResponseHeaderPhase(text) }
            let ruleSet = try CompiledRuleSet(configuration: text, exclusions: exclusions, index: index)
            compiled[exclusions] = ruleSet
            result.append(ruleSet)
        }
        return (result, phase3)
    }

    // MARK: - Requests

    /// Inspects a request on a WAF thread (never on `eventLoop`) and completes on `eventLoop`.
    ///
    /// Mode `off` completes at once with `.pass` / `.off`. In `detectionOnly` the action is always `.pass`
    /// and the would-be intervention is recorded (outcome `.detected`). When the queue is full the verdict
    /// is `.overloaded` with `.pass` (fail-open) or `.deny(503)` (fail-closed).
    ///
    /// With `keepTransaction: false` the logging phase and clean-up run in the same job right after
    /// phase 2 (the caller won't inspect the response), saving a second hop to the WAF threads.
    public func inspectRequest(
        _ request: WAFRequest,
        ruleSet: Int,
        mode: WAFMode,
        keepTransaction: Bool = true,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<WAFRequestVerdict> {
        if mode == .off {
            return eventLoop.makeSucceededFuture(WAFRequestVerdict(action: .pass, outcome: .off))
        }
        let (settings, ruleSets, audit) = self.state.withLockedValue { ($0.settings, $0.ruleSets, $0.audit) }
        guard ruleSets.indices.contains(ruleSet) else {
            let verdict = Self.unavailableVerdict(.error, settings: settings)
            audit?.write(Self.record(for: request, mode: mode, ruleSet: ruleSet, verdict: verdict))
            return eventLoop.makeSucceededFuture(verdict)
        }
        let compiled = ruleSets[ruleSet]
        let promise = eventLoop.makePromise(of: WAFRequestVerdict.self)
        let admitted = self.pool.trySubmit(queueLimit: settings.queueLimit) { [instance = self.instance] in
            var verdict = Self.process(
                request,
                instance: instance,
                ruleSet: compiled,
                index: ruleSet,
                mode: mode,
                settings: settings,
                audit: audit
            )
            if !keepTransaction, let transaction = verdict.transaction {
                transaction.close()
                verdict.transaction = nil
            }
            let result = verdict
            self.pool.deliver(on: eventLoop) { promise.succeed(result) }
        }
        guard admitted else {
            let verdict = Self.unavailableVerdict(.overloaded, settings: settings)
            audit?.write(Self.record(for: request, mode: mode, ruleSet: ruleSet, verdict: verdict))
            promise.succeed(verdict)
            return promise.futureResult
        }
        return promise.futureResult
    }

    /// Judges a request Tern's HTTP layer refused with `status` (its answer is already decided) so the
    /// audit log shows what the rules make of it: phases 1–2 and logging in detection-only mode on a WAF
    /// thread, fire and forget. Dropped when the queue is full: a refused request never costs more.
    public func auditRefused(_ request: WAFRequest, status: Int, ruleSet: Int, mode: WAFMode) {
        guard mode != .off else { return }
        let (settings, ruleSets, audit) = self.state.withLockedValue { ($0.settings, $0.ruleSets, $0.audit) }
        guard let audit, ruleSets.indices.contains(ruleSet) else { return }
        var refused = request
        refused.refusedStatus = status
        refused.body = nil
        let compiled = ruleSets[ruleSet]
        _ = self.pool.trySubmit(queueLimit: settings.queueLimit) { [instance = self.instance, request = refused] in
            let verdict = Self.process(request, instance: instance, ruleSet: compiled, index: ruleSet, mode: .detectionOnly, settings: settings, audit: audit)
            verdict.transaction?.close()
        }
    }

    /// Runs the whole request sequence synchronously on the current thread (WAF threads, tests, benchmarks).
    func inspectRequestSynchronously(_ request: WAFRequest, ruleSet: Int, mode: WAFMode) -> WAFRequestVerdict {
        let (settings, ruleSets, audit) = self.state.withLockedValue { ($0.settings, $0.ruleSets, $0.audit) }
        if mode == .off { return WAFRequestVerdict(action: .pass, outcome: .off) }
        guard ruleSets.indices.contains(ruleSet) else { return Self.unavailableVerdict(.error, settings: settings) }
        return Self.process(request, instance: self.instance, ruleSet: ruleSets[ruleSet], index: ruleSet, mode: mode, settings: settings, audit: audit)
    }

    private static func unavailableVerdict(_ outcome: WAFOutcome, settings: WAFSettings) -> WAFRequestVerdict {
        WAFRequestVerdict(action: settings.overload == .failOpen ? .pass : .deny(status: 503), outcome: outcome)
    }

    private static func record(for request: WAFRequest, mode: WAFMode, ruleSet: Int, verdict: WAFRequestVerdict) -> WAFAuditRecord {
        var status = 0
        switch verdict.action {
        case .pass: status = 0
        case .deny(let s): status = s
        case .redirect(let s, _): status = s
        }
        var outcome = verdict.outcome
        if let refused = request.refusedStatus {
            status = refused
            outcome = .refused
        }
        return WAFAuditRecord(
            requestID: request.requestID,
            testID: request.headers.first(where: { $0.0.lowercased() == "x-tern-test-id" })?.1,
            client: request.clientAddress,
            clientPort: request.clientPort,
            method: request.method,
            uri: request.uri,
            mode: mode,
            ruleSet: ruleSet,
            outcome: outcome,
            status: status,
            anomalyScore: verdict.anomalyScore,
            requestMatches: verdict.matches,
            responseMatches: []
        )
    }

    /// The connector sequence for one request. Runs on a WAF thread.
    private static func process(
        _ request: WAFRequest,
        instance: ModSecurityInstance,
        ruleSet: CompiledRuleSet,
        index: Int,
        mode: WAFMode,
        settings: WAFSettings,
        audit: WAFAuditLog?
    ) -> WAFRequestVerdict {
        if request.bodyTruncated, settings.bodyLimitAction == .reject, mode == .on {
            let verdict = WAFRequestVerdict(action: .deny(status: 413), outcome: .bodyTooLarge, anomalyScore: nil)
            audit?.write(Self.record(for: request, mode: mode, ruleSet: index, verdict: verdict))
            return verdict
        }
        let placeholder = WAFRequestVerdict(action: .pass, outcome: .clean)
        let transaction = WAFTransactionHandle(
            instance: instance,
            ruleSet: ruleSet,
            audit: audit,
            mode: mode,
            record: Self.record(for: request, mode: mode, ruleSet: index, verdict: placeholder)
        )
        var wouldBe: WAFTransactionHandle.Intervention?

        // Each step returns the intervention to enforce now (mode .on), if any.
        func checkpoint() -> WAFTransactionHandle.Intervention? {
            guard let intervention = transaction.intervention() else { return nil }
            if mode == .on { return intervention }
            if wouldBe == nil { wouldBe = intervention }
            return nil
        }

        var enforced: WAFTransactionHandle.Intervention?
        repeat {
            transaction.processConnection(
                client: request.clientAddress,
                clientPort: request.clientPort,
                server: request.serverAddress,
                serverPort: request.serverPort
            )
            if let i = checkpoint() { enforced = i; break }
            transaction.processURI(request.uri, method: request.method, version: Self.engineVersion(request.httpVersion))
            if let i = checkpoint() { enforced = i; break }
            for (name, value) in request.headers { transaction.addRequestHeader(name, value) }
            transaction.processRequestHeaders()
            if let i = checkpoint() { enforced = i; break }
            if let body = request.body, body.readableBytes > 0 { transaction.appendRequestBody(body) }
            if let i = checkpoint() { enforced = i; break }
            // Always: CRS takes its blocking decision (949110) here, also for body-less requests.
            transaction.processRequestBody()
            if let i = checkpoint() { enforced = i; break }
        } while false

        let collected = transaction.collector.drain()
        var anomalyScore = 0
        var matches: [WAFRuleMatch] = []
        matches.reserveCapacity(collected.count)
        for match in collected {
            if match.id == WAFConfiguration.anomalyScoreProbeID {
                anomalyScore = Int(match.data) ?? anomalyScore
                continue
            }
            if match.id == 949_110, let score = Self.totalScore(in: match.message) { anomalyScore = score }
            matches.append(match)
        }

        let verdict: WAFRequestVerdict
        if let enforced {
            let action = enforced.action
            let outcome: WAFOutcome
            if case .redirect = action { outcome = .redirected } else { outcome = .blocked }
            verdict = WAFRequestVerdict(action: action, outcome: outcome, matches: matches, anomalyScore: anomalyScore, transaction: nil)
        } else {
            let outcome: WAFOutcome = wouldBe != nil ? .detected : (matches.isEmpty ? .clean : .matched)
            verdict = WAFRequestVerdict(action: .pass, outcome: outcome, matches: matches, anomalyScore: anomalyScore, transaction: transaction)
        }
        let finalRecord = Self.record(for: request, mode: mode, ruleSet: index, verdict: verdict)
        transaction.updateRecord { $0 = finalRecord }
        if enforced != nil { transaction.close() }
        return verdict
    }

    /// `HTTP/1.1` → `1.1` (the engine builds REQUEST_PROTOCOL as `HTTP/` + this).
    static func engineVersion(_ version: String) -> String {
        version.hasPrefix("HTTP/") ? String(version.dropFirst(5)) : version
    }

    /// The score in 949110's `Inbound Anomaly Score Exceeded (Total Score: N)`.
    static func totalScore(in message: String) -> Int? {
        guard let range = message.range(of: "Total Score: ") else { return nil }
        return Int(message[range.upperBound...].prefix(while: { $0.isNumber }))
    }

    // MARK: - Responses

    /// Phase 3 (response headers), phase 4 when enabled and `body` is given, then logging and clean-up.
    /// Only for a transaction whose request passed. Never refused by the overload limit.
    public func inspectResponse(
        _ transaction: WAFTransactionHandle,
        status: Int,
        headers: [(String, String)],
        body: ByteBuffer? = nil,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<WAFResponseVerdict> {
        let settings = self.settings
        let promise = eventLoop.makePromise(of: WAFResponseVerdict.self)
        self.pool.submit { [pool = self.pool] in
            let verdict = Self.processResponse(transaction, status: status, headers: headers, body: body, settings: settings)
            pool.deliver(on: eventLoop) { promise.succeed(verdict) }
        }
        return promise.futureResult
    }

    private static func processResponse(
        _ transaction: WAFTransactionHandle,
        status: Int,
        headers: [(String, String)],
        body: ByteBuffer?,
        settings: WAFSettings
    ) -> WAFResponseVerdict {
        defer { transaction.close() }
        guard settings.inspectResponseHeaders, transaction.mode != .off else {
            return WAFResponseVerdict(action: .pass, outcome: .off)
        }
        var enforced: WAFTransactionHandle.Intervention?
        var wouldBe: WAFTransactionHandle.Intervention?
        for (name, value) in headers { transaction.addResponseHeader(name, value) }
        transaction.processResponseHeaders(status: status)
        if let i = transaction.intervention() {
            if transaction.mode == .on { enforced = i } else { wouldBe = i }
        }
        if enforced == nil, settings.inspectResponseBody, let body {
            transaction.appendResponseBody(body)
            transaction.processResponseBody()
            if let i = transaction.intervention() {
                if transaction.mode == .on { enforced = i } else if wouldBe == nil { wouldBe = i }
            }
        }
        let matches = transaction.collector.drain().filter { $0.id != WAFConfiguration.anomalyScoreProbeID }
        let verdict: WAFResponseVerdict
        if let enforced {
            let action = enforced.action
            if case .redirect = action {
                verdict = WAFResponseVerdict(action: action, outcome: .redirected, matches: matches)
            } else {
                verdict = WAFResponseVerdict(action: action, outcome: .blocked, matches: matches)
            }
        } else {
            verdict = WAFResponseVerdict(action: .pass, outcome: wouldBe != nil ? .detected : (matches.isEmpty ? .clean : .matched), matches: matches)
        }
        transaction.updateRecord { record in
            record.responseMatches = matches
            if enforced != nil || wouldBe != nil { record.outcome = verdict.outcome }
            if case .deny(let s) = verdict.action { record.status = s }
        }
        return verdict
    }

    /// Logging phase and clean-up for a passed transaction whose response is not inspected. Idempotent.
    public func finish(_ transaction: WAFTransactionHandle) {
        self.pool.submit { transaction.close() }
    }
}
