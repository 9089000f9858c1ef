import NIOConcurrencyHelpers
import NIOCore
import TernAdmin
import TernStorage

/// Carries out purge requests against the tiered cache (admin `POST /purge`, the data listener's
/// `PURGE` method, `tern purge`).
///
/// Selection follows ``PurgeRequest/matches(host:pathAndQuery:tags:)`` so the documented semantics
/// live in one place. A purge bumps the storage purge generation, so a fill that was already in
/// flight for a purged object does not store its result (``TieredCache/store(_:startedAtGeneration:)``).
public final class CachePurger: Sendable {
    let cache: TieredCache
    private let recent = NIOLockedValueBox<[PurgeEvent]>([])
    private let counters = NIOLockedValueBox(PurgeCounters())

    init(cache: TieredCache) {
        self.cache = cache
    }

    /// Host (without port) and path-with-query of a primary cache key
    /// (`http://host[:port]/path?query[␟extras]`).
    static func split(primaryKey: String) -> (host: String, pathAndQuery: String) {
        var key = Substring(primaryKey)
        if let extras = key.firstIndex(of: "\u{1F}") { key = key[..<extras] }
        if let scheme = key.firstIndex(of: ":"), key[scheme...].hasPrefix("://") {
            key = key[key.index(scheme, offsetBy: 3)...]
        }
        let slash = key.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? key.endIndex
        var host = key[..<slash]
        if !host.hasPrefix("["), let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        } else if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = host[...close]
        }
        var path = String(key[slash...])
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        return (String(host), path)
    }

    public func purge(_ request: PurgeRequest, on eventLoop: any EventLoop) -> EventLoopFuture<PurgeResult> {
        let predicate: @Sendable (CacheEntryMeta) -> Bool = { meta in
            let (host, pathAndQuery) = CachePurger.split(primaryKey: meta.primaryKey)
            return request.matches(host: host, pathAndQuery: pathAndQuery, tags: meta.tags)
        }
        let sample = self.cache.metas(where: predicate, on: eventLoop)
            .map { metas in Array(Set(metas.map(\.primaryKey))).sorted().prefix(100) }
            .recover { _ in [] }
        if request.dryRun {
            return self.cache.metas(where: predicate, on: eventLoop).recover { _ in [] }.and(sample).map { metas, sample in
                PurgeResult(matched: metas.count, purged: 0, soft: request.soft, dryRun: true, sample: Array(sample))
            }
        }
        return sample.flatMap { sample in
            let work = request.soft
                ? self.cache.markSoftPurged(where: predicate, on: eventLoop)
                : self.cache.removeAll(where: predicate, on: eventLoop)
            return work.map { purged in (sample, purged) }
        }.map { sample, purged in
            self.counters.withLockedValue { counters in
                counters.requests += 1
                if request.soft { counters.softPurgedObjects += purged } else { counters.hardPurgedObjects += purged }
            }
            self.recent.withLockedValue { events in
                events.insert(PurgeEvent(time: Date(), summary: Self.summary(request, purged: purged)), at: 0)
                if events.count > 30 { events.removeLast(events.count - 30) }
            }
            return PurgeResult(matched: purged, purged: purged, soft: request.soft, dryRun: false, sample: Array(sample))
        }
    }

    public var purgeCounters: PurgeCounters { self.counters.withLockedValue { $0 } }
    public var recentPurges: [PurgeEvent] { self.recent.withLockedValue { $0 } }

    static func summary(_ request: PurgeRequest, purged: Int) -> String {
        var parts: [String] = []
        if request.all { parts.append("all") }
        parts += request.urls.map { "url \($0)" } + request.prefixes.map { "prefix \($0)" }
        parts += request.hosts.map { "host \($0)" } + request.tags.map { "tag \($0)" }
        return "\(request.soft ? "soft" : "hard") purge of \(parts.joined(separator: ", ")): \(purged) object(s)"
    }
}

import struct Foundation.Date
