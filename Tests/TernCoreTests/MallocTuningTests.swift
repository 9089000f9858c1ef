import TernCore
import XCTest

final class MallocTuningTests: XCTestCase {
    func testTunables() {
        let count = MallocTuning.tcacheCount
        let cases: [(existing: String?, switch: String?, expected: String?)] = [
            (nil, nil, "glibc.malloc.tcache_count=\(count)"),
            ("", nil, "glibc.malloc.tcache_count=\(count)"),
            ("glibc.malloc.arena_max=2", nil, "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=\(count)"),
            ("glibc.malloc.tcache_count=7", nil, nil),  // the operator's choice wins (and no re-exec loop)
            ("glibc.malloc.arena_max=2:glibc.malloc.tcache_count=\(count)", nil, nil),
            (nil, "off", nil), (nil, "OFF", nil), (nil, "0", nil), (nil, "on", "glibc.malloc.tcache_count=\(count)"),
        ]
        for c in cases {
            XCTAssertEqual(MallocTuning.tunables(existing: c.existing, switch: c.switch), c.expected, "\(c)")
        }
    }
}
