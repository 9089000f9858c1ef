import ArgumentParser
import class Foundation.ProcessInfo
import Logging
import TernConfig
import TernCore
import TernProxy
import TernServer

#if canImport(Glibc)
import Glibc
#endif

/// `tern`: the edge server and its operator tools.
struct Tern: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tern",
        abstract: "Tern: a caching-first HTTP edge accelerator.",
        subcommands: [Serve.self, CheckConfig.self, Purge.self, Stats.self, Cache.self],
        defaultSubcommand: nil
    )
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the edge server.",
        discussion: """
            With --config, serve that YAML file. Without it (quick mode), --listen and --origin/--route \
            describe a proxy in front of one or more servers:
              tern serve --listen 127.0.0.1:8080 --origin http://127.0.0.1:9000
            """
    )

    @Option(name: .shortAndLong, help: "Configuration file (YAML).")
    var config: String?

    @Option(help: "Quick mode: address to listen on (host:port).")
    var listen: String = "127.0.0.1:8080"

    @Option(help: "Quick mode: origin server URL; repeat for a round-robin pool serving every path.")
    var origin: [String] = []

    @Option(help: "Quick mode: /prefix=URL sends that path prefix to another origin (repeatable; longest prefix wins).")
    var route: [String] = []

    @Option(help: "Quick mode: memory-tier cache size (default 256MiB; 0 turns caching off without --cache-dir).")
    var memory: String?

    @Option(help: "Quick mode: directory for the LMDB disk tier (survives restarts).")
    var cacheDir: String?

    @Option(help: "Quick mode: disk-tier size limit (default 4GiB; needs --cache-dir).")
    var disk: String?

    @Option(help: "Quick mode: admin listener host:port (token from TERN_ADMIN_TOKEN).")
    var admin: String?

    @Option(help: "Quick mode: the WAF (OWASP CRS at paranoia level 1): on, detection-only or off.")
    var waf: String?

    @Option(help: "Quick mode: a per-client rate limit such as 100r/s:200 (rate and burst).")
    var rateLimit: String?

    @Option(help: "Event-loop threads (default: one per core).")
    var workers: Int?

    @Option(help: "Access log: stdout, stderr, off, or a file path (overrides the configuration).")
    var accessLog: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func validate() throws {
        if self.config != nil && (!self.origin.isEmpty || !self.route.isEmpty || self.memory != nil || self.cacheDir != nil || self.disk != nil || self.admin != nil || self.waf != nil || self.rateLimit != nil) {
            throw ValidationError("--config cannot be combined with the quick-mode flags --origin, --route, --memory, --cache-dir, --disk, --admin, --waf, --rate-limit.")
        }
        if self.config == nil && self.origin.isEmpty && self.route.isEmpty {
            throw ValidationError("Give --config FILE, or quick mode with at least one --origin URL or --route /prefix=URL.")
        }
        if let workers = self.workers, !(1...256).contains(workers) {
            throw ValidationError("--workers must be between 1 and 256.")
        }
    }

    func run() throws {
        var configuration: TernConfiguration
        do {
            if let path = self.config {
                configuration = try ConfigLoader.load(path: path)
            } else {
                configuration = try TernConfiguration.quick(
                    listen: self.listen, origins: self.origin, routes: self.route,
                    memory: self.memory, cacheDir: self.cacheDir, disk: self.disk, admin: self.admin,
                    waf: self.waf, rateLimit: self.rateLimit
                )
            }
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        if let workers = self.workers { configuration.workers = workers }
        if let accessLog = self.accessLog {
            switch accessLog {
            case "stdout": configuration.logging.access.destination = .stdout
            case "stderr": configuration.logging.access.destination = .stderr
            case "off": configuration.logging.access.destination = .off
            default: configuration.logging.access.destination = .file(accessLog)
            }
        }
        let levelName = self.logLevel ?? configuration.logging.level
        guard let level = Logger.Level(rawValue: levelName) else {
            printError("error: unknown log level '\(levelName)' (use trace, debug, info, notice, warning, error or critical)")
            throw ExitCode(2)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tern")
        let server: TernServer
        do {
            server = try TernServer(configuration: configuration, logger: logger)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        server.runUntilSignalled()
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file: exit 0 when valid, 2 with the errors otherwise."
    )

    @Argument(help: "Configuration file (YAML).")
    var file: String

    @Option(help: "Print the route and cache key a request for this absolute URL would get.")
    var explainKey: String?

    @Option(name: .customShort("H"), help: "With --explain-key: a request header 'Name: value' (repeatable).")
    var header: [String] = []

    func validate() throws {
        if !self.header.isEmpty && self.explainKey == nil {
            throw ValidationError("-H only makes sense with --explain-key URL.")
        }
    }

    func run() throws {
        let configuration: TernConfiguration
        do {
            configuration = try ConfigLoader.load(path: self.file)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        do {
            // The WAF's rules (CRS, `waf.config_dir` templates, exclusions) are compiled too.
            try SecurityGate.checkWAFRules(configuration)
        } catch {
            printError("\(self.file): \(error)")
            throw ExitCode(2)
        }
        if let url = self.explainKey {
            do {
                for line in try KeyExplainer.explain(configuration: configuration, url: url, headerLines: self.header) {
                    print(line)
                }
            } catch {
                printError("\(error)")
                throw ExitCode(2)
            }
            return
        }
        print("\(self.file): OK (\(configuration.listeners.count) listener(s), \(configuration.origins.count) origin(s), \(configuration.routes.count) route(s))")
    }
}

func printError(_ message: String) {
    var text = message
    if !text.hasSuffix("\n") { text += "\n" }
    _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}

/// `tern serve` re-executes itself once with a larger glibc per-thread cache (see `MallocTuning`).
func tuneAllocatorIfNeeded() {
    guard CommandLine.arguments.dropFirst().first == "serve" else { return }
    let environment = ProcessInfo.processInfo.environment
    // Under valgrind /proc/self/exe is the tool, not Tern (and valgrind replaces malloc anyway).
    if environment["LD_PRELOAD"]?.contains("vgpreload") == true { return }
    guard let tunables = MallocTuning.tunables(existing: environment["GLIBC_TUNABLES"], switch: environment[MallocTuning.switchVariable]) else { return }
    setenv("GLIBC_TUNABLES", tunables, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // Only reached when exec failed: run untuned.
    unsetenv("GLIBC_TUNABLES")
    if let previous = environment["GLIBC_TUNABLES"] { setenv("GLIBC_TUNABLES", previous, 1) }
}

tuneAllocatorIfNeeded()

// Usage errors exit 2 (like check-config's invalid files), not ArgumentParser's 64.
do {
    var command = try Tern.parseAsRoot()
    try command.run()
} catch {
    if Tern.exitCode(for: error) == .validationFailure {
        printError(Tern.fullMessage(for: error))
        exit(2)
    }
    Tern.exit(withError: error)
}
