import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import TernWAF

/// Shared helpers for the TernWAF tests.
enum WAFTestSupport {
    /// This test directory, with symlinks resolved (the tests may be built through a symlinked package).
    static var testsDirectory: String {
        let directory = (#filePath as NSString).deletingLastPathComponent
        guard let resolved = realpath(directory, nil) else { return directory }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The repository root (two levels above this directory).
    static var repositoryRoot: String {
        ((Self.testsDirectory as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
    }

    /// The CRS 3.3.4 regression tests: `$TERN_CRS_REGRESSION_DIR`, or `<repo>/../shared/waf/crs-3.3.4-regression`.
    static var regressionDirectory: String? {
        let candidates = [
            ProcessInfo.processInfo.environment["TERN_CRS_REGRESSION_DIR"],
            Self.repositoryRoot + "/../shared/waf/crs-3.3.4-regression",
            "/work/shared/waf/crs-3.3.4-regression",
        ].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    static func settings(_ change: (inout WAFSettings) -> Void = { _ in }) -> WAFSettings {
        var settings = WAFSettings()
        settings.threads = 2
        change(&settings)
        return settings
    }

    static let browserHeaders: [(String, String)] = [
        ("Host", "www.example.com"),
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("Accept-Language", "en-GB,en;q=0.9"),
        ("Accept-Encoding", "gzip, deflate, br"),
        ("Connection", "keep-alive"),
    ]

    static func request(
        _ method: String = "GET",
        _ uri: String,
        headers: [(String, String)] = Self.browserHeaders,
        body: String? = nil,
        id: String = "test-1"
    ) -> WAFRequest {
        var allHeaders = headers
        var buffer: ByteBuffer?
        if let body {
            buffer = ByteBuffer(string: body)
            if !allHeaders.contains(where: { $0.0.lowercased() == "content-length" }) {
                allHeaders.append(("Content-Length", String(body.utf8.count)))
            }
        }
        return WAFRequest(
            requestID: id,
            clientAddress: "192.0.2.10",
            clientPort: 50_000,
            serverAddress: "127.0.0.1",
            serverPort: 8080,
            method: method,
            uri: uri,
            httpVersion: "HTTP/1.1",
            headers: allHeaders,
            body: buffer
        )
    }
}
