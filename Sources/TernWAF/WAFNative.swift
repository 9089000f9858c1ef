import CModSecurity
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's `ModSecurity` instance (`msc_init`), freed when the engine and every transaction are gone.
final class ModSecurityInstance: @unchecked Sendable {
    // Safety: written once in init; libmodsecurity only reads it from transactions afterwards.
    let pointer: OpaquePointer

    init() {
        self.pointer = msc_init()
        msc_set_connector_info(self.pointer, "Tern")
        // A plain global function: a closure would capture actor isolation and trap on a worker thread.
        msc_set_log_cb(self.pointer, ternWAFLogCallback)
    }

    deinit {
        msc_cleanup(self.pointer)
    }
}

/// One compiled rule set (`RulesSet`), shared read-only by all transactions that use it and kept alive
/// by them across reloads.
final class CompiledRuleSet: @unchecked Sendable {
    // Safety: libmodsecurity treats a loaded RulesSet as read-only during transactions.
    let pointer: OpaquePointer
    let exclusions: WAFRuleExclusions

    /// Parses `configuration`; throws the engine's parser error text.
    init(configuration: String, exclusions: WAFRuleExclusions, index: Int) throws {
        guard let rules = msc_create_rules_set() else { throw WAFError.ruleLoad(ruleSet: index, message: "msc_create_rules_set failed") }
        var error: UnsafePointer<CChar>? = nil
        let result = configuration.withCString { msc_rules_add(rules, $0, &error) }
        if result < 0 {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            // The engine strdup()s the error text: the caller frees it.
            free(UnsafeMutableRawPointer(mutating: error))
            msc_rules_cleanup(rules)
            throw WAFError.ruleLoad(ruleSet: index, message: message.trimmingSuffixNewlines())
        }
        self.pointer = rules
        self.exclusions = exclusions
    }

    deinit {
        msc_rules_cleanup(self.pointer)
    }
}

/// Collects the log entries the engine emits for one transaction. The engine calls
/// ``ternWAFLogCallback(_:_:)`` on whichever worker runs the transaction's current phase; phases of one
/// transaction never overlap, and the lock covers the hand-over between workers.
final class WAFMatchCollector: @unchecked Sendable {
    private let lock = NIOLock()
    private var matches: [WAFRuleMatch] = []

    func append(_ match: WAFRuleMatch) {
        self.lock.withLock { self.matches.append(match) }
    }

    /// Returns and clears the matches collected so far.
    func drain() -> [WAFRuleMatch] {
        self.lock.withLock {
            defer { self.matches.removeAll(keepingCapacity: true) }
            return self.matches
        }
    }
}

/// libmodsecurity's log callback (`ModSecLogCb`). `data` is the per-transaction pointer passed to
/// `msc_new_transaction_with_id`: an unretained ``WAFMatchCollector`` that the transaction handle owns.
func ternWAFLogCallback(_ data: UnsafeMutableRawPointer?, _ message: UnsafeRawPointer?) {
    guard let data, let message else { return }
    let collector = Unmanaged<WAFMatchCollector>.fromOpaque(data).takeUnretainedValue()
    let entry = String(cString: message.assumingMemoryBound(to: CChar.self))
    if let match = WAFLogMessage.parse(entry) {
        collector.append(match)
    }
}

extension String {
    func trimmingSuffixNewlines() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
