import ArgumentParser
import Foundation
import NIOPosix
import TernAdmin
import TernCore

#if canImport(Glibc)
import Glibc
#endif

/// `tern purge`: purge on one or more nodes through their admin listeners.
struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Purge cached objects on one or more Tern nodes.",
        discussion: """
            Selectors are combined: an object is purged when it matches any URL, prefix, host or tag. \
            A URL purges every variant stored under it (Vary, content codings). A prefix is an anchored path \
            prefix matched at segment boundaries: /a selects /a, /a/… and /a?… but not /ab. \
            Repeat --admin to purge several nodes at once; each node is reported.

            Exit status: 0 every node purged; 1 a node was unreachable or failed (5xx); 2 usage error; \
            3 authentication refused (401/403).

            Examples:
              tern purge http://example.com/index.html
              tern purge --tag product-42 --soft --admin http://10.0.0.1:9090 --admin http://10.0.0.2:9090
              tern purge --prefix /assets/ --dry-run
            """
    )

    @Argument(help: "Exact URLs to purge (http://host/path?query, or /path?query for every host).")
    var urls: [String] = []

    @Option(help: "Anchored path prefix, e.g. /images/ (repeatable).")
    var prefix: [String] = []

    @Option(help: "Every object of this host (repeatable).")
    var host: [String] = []

    @Option(help: "Every object carrying this tag (Surrogate-Key / Cache-Tag) (repeatable).")
    var tag: [String] = []

    @Flag(help: "Purge everything.")
    var all = false

    @Flag(help: "Mark stale instead of deleting: the next request revalidates.")
    var soft = false

    @Flag(help: "Report what would be purged; change nothing.")
    var dryRun = false

    @Option(help: "Admin URL of a node (repeatable; default http://127.0.0.1:9090).")
    var admin: [String] = []

    @Option(help: "Admin bearer token (default: the TERN_ADMIN_TOKEN environment variable).")
    var token: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Flag(name: .shortAndLong, help: "List up to 20 purged keys per node.")
    var verbose = false

    private func check() throws {
        if self.urls.isEmpty && self.prefix.isEmpty && self.host.isEmpty && self.tag.isEmpty && !self.all {
            throw ValidationError("Give at least one URL, --prefix, --host or --tag, or --all.")
        }
        if self.all && !(self.urls.isEmpty && self.prefix.isEmpty && self.host.isEmpty && self.tag.isEmpty) {
            throw ValidationError("--all purges everything; it cannot be combined with URLs, --prefix, --host or --tag.")
        }
        for url in self.urls where !(url.hasPrefix("/") || url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://")) {
            throw ValidationError("'\(url)' is not a URL: write http://host/path or /path.")
        }
        for prefix in self.prefix where !(prefix.hasPrefix("/") || prefix.lowercased().hasPrefix("http://") || prefix.lowercased().hasPrefix("https://")) {
            throw ValidationError("--prefix '\(prefix)' must start with / (or be an http:// URL for one host).")
        }
        for node in self.admin where AdminClient.Endpoint(node) == nil {
            throw ValidationError("--admin '\(node)' is not an admin URL such as http://127.0.0.1:9090.")
        }
    }

    func run() throws {
        do {
            try self.check()
        } catch let error as ValidationError {
            // Scripts rely on exit status 2 for usage errors (ArgumentParser's own would be 64).
            AdminCommandDefaults.printError("error: \(error.message)\nSee 'tern purge --help'.")
            throw ExitCode(AdminExitCode.usage.rawValue)
        }
        let request = PurgeRequest(
            urls: self.urls, prefixes: self.prefix, hosts: self.host, tags: self.tag,
            all: self.all, soft: self.soft, dryRun: self.dryRun
        )
        let nodes = self.admin.isEmpty ? [AdminCommandDefaults.adminURL] : self.admin
        let token = AdminCommandDefaults.token(self.token)
        let reports = runBlocking {
            await PurgeFanOut.run(request, nodes: nodes, token: token, group: MultiThreadedEventLoopGroup.singleton)
        }
        print(self.json ? PurgeFanOut.json(reports) : PurgeFanOut.text(reports, showSample: self.verbose))
        let code = AdminExitCode.combined(reports.map(\.exitCode))
        if code != .ok { throw ExitCode(code.rawValue) }
    }
}

/// `tern stats`: a readable summary of one node's statistics.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a node's statistics (hits, misses, tiers, origins, purges).",
        discussion: """
            Exit status: 0 success; 1 the node was unreachable or failed; 2 usage error; 3 access refused (403).
            Examples:
              tern stats
              tern stats --watch --interval 2s
              tern stats --json --admin http://10.0.0.1:9090
            """
    )

    @Option(help: "Admin URL of the node (default http://127.0.0.1:9090).")
    var admin: String = AdminCommandDefaults.adminURL

    @Flag(help: "Print the raw /stats JSON.")
    var json = false

    @Flag(help: "Refresh in place until interrupted.")
    var watch = false

    @Option(help: "With --watch: time between refreshes, e.g. 1s or 500ms.")
    var interval: String = "1s"

    private func check() throws {
        if AdminClient.Endpoint(self.admin) == nil {
            throw ValidationError("--admin '\(self.admin)' is not an admin URL such as http://127.0.0.1:9090.")
        }
        guard let interval = DurationParsing.parse(self.interval), interval >= .milliseconds(100) else {
            throw ValidationError("--interval must be a duration of at least 100ms, such as 1s.")
        }
        _ = interval
    }

    func run() throws {
        do {
            try self.check()
        } catch let error as ValidationError {
            AdminCommandDefaults.printError("error: \(error.message)\nSee 'tern stats --help'.")
            throw ExitCode(AdminExitCode.usage.rawValue)
        }
        guard let endpoint = AdminClient.Endpoint(self.admin) else { throw ExitCode(AdminExitCode.usage.rawValue) }
        let client = AdminClient(endpoint: endpoint, group: MultiThreadedEventLoopGroup.singleton)
        let interval = DurationParsing.parse(self.interval) ?? .seconds(1)
        let json = self.json
        repeat {
            let (text, code) = runBlocking { await StatsCommandLogic.fetch(client: client, json: json) }
            if self.watch {
                // Home the cursor and clear the screen, then draw: the summary refreshes in place.
                print("\u{1B}[H\u{1B}[2J" + text + "\n\n(refreshing every \(self.interval); Ctrl-C to stop)")
            } else {
                if code == .ok { print(text) } else { AdminCommandDefaults.printError(text) }
                if code != .ok { throw ExitCode(code.rawValue) }
                return
            }
            let (seconds, attoseconds) = interval.components
            usleep(UInt32(min(3_600_000_000, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)))
        } while true
    }
}

enum AdminCommandDefaults {
    static let adminURL = "http://127.0.0.1:9090"

    /// `--token`, else `TERN_ADMIN_TOKEN`, else none.
    static func token(_ flag: String?) -> String? {
        if let flag, !flag.isEmpty { return flag }
        let value = ProcessInfo.processInfo.environment["TERN_ADMIN_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        return value?.isEmpty == false ? value : nil
    }

    static func printError(_ message: String) {
        var text = message
        if !text.hasSuffix("\n") { text += "\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
