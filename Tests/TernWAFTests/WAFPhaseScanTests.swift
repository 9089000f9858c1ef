import Foundation
@testable import TernWAF
import XCTest

/// Phase 3 is skipped only when no loaded directive can act in it.
final class WAFPhaseScanTests: XCTestCase {
    func testDirectives() {
        let cases: [(String, Bool, UInt)] = [
            ("SecRuleEngine On\nSecRule ARGS \"@rx x\" \"id:1,phase:2,deny\"\n", false, #line),
            // CRS's paranoia-level markers.
            ("SecRule TX:EXECUTING_PARANOIA_LEVEL \"@lt 1\" \"id:950020,phase:3,pass,nolog,skipAfter:END-RESPONSE-950-DATA-LEAKAGES\"\n", false, #line),
            ("SecRule RESPONSE_HEADERS:X-Leak \"@streq secret\" \"id:10001,phase:3,deny,status:403,log\"\n", true, #line),
            ("SecRule RESPONSE_STATUS \"@rx ^5\" \\\n    \"id:2,\\\n    phase:response_headers,\\\n    block\"\n", true, #line),
            ("SecAction \"id:3,phase:3,pass,nolog,setvar:tx.x=1\"\n", true, #line),
            ("SecRule TX:X \"@eq 1\" \"id:4,phase:3,pass,nolog,skipAfter:END,setvar:tx.y=1\"\n", true, #line),
            ("# SecRule RESPONSE_HEADERS \"x\" \"id:5,phase:3,deny\"\n", false, #line),
            ("SecDefaultAction \"phase:3,log,auditlog,pass\"\n", false, #line),
        ]
        for (text, expected, line) in cases {
            XCTAssertEqual(WAFPhaseScan.actsInResponseHeaderPhase(text), expected, text, line: line)
        }
    }

    func testIncludesAreFollowed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-phase-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "SecRule ARGS \"x\" \"id:1,phase:2,deny\"\n".write(to: dir.appendingPathComponent("a.conf"), atomically: true, encoding: .utf8)
        XCTAssertFalse(WAFPhaseScan.actsInResponseHeaderPhase("Include \(dir.path)/*.conf\n"))
        try "SecRule RESPONSE_HEADERS \"x\" \"id:2,phase:3,deny\"\n".write(to: dir.appendingPathComponent("b.conf"), atomically: true, encoding: .utf8)
        XCTAssertTrue(WAFPhaseScan.actsInResponseHeaderPhase("Include \(dir.path)/*.conf\n"))
        XCTAssertTrue(WAFPhaseScan.actsInResponseHeaderPhase("Include \(dir.path)/missing.conf\n"), "unreadable: counted")
    }

    func testStockCRSHasNoPhase3Rules() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/usr/share/modsecurity-crs/rules"), "modsecurity-crs not installed")
        let text = try WAFConfiguration(settings: WAFSettings()).render(exclusions: .none)
        XCTAssertFalse(WAFPhaseScan.actsInResponseHeaderPhase(text))
    }
}
