import Foundation
import XCTest

@testable import TernWAF

final class WAFConfigurationTests: XCTestCase {
    func testBuiltinTemplatesMatchShippedFiles() throws {
        let directory = WAFTestSupport.repositoryRoot + "/Config/modsecurity"
        XCTAssertEqual(try String(contentsOfFile: directory + "/modsecurity.conf.template", encoding: .utf8), WAFBuiltinTemplates.mainConfiguration)
        XCTAssertEqual(try String(contentsOfFile: directory + "/crs-setup.conf.template", encoding: .utf8), WAFBuiltinTemplates.crsSetup)
    }

    func testPlaceholdersAreFilled() throws {
        var settings = WAFSettings()
        settings.paranoiaLevel = 2
        settings.inboundAnomalyThreshold = 10
        settings.outboundAnomalyThreshold = 8
        settings.requestBodyLimit = 1_000_000
        settings.bodyLimitAction = .processPartial
        let text = try WAFConfiguration(settings: settings).render(exclusions: WAFRuleExclusions(ruleIDs: [920_350]))
        XCTAssertFalse(text.split(separator: "\n").contains { !$0.hasPrefix("#") && $0.contains("{{") })
        XCTAssertTrue(text.contains("setvar:tx.paranoia_level=2"))
        XCTAssertTrue(text.contains("setvar:tx.inbound_anomaly_score_threshold=10"))
        XCTAssertTrue(text.contains("setvar:tx.outbound_anomaly_score_threshold=8"))
        XCTAssertTrue(text.contains("SecRequestBodyLimit 1000000"))
        XCTAssertTrue(text.contains("SecRequestBodyLimitAction ProcessPartial"))
        XCTAssertTrue(text.contains("SecResponseBodyAccess Off"))
        XCTAssertTrue(text.contains("Include /usr/share/modsecurity-crs/rules/*.conf"))
        XCTAssertTrue(text.contains("SecRuleRemoveById 920350"))
        XCTAssertLessThan(text.range(of: "rules/*.conf")!.lowerBound, text.range(of: "SecRuleRemoveById")!.lowerBound)
    }

    func testLogMessageParsing() {
        let entry = #"[client 1.2.3.4] ModSecurity: Access denied with code 403 (phase 2). Matched "Operator `Ge' with parameter `5' against variable `TX:ANOMALY_SCORE' (Value: `5' ) [file "/usr/share/modsecurity-crs/rules/REQUEST-949-BLOCKING-EVALUATION.conf"] [line "81"] [id "949110"] [rev ""] [msg "Inbound Anomaly Score Exceeded (Total Score: 5)"] [data ""] [severity "2"] [ver "OWASP_CRS/3.3.4"] [maturity "0"] [accuracy "0"] [tag "application-multi"] [tag "attack-generic"] [hostname "127.0.0.1"] [uri "/"] [unique_id "req-1"] [ref ""]"#
        let match = WAFLogMessage.parse(entry)
        XCTAssertEqual(match, WAFRuleMatch(id: 949_110, message: "Inbound Anomaly Score Exceeded (Total Score: 5)", severity: 2, tags: ["application-multi", "attack-generic"], data: "", disruptive: true))
        XCTAssertEqual(WAFEngine.totalScore(in: match?.message ?? ""), 5)
    }

    func testForgedFieldsInClientDataAreIgnored() {
        // The engine escapes quotes in client data as \x22, so a forged field cannot close a value.
        let entry = #"ModSecurity: Warning. detected SQLi using libinjection. [file "/r/REQUEST-942.conf"] [line "46"] [id "942100"] [rev ""] [msg "SQL Injection"] [data "Matched Data: s&sos found within ARGS:id: 1' OR '1'='1\x22] [id \x22123\x22] [msg \x22x"] [severity "2"] [ver "OWASP_CRS/3.3.4"] [hostname "127.0.0.1"] [uri "/"] [unique_id "req-1"] [ref "v9,34"]"#
        let match = WAFLogMessage.parse(entry)
        XCTAssertEqual(match?.id, 942_100)
        XCTAssertEqual(match?.message, "SQL Injection")
        XCTAssertEqual(match?.disruptive, false)
        XCTAssertNil(WAFLogMessage.parse("ModSecurity: Warning. no fields here"))
    }

    func testRequestIDSanitizing() {
        XCTAssertEqual(WAFTransactionHandle.sanitizedID("abc-1.2:3_x"), "abc-1.2:3_x")
        XCTAssertEqual(WAFTransactionHandle.sanitizedID("a\"b c"), "a_b_c")
        XCTAssertEqual(WAFTransactionHandle.sanitizedID(""), "-")
    }
}
