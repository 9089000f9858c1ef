import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TernConfig
import TernAdmin
import TernProxy
import TernStorage

#if canImport(Glibc)
import Glibc
#endif

/// A running Tern: event loops, file I/O pool, access log and the data plane for one configuration.
///
/// Used by `tern serve` and, in-process, by the integration tests.
public final class TernServer: Sendable {
    public let configuration: TernConfiguration
    public let proxy: ProxyServer
    private let group: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool
    private let logger: Logger
    /// The tiered cache (`nil` when caching is off).
    public let cache: TieredCache?
    /// The admin listener, when configured.
    public let admin: AdminServer?

    /// Starts listening; throws with a readable reason when a listener can't bind or an origin
    /// can't be set up (nothing is left running in that case).
    public init(configuration: TernConfiguration, logger: Logger = Logger(label: "tern")) throws {
        self.configuration = configuration
        self.logger = logger
        let workers = configuration.workers ?? System.coreCount
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: workers)
        self.threadPool = NIOThreadPool(numberOfThreads: 2)
        self.threadPool.start()
        var cache: TieredCache?
        do {
            cache = try Self.makeCache(configuration.cache, threadPool: self.threadPool, logger: logger)
            self.cache = cache
            let accessLog = try AccessLogSink(config: configuration.logging.access)
            let runtime = try ProxyRuntime(
                configuration: configuration,
                fileIO: NonBlockingFileIO(threadPool: self.threadPool),
                accessLog: accessLog,
                cache: cache,
                threadPool: self.threadPool,
                security: try SecurityGate(configuration: configuration),
                logger: logger
            )
            let proxy = try ProxyServer(runtime: runtime, group: self.group, logger: logger)
            self.proxy = proxy
            if let adminConfig = configuration.admin {
                let backend = TernAdminBackend(proxy: proxy, cache: cache, configuration: configuration, eventLoop: self.group.next())
                do {
                    self.admin = try AdminServer(configuration: adminConfig, backend: backend, group: self.group)
                } catch {
                    proxy.shutdown(timeout: .zero)
                    throw error
                }
                logger.info("admin listener", metadata: ["address": "\(adminConfig.listen)"])
            } else {
                self.admin = nil
            }
        } catch {
            cache?.close()
            try? self.group.syncShutdownGracefully()
            try? self.threadPool.syncShutdownGracefully()
            throw error
        }
    }

    static func makeCache(_ config: CacheConfig, threadPool: NIOThreadPool, logger: Logger) throws -> TieredCache? {
        guard config.enabled else { return nil }
        let memory = MemoryTier(limit: config.memory.bytes, maxObjectSize: config.memoryMaxObjectSize.bytes, maxVariants: config.maxVariants)
        var disk: DiskTier?
        if let diskConfig = config.disk {
            let size = diskConfig.size.bytes
            var tierConfig = DiskTier.Configuration(
                directory: diskConfig.path,
                limit: size,
                mapSize: diskConfig.mapSize?.bytes ?? max(size + size / 2, size + (256 << 20)),
                maxVariants: config.maxVariants
            )
            tierConfig.onDamage = diskConfig.onDamage == .fail ? .fail : .reset
            tierConfig.faultHandler = DiskFaultLogger(logger: logger, directory: diskConfig.path).report
            let tier = try DiskTier(configuration: tierConfig)
            if case .resetAfterDamage(let reason, let movedTo) = tier.openReport {
                logger.error("disk cache store was damaged: moved aside, starting with an empty store", metadata: [
                    "directory": "\(diskConfig.path)", "reason": "\(reason)", "moved_to": "\(movedTo)",
                ])
            }
            disk = tier
        }
        let admission: TieredCache.Admission = config.admission == .diskFirst ? .diskFirst : .both
        return TieredCache(memory: memory, disk: disk, threadPool: threadPool, admission: admission)
    }

    /// The first listener's port (handy when the configuration asked for port 0).
    public var port: Int { self.proxy.boundAddresses.first?.port ?? 0 }

    /// Drains and stops everything (stop accepting, finish in-flight requests up to the
    /// configured `shutdown_timeout`, close the rest).
    public func shutdown() {
        try? self.admin?.shutdown().wait()
        self.proxy.shutdown(timeout: TimeAmount(self.configuration.shutdownTimeout))
        self.cache?.close()
        try? self.group.syncShutdownGracefully()
        try? self.threadPool.syncShutdownGracefully()
    }

    /// Blocks until SIGTERM or SIGINT, then shuts down gracefully.
    public func runUntilSignalled() {
        let semaphore = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "tern.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { semaphore.signal() }
            source.resume()
            sources.append(source)
        }
        // SIGHUP reloads the WAF rules; a failed reload keeps the old ones and says why.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hangup.setEventHandler { [proxy = self.proxy, logger = self.logger] in
            guard let gate = proxy.runtime.security, gate.waf != nil else { return }
            do {
                try gate.reloadWAF()
                logger.notice("WAF rules reloaded")
            } catch {
                logger.error("WAF reload failed; keeping the previous rules", metadata: ["error": "\(error)"])
            }
        }
        hangup.resume()
        sources.append(hangup)
        semaphore.wait()
        self.logger.notice("shutting down: draining in-flight requests", metadata: [
            "timeout": "\(self.configuration.shutdownTimeout)",
        ])
        self.shutdown()
        for source in sources { source.cancel() }
        self.logger.notice("stopped")
    }
}

/// Logs the disk tier's faults: every read-only/writable change, and write failures at most once a
/// minute per kind (with the number suppressed meanwhile), so a full disk cannot flood the log.
final class DiskFaultLogger: Sendable {
    private let logger: Logger
    private let directory: String
    private let limiter = NIOLockedValueBox(LogRateLimiter(intervalNanoseconds: 60_000_000_000))

    init(logger: Logger, directory: String) {
        self.logger = logger
        self.directory = directory
    }

    @Sendable func report(_ event: DiskFaultEvent) {
        switch event {
        case .writeFailed(let kind, let code, let message, let dropped):
            let (report, suppressed) = self.limiter.withLockedValue {
                $0.shouldReport(kind.rawValue, now: NIODeadline.now().uptimeNanoseconds)
            }
            guard report else { return }
            self.logger.error("disk cache write failed", metadata: [
                "directory": "\(self.directory)", "kind": "\(kind.rawValue)", "code": "\(code)", "error": "\(message)",
                "dropped_objects": "\(dropped)", "similar_failures_not_logged": "\(suppressed)",
            ])
        case .becameReadOnly(let kind):
            self.logger.error("disk cache is read-only until writes work again: serving what it has, storing nothing new", metadata: [
                "directory": "\(self.directory)", "kind": "\(kind.rawValue)",
            ])
        case .becameWritable:
            self.logger.notice("disk cache is writable again", metadata: ["directory": "\(self.directory)"])
        }
    }
}
