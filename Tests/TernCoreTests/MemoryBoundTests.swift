import TernCore
import XCTest

final class MemoryBudgetTests: XCTestCase {
    func testBudgetsFollowTheMemoryTierWithinTheirClamps() {
        XCTAssertEqual(MemoryBudget.fills(memory: 0), 8 << 20)
        XCTAssertEqual(MemoryBudget.fills(memory: 64 << 20), 16 << 20)
        XCTAssertEqual(MemoryBudget.fills(memory: 4 << 30), 64 << 20)
        XCTAssertEqual(MemoryBudget.compression(memory: 16 << 20), 4 << 20)
        XCTAssertEqual(MemoryBudget.compression(memory: 128 << 20), 16 << 20)
        XCTAssertEqual(MemoryBudget.compression(memory: 4 << 30), 32 << 20)
        let budget = MemoryBudget(memory: 64 << 20, diskQueue: 64 << 20, workers: 4)
        XCTAssertEqual(budget.memos, (8 << 20) + (4 << 20), "two memos of 1 MiB per event loop, and the hit-for-miss marks")
        XCTAssertEqual(MemoryBudget(memory: -5, diskQueue: -1, workers: 0), MemoryBudget(memory: 0, diskQueue: 0, workers: 1))
    }

    func testTheBoundAddsTheTierTheBudgetsTheBaseAndEachConnection() {
        let budget = MemoryBudget(memory: 64 << 20, diskQueue: 0, workers: 2)
        let fixed = MemoryBound.baseOverhead + MemoryBound.encoderWorkspace + (16 << 20) + (8 << 20) + (4 << 20) + (4 << 20)
        XCTAssertEqual(MemoryBound.fixedOverhead(budget), fixed)
        XCTAssertEqual(MemoryBound.limit(budget, connections: 0), (64 << 20) + fixed)
        XCTAssertEqual(MemoryBound.limit(budget, connections: 10), (64 << 20) + fixed + 10 * MemoryBound.perConnection)
        XCTAssertEqual(MemoryBound.limit(memory: 64 << 20, workers: 2, connections: 3), MemoryBound.limit(budget, connections: 3))
        XCTAssertEqual(MemoryBound.limit(budget, connections: -4), MemoryBound.limit(budget, connections: 0))
    }

    func testAdmissionAlwaysTakesOneRequestWhenEmptyAndNeverOverfills() {
        XCTAssertTrue(MemoryBudget.admits(current: 0, adding: 100, limit: 10), "an empty account takes one oversized request")
        XCTAssertTrue(MemoryBudget.admits(current: 4, adding: 6, limit: 10))
        XCTAssertFalse(MemoryBudget.admits(current: 5, adding: 6, limit: 10))
        XCTAssertFalse(MemoryBudget.admits(current: 100, adding: 1, limit: 10))
    }

    func testProcStatusParsing() {
        let text = "Name:\ttern\nVmPeak:\t  999 kB\nVmRSS:\t   40960 kB\nRssAnon:\t    8192 kB\nRssFile:\t 32768 kB\n"
        let parsed = ProcStatusMemory(status: text)
        XCTAssertEqual(parsed.anonymous, 8 << 20)
        XCTAssertEqual(parsed.resident, 40 << 20)
        XCTAssertEqual(ProcStatusMemory(status: "Name: x\n").anonymous, 0)
    }
}
