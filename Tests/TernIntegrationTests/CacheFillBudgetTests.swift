import NIOCore
import TernCore
import TernStorage
import XCTest

@testable import TernProxy

/// `CacheFill` against the ledger's `fills` budget (Docs/reliability.md, "Memory").
final class CacheFillBudgetTests: XCTestCase {
    private func chunk(_ size: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeBytes([UInt8](repeating: 1, count: size))
        return buffer
    }

    private func fill(_ ledger: MemoryLedger, expected: Int64? = nil) -> CacheFill {
        CacheFill(
            meta: CacheEntryMeta(primaryKey: "k", status: 200, headers: [:], requestTime: 0, responseTime: 0, bodyLength: 0),
            limit: 64 << 20, expectedLength: expected,
            reservation: MemoryReservation(ledger: ledger, account: .fills)
        )
    }

    func testAFillBeyondTheBudgetStopsBufferingAndIsNotStored() {
        let ledger = MemoryLedger(budget: MemoryBudget(memory: 16 << 20, diskQueue: 0, workers: 1))  // fills: 8 MiB
        var first = self.fill(ledger)
        for _ in 0..<6 { first.append(self.chunk(1 << 20)) }
        XCTAssertEqual(ledger.held(.fills), 6 << 20)
        var second = self.fill(ledger)
        second.append(self.chunk(1 << 20))
        second.append(self.chunk(1 << 20))
        XCTAssertFalse(second.overBudget)
        second.append(self.chunk(1 << 20))  // 9 MiB > 8 MiB
        XCTAssertTrue(second.overBudget)
        XCTAssertTrue(second.overflowed)
        XCTAssertNil(second.finish(allocator: ByteBufferAllocator()), "an unbuffered fill is never stored")
        XCTAssertEqual(ledger.held(.fills), 6 << 20, "the refused fill returned what it had")
        XCTAssertEqual(ledger.refusals(.fills), 1)
        let entry = first.finish(allocator: ByteBufferAllocator())
        XCTAssertEqual(entry?.body.readableBytes, 6 << 20)
        first = self.fill(ledger)  // the finished fill is dropped
        XCTAssertEqual(ledger.held(.fills), 0, "a dropped fill returns its bytes")
        _ = (first, second)
    }

    func testAChunkIsChargedForTheBufferItKeepsAlive() {
        let ledger = MemoryLedger(budget: MemoryBudget(memory: 16 << 20, diskQueue: 0, workers: 1))
        var fill = self.fill(ledger)
        let read = self.chunk(64 << 10)
        fill.append(read.getSlice(at: 0, length: 100)!)
        XCTAssertEqual(ledger.held(.fills), 64 << 10)
        XCTAssertEqual(fill.bytes, 100)
    }

    func testHitForMissMarksStayWithinTheirBudget() {
        let ledger = MemoryLedger(budget: MemoryBudget(memory: 16 << 20, diskQueue: 0, workers: 1))
        let table = FillTable(maxWaiters: 10, hitForMiss: .seconds(30), ledger: ledger)
        let now = NIODeadline.now()
        let key = { (i: Int) in "http://example.test/uncacheable/\(i)?padding=0123456789abcdef" }
        let perKey = key(0).utf8.count + FillTable.hitForMissEntryOverhead
        for i in 0..<100_000 {
            table.markHitForMiss(key(i), now: now)
            XCTAssertLessThanOrEqual(ledger.held(.memos), MemoryBudget.hitForMiss + perKey)
        }
        XCTAssertGreaterThan(ledger.held(.memos), 0)
        guard case .hitForMiss = table.joinOrLead(key: key(99_999), now: now) else { return XCTFail("the latest mark is kept") }
        table.clearHitForMiss(key(99_999))
        let held = ledger.held(.memos)
        table.clearHitForMiss(key(99_999))
        XCTAssertEqual(ledger.held(.memos), held, "clearing an absent mark changes nothing")
        guard case .lead = table.joinOrLead(key: key(99_999), now: now) else { return XCTFail("cleared") }
    }
}
