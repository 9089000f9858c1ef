import Foundation
import NIOCore
import TernCore
import XCTest

@testable import TernStorage

final class MemoryLedgerTests: XCTestCase {
    private func ledger() -> MemoryLedger {
        MemoryLedger(budget: MemoryBudget(memory: 16 << 20, diskQueue: 0, workers: 1))  // fills 8 MiB, compression 4 MiB
    }

    func testReservationsAreRefusedBeyondTheBudgetAndCounted() {
        let ledger = self.ledger()
        XCTAssertTrue(ledger.reserve(6 << 20, in: .fills))
        XCTAssertFalse(ledger.reserve(3 << 20, in: .fills), "6 + 3 MiB > 8 MiB")
        XCTAssertTrue(ledger.reserve(2 << 20, in: .fills))
        XCTAssertEqual(ledger.held(.fills), 8 << 20)
        XCTAssertEqual(ledger.refusals(.fills), 1)
        ledger.release(8 << 20, in: .fills)
        XCTAssertEqual(ledger.held(.fills), 0)
        XCTAssertTrue(ledger.reserve(20 << 20, in: .fills), "an empty account takes one oversized request")
        XCTAssertEqual(ledger.held(.compression), 0, "accounts are separate")
    }

    func testAReservationReturnsItsBytesWhenFreedOrReleased() {
        let ledger = self.ledger()
        do {
            let reservation = MemoryReservation(ledger: ledger, account: .fills)
            XCTAssertTrue(reservation.grow(by: 1 << 20))
            XCTAssertTrue(reservation.grow(by: 1 << 20))
            XCTAssertEqual(ledger.held(.fills), 2 << 20)
            reservation.release()
            XCTAssertEqual(ledger.held(.fills), 0)
            XCTAssertTrue(reservation.grow(by: 3 << 20))
        }
        XCTAssertEqual(ledger.held(.fills), 0, "freeing a reservation returns what it held")
    }

    func testConcurrentReservationsNeverExceedTheBudget() {
        let ledger = self.ledger()
        let granted = GrantTotal()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1_000 where ledger.reserve(64 << 10, in: .compression) { granted.add(64 << 10) }
        }
        XCTAssertEqual(granted.value, 4 << 20, "exactly the budget was granted")
        XCTAssertEqual(ledger.held(.compression), 4 << 20)
    }

    func testTheMemoryTierStoresACompactCopyOfASlicedBody() {
        var big = ByteBufferAllocator().buffer(capacity: 64 << 10)
        big.writeBytes([UInt8](repeating: 7, count: 64 << 10))
        let slice = big.getSlice(at: 100, length: 1_000)!
        XCTAssertEqual(slice.storageCapacity, 64 << 10, "a slice shares its parent's storage")
        var entry = makeEntry("k", bodySize: 0)
        entry.body = slice
        let tier = MemoryTier(limit: 1 << 20, maxObjectSize: 1 << 20)
        XCTAssertTrue(tier.put(entry))
        let stored = tier.get(primaryKey: "k", now: 0)![0].body
        XCTAssertEqual(stored.readableBytes, 1_000)
        XCTAssertEqual(stored.storageCapacity, 1_024, "stored without the rest of the read buffer (NIO allocates powers of two)")
        XCTAssertEqual(stored, slice)
        XCTAssertEqual(tier.bytesUsed, MemoryTier.accountedSize(of: tier.get(primaryKey: "k", now: 0)![0]))
        XCTAssertEqual(tier.bytesUsed - MemoryTier.accountedSize(of: makeEntry("k", bodySize: 0)), 1_024, "charged for the allocation")
    }

    func testAllocationSizes() {
        XCTAssertEqual(MemoryTier.allocation(for: 0), 0)
        XCTAssertEqual(MemoryTier.allocation(for: 1), 1)
        XCTAssertEqual(MemoryTier.allocation(for: 1_000), 1_024)
        XCTAssertEqual(MemoryTier.allocation(for: 1 << 20), 1 << 20)
        XCTAssertEqual(MemoryTier.allocation(for: (1 << 20) + 1), 2 << 20)
        var buffer = ByteBufferAllocator().buffer(capacity: 1_000)
        buffer.writeBytes([1, 2, 3])
        XCTAssertEqual(buffer.storageCapacity, MemoryTier.allocation(for: 1_000), "matches SwiftNIO's rounding")
    }
}

private final class GrantTotal: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ n: Int) { self.lock.lock(); self.total += n; self.lock.unlock() }
    var value: Int { self.lock.lock(); defer { self.lock.unlock() }; return self.total }
}
