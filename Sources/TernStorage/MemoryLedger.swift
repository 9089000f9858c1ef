import Atomics
import TernCore

/// Live byte counts of what the cache path holds outside the memory tier, each against its budget
/// (``MemoryBudget``). Shared by every event loop; lock-free.
public final class MemoryLedger: Sendable {
    public enum Account: Int, Sendable, CaseIterable {
        case fills, compression, memos

        public var name: String {
            switch self {
            case .fills: "fills"
            case .compression: "compression"
            case .memos: "memos"
            }
        }
    }

    public let budget: MemoryBudget
    private let held: [ManagedAtomic<Int>]
    private let refused: [ManagedAtomic<Int>]

    public init(budget: MemoryBudget) {
        self.budget = budget
        self.held = Account.allCases.map { _ in ManagedAtomic(0) }
        self.refused = Account.allCases.map { _ in ManagedAtomic(0) }
    }

    public func limit(_ account: Account) -> Int64 {
        switch account {
        case .fills: self.budget.fills
        case .compression: self.budget.compression
        case .memos: self.budget.memos
        }
    }

    /// Bytes held now.
    public func held(_ account: Account) -> Int { self.held[account.rawValue].load(ordering: .relaxed) }
    /// Reservations refused for lack of budget since start.
    public func refusals(_ account: Account) -> Int { self.refused[account.rawValue].load(ordering: .relaxed) }

    /// Takes `bytes` from `account` if its budget allows (``MemoryBudget/admits(current:adding:limit:)``).
    public func reserve(_ bytes: Int, in account: Account) -> Bool {
        let counter = self.held[account.rawValue]
        let limit = self.limit(account)
        var current = counter.load(ordering: .relaxed)
        while true {
            guard MemoryBudget.admits(current: Int64(current), adding: Int64(bytes), limit: limit) else {
                self.refused[account.rawValue].wrappingIncrement(ordering: .relaxed)
                return false
            }
            let (exchanged, original) = counter.weakCompareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed
            )
            if exchanged { return true }
            current = original
        }
    }

    /// Adjusts `account` without a budget check (memos, which clear themselves at their own limit).
    public func adjust(_ delta: Int, in account: Account) {
        self.held[account.rawValue].wrappingIncrement(by: delta, ordering: .relaxed)
    }

    /// Returns `bytes` taken with ``reserve(_:in:)``.
    public func release(_ bytes: Int, in account: Account) {
        guard bytes != 0 else { return }
        self.held[account.rawValue].wrappingDecrement(by: bytes, ordering: .relaxed)
    }
}

/// Bytes reserved in a ledger account, returned when the reservation is freed (or ``release()``d).
public final class MemoryReservation: @unchecked Sendable {
    private let ledger: MemoryLedger
    private let account: MemoryLedger.Account
    public private(set) var bytes = 0

    public init(ledger: MemoryLedger, account: MemoryLedger.Account) {
        self.ledger = ledger
        self.account = account
    }

    /// Reserves `bytes` more; `false` (nothing taken) when the account's budget refuses.
    public func grow(by bytes: Int) -> Bool {
        guard self.ledger.reserve(bytes, in: self.account) else { return false }
        self.bytes += bytes
        return true
    }

    public func release() {
        self.ledger.release(self.bytes, in: self.account)
        self.bytes = 0
    }

    deinit { self.ledger.release(self.bytes, in: self.account) }
}
