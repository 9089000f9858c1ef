/// Every metric Tern exports, declared once (see ``MetricDescriptor``). Order here is the order of `/metrics` and
/// of `Docs/metrics.md`.
///
/// To add a metric: add its field to ``StatsSnapshot`` (the backend fills it), declare it here, and regenerate the
/// docs with `TERN_REGENERATE_DOCS=1 swift test --filter MetricsDocTests`.
public enum MetricCatalog {
    /// All metrics.
    public static let all: [MetricDescriptor] = general + cache + storage + origins + compression + security
        + connections + memory

    static let general: [MetricDescriptor] = [
        MetricDescriptor(
            "tern_uptime_seconds", .gauge, help: "Seconds since the process started.", json: "uptimeSeconds"
        ) { $0.uptimeSeconds },
        MetricDescriptor(
            "tern_requests_total", .counter, help: "Client requests answered, every status and outcome.",
            json: "requests"
        ) { Double($0.requests) },
    ]

    static let cache: [MetricDescriptor] = [
        MetricDescriptor(
            "tern_cache_hits_total", .counter, help: "Fresh cache hits, by storage tier.", labels: ["tier"],
            json: "cache.hitsMemory, cache.hitsDisk"
        ) { [.init(["memory"], Double($0.cache.hitsMemory)), .init(["disk"], Double($0.cache.hitsDisk))] },
        MetricDescriptor(
            "tern_cache_misses_total", .counter, help: "Cache misses: fetched from an origin.", json: "cache.misses"
        ) { Double($0.cache.misses) },
        MetricDescriptor(
            "tern_cache_stale_served_total", .counter,
            help: "Stale objects served (stale-while-revalidate, stale-if-error).", json: "cache.staleServed"
        ) { Double($0.cache.staleServed) },
        MetricDescriptor(
            "tern_cache_revalidations_total", .counter,
            help: "Conditional requests to origins, by result: not_modified (304, reused) or modified (200).",
            labels: ["result"], json: "cache.revalidatedNotModified, cache.revalidatedModified"
        ) {
            [
                .init(["not_modified"], Double($0.cache.revalidatedNotModified)),
                .init(["modified"], Double($0.cache.revalidatedModified)),
            ]
        },
        MetricDescriptor(
            "tern_cache_coalesced_total", .counter,
            help: "Requests answered by waiting for another request's fetch of the same object.",
            json: "cache.coalesced"
        ) { Double($0.cache.coalesced) },
        MetricDescriptor(
            "tern_cache_bypassed_total", .counter,
            help: "Requests that skipped the cache by configuration or request.", json: "cache.bypassed"
        ) { Double($0.cache.bypassed) },
        MetricDescriptor(
            "tern_cache_hit_for_miss_total", .counter,
            help: "Requests sent straight to the origin because the object recently proved uncacheable.",
            json: "cache.hitForMiss"
        ) { Double($0.cache.hitForMiss) },
        MetricDescriptor(
            "tern_cache_lock_timeouts_total", .counter,
            help: "Waits for another request's fetch that gave up after cache.lock_timeout.",
            json: "cache.lockTimeouts"
        ) { Double($0.cache.lockTimeouts) },
        MetricDescriptor(
            "tern_cache_hit_ratio", .gauge,
            help: "Hit ratio by requests since start: (hits + stale + 304 + coalesced) / (that + misses + 200 revalidations).",
            json: "cache.hitRatio"
        ) { $0.cache.hitRatio },
        MetricDescriptor(
            "tern_cache_byte_hit_ratio", .gauge,
            help: "Hit ratio by bytes since start: body bytes served from cache / body bytes served.",
            json: "bytes.hitRatio"
        ) { $0.bytes.hitRatio },
        MetricDescriptor(
            "tern_bytes_served_total", .counter, help: "Response body bytes sent to clients.", json: "bytes.served"
        ) { Double($0.bytes.served) },
        MetricDescriptor(
            "tern_bytes_served_from_cache_total", .counter,
            help: "Response body bytes sent to clients from the cache.", json: "bytes.servedFromCache"
        ) { Double($0.bytes.servedFromCache) },
        MetricDescriptor(
            "tern_origin_bytes_fetched_total", .counter, help: "Response body bytes received from origins.",
            json: "bytes.fetchedFromOrigins"
        ) { Double($0.bytes.fetchedFromOrigins) },
        MetricDescriptor(
            "tern_purge_requests_total", .counter,
            help: "Purge requests executed (admin API and PURGE method; dry runs excluded).",
            json: "purges.requests"
        ) { Double($0.purges.requests) },
        MetricDescriptor(
            "tern_purged_objects_total", .counter,
            help: "Objects purged, by mode: hard (deleted) or soft (marked stale).", labels: ["mode"],
            json: "purges.hardPurgedObjects, purges.softPurgedObjects"
        ) {
            [
                .init(["hard"], Double($0.purges.hardPurgedObjects)),
                .init(["soft"], Double($0.purges.softPurgedObjects)),
            ]
        },
    ]

    static let storage: [MetricDescriptor] = [
        MetricDescriptor(
            "tern_cache_objects", .gauge, help: "Objects (variants) stored, by tier.", labels: ["tier"],
            json: "tiers[].objects"
        ) { $0.tiers.map { .init([$0.name], Double($0.objects)) } },
        MetricDescriptor(
            "tern_cache_bytes", .gauge, help: "Bytes stored, by tier.", labels: ["tier"], json: "tiers[].bytes"
        ) { $0.tiers.map { .init([$0.name], Double($0.bytes)) } },
        MetricDescriptor(
            "tern_cache_limit_bytes", .gauge, help: "Configured capacity in bytes, by tier.", labels: ["tier"],
            json: "tiers[].limitBytes"
        ) { $0.tiers.map { .init([$0.name], Double($0.limitBytes)) } },
        MetricDescriptor(
            "tern_cache_evictions_total", .counter, help: "Objects evicted to make room, by tier.",
            labels: ["tier"], json: "tiers[].evictions"
        ) { $0.tiers.map { .init([$0.name], Double($0.evictions)) } },
        MetricDescriptor(
            "tern_cache_disk_read_only", .gauge,
            help: "1 while the disk tier stores nothing new after a write failure (it still serves; a probe turns writes back on).",
            json: "tiers[].readOnly"
        ) { snapshot in snapshot.tiers.filter { $0.name == "disk" }.map { .init([], $0.readOnly ? 1 : 0) } },
        MetricDescriptor(
            "tern_cache_disk_write_failures_total", .counter,
            help: "Disk tier commits that failed, by kind: no_space, io, read_only_fs, map_full, other.",
            labels: ["kind"], json: "tiers[].writeFailures{}"
        ) { snapshot in
            snapshot.tiers.filter { $0.name == "disk" }.flatMap { tier in
                tier.writeFailures.sorted { $0.key < $1.key }.map { .init([$0.key], Double($0.value)) }
            }
        },
        MetricDescriptor(
            "tern_cache_disk_map_full_recoveries_total", .counter,
            help: "Times the disk tier's LMDB map filled up and was recovered by evicting the oldest entries (nothing lost).",
            json: "tiers[].mapFullRecoveries"
        ) { snapshot in snapshot.tiers.filter { $0.name == "disk" }.map { .init([], Double($0.mapFullRecoveries)) } },
        MetricDescriptor(
            "tern_cache_disk_dropped_writes_total", .counter,
            help: "Objects the disk tier did not store: queue full, read-only, failed commit, or larger than the map.",
            json: "tiers[].droppedWrites"
        ) { snapshot in snapshot.tiers.filter { $0.name == "disk" }.map { .init([], Double($0.droppedWrites)) } },
        MetricDescriptor(
            "tern_cache_disk_checksum_failures_total", .counter,
            help: "Disk tier bodies whose checksum did not match on read (deleted, answered as a miss).",
            json: "tiers[].checksumFailures"
        ) { snapshot in snapshot.tiers.filter { $0.name == "disk" }.map { .init([], Double($0.checksumFailures)) } },
        MetricDescriptor(
            "tern_cache_disk_damage_resets_total", .counter,
            help: "1 when the disk store was found damaged at start (truncated, bad meta pages), moved aside and replaced by an empty one.",
            json: "tiers[].damageResets"
        ) { snapshot in snapshot.tiers.filter { $0.name == "disk" }.map { .init([], Double($0.damageResets)) } },
    ]

    static let originLabels = ["pool", "member"]

    static let origins: [MetricDescriptor] = [
        MetricDescriptor(
            "tern_origin_healthy", .gauge,
            help: "1 when the origin member receives requests, 0 when unhealthy, ejected or not yet checked.",
            labels: originLabels, json: "origins[].health"
        ) { $0.origins.map { .init([$0.pool, $0.url], $0.health == .healthy ? 1 : 0) } },
        MetricDescriptor(
            "tern_origin_latency_seconds", .gauge,
            help: "Origin first-byte latency over a recent window, by quantile (0.5, 0.99).",
            labels: originLabels + ["quantile"], json: "origins[].latencyP50Ms, origins[].latencyP99Ms"
        ) {
            $0.origins.flatMap { member in
                [
                    MetricDescriptor.Sample([member.pool, member.url, "0.5"], member.latencyP50Ms / 1000),
                    MetricDescriptor.Sample([member.pool, member.url, "0.99"], member.latencyP99Ms / 1000),
                ]
            }
        },
        MetricDescriptor(
            "tern_origin_errors_total", .counter,
            help: "Failed origin requests (connect errors, timeouts, resets).", labels: originLabels,
            json: "origins[].errors"
        ) { $0.origins.map { .init([$0.pool, $0.url], Double($0.errors)) } },
        MetricDescriptor(
            "tern_origin_open_connections", .gauge, help: "Open connections to the origin member, idle or busy.",
            labels: originLabels, json: "origins[].openConnections"
        ) { $0.origins.map { .init([$0.pool, $0.url], Double($0.openConnections)) } },
        MetricDescriptor(
            "tern_origin_requests_total", .counter, help: "Requests sent to the origin member.",
            labels: originLabels, json: "origins[].requests"
        ) { $0.origins.map { .init([$0.pool, $0.url], Double($0.requests)) } },
        MetricDescriptor(
            "tern_origin_ejections_total", .counter,
            help: "Times the member was taken out of service, by reason: connect, reset, timeout, invalid_response, 5xx (passive) or probe (active checks).",
            labels: originLabels + ["reason"], json: "origins[].ejections{}"
        ) {
            $0.origins.flatMap { member in
                member.ejections.sorted { $0.key < $1.key }.map { .init([member.pool, member.url, $0.key], Double($0.value)) }
            }
        },
        MetricDescriptor(
            "tern_origin_ejections_suppressed_total", .counter,
            help: "Passive ejections not carried out because the member was its pool's last available one, by reason.",
            labels: originLabels + ["reason"], json: "origins[].ejectionsSuppressed{}"
        ) {
            $0.origins.flatMap { member in
                member.ejectionsSuppressed.sorted { $0.key < $1.key }.map { .init([member.pool, member.url, $0.key], Double($0.value)) }
            }
        },
        MetricDescriptor(
            "tern_origin_returns_total", .counter,
            help: "Times the member returned to service after an ejection or failed probes.",
            labels: originLabels, json: "origins[].returns"
        ) { $0.origins.map { .init([$0.pool, $0.url], Double($0.returns)) } },
    ]

    static let compression: [MetricDescriptor] = [
        MetricDescriptor(
            "tern_compression_input_bytes_total", .counter, help: "Bytes before compression, by content coding.",
            labels: ["coding"], json: "compression[].bytesIn"
        ) { $0.compression.map { .init([$0.coding], Double($0.bytesIn)) } },
        MetricDescriptor(
            "tern_compression_output_bytes_total", .counter, help: "Bytes after compression, by content coding.",
            labels: ["coding"], json: "compression[].bytesOut"
        ) { $0.compression.map { .init([$0.coding], Double($0.bytesOut)) } },
        MetricDescriptor(
            "tern_compressions_total", .counter, help: "Bodies compressed, by content coding.", labels: ["coding"],
            json: "compression[].compressions"
        ) { $0.compression.map { .init([$0.coding], Double($0.compressions)) } },
    ]

    static let security: [MetricDescriptor] = [
        MetricDescriptor(
            "tern_waf_blocks_total", .counter, help: "Requests blocked by the WAF, by deciding rule id.",
            labels: ["rule"], json: "waf.blocksByRule{}"
        ) { $0.waf.blocksByRule.sorted { $0.key < $1.key }.map { .init([$0.key], Double($0.value)) } },
        MetricDescriptor(
            "tern_waf_detections_total", .counter, help: "WAF rule matches that did not block.",
            json: "waf.detections"
        ) { Double($0.waf.detections) },
        MetricDescriptor(
            "tern_rate_limit_rejections_total", .counter, help: "Requests rejected by rate limiting, by policy.",
            labels: ["policy"], json: "rateLimitRejections{}"
        ) { $0.rateLimitRejections.sorted { $0.key < $1.key }.map { .init([$0.key], Double($0.value)) } },
        MetricDescriptor(
            "tern_acl_denials_total", .counter, help: "Requests denied by an access-control list.",
            json: "aclDenials"
        ) { Double($0.aclDenials) },
    ]

    static let connections: [MetricDescriptor] = [
        MetricDescriptor(
            "tern_connections_open", .gauge, help: "Client connections open on the data listeners.",
            json: "connections.open"
        ) { Double($0.connections.open) },
        MetricDescriptor(
            "tern_connections_accepted_total", .counter, help: "Client connections accepted.",
            json: "connections.accepted"
        ) { Double($0.connections.accepted) },
        MetricDescriptor(
            "tern_connections_rejected_total", .counter,
            help: "Client connections refused (connection limit or ACL).", json: "connections.rejected"
        ) { Double($0.connections.rejected) },
    ]

    static let memory: [MetricDescriptor] = [
        MetricDescriptor(
            "tern_memory_bytes", .gauge,
            help: "Bytes the cache path holds, by account: tier, fills, compression, disk_queue, memos.",
            labels: ["part"], json: "memory.parts[].bytes"
        ) { $0.memory.parts.map { .init([$0.name], Double($0.bytes)) } },
        MetricDescriptor(
            "tern_memory_limit_bytes", .gauge, help: "Budget in bytes of each memory account.",
            labels: ["part"], json: "memory.parts[].limitBytes"
        ) { $0.memory.parts.map { .init([$0.name], Double($0.limitBytes)) } },
        MetricDescriptor(
            "tern_memory_refusals_total", .counter,
            help: "Times an account's budget said no: fills streamed unstored, encodings skipped, disk writes dropped.",
            labels: ["part"], json: "memory.parts[].refusals"
        ) { $0.memory.parts.map { .init([$0.name], Double($0.refusals)) } },
        MetricDescriptor(
            "tern_process_anonymous_bytes", .gauge, help: "The process's anonymous resident memory (RssAnon).",
            json: "memory.processAnonymousBytes"
        ) { Double($0.memory.processAnonymousBytes) },
        MetricDescriptor(
            "tern_process_resident_bytes", .gauge, help: "The process's resident set size (VmRSS).",
            json: "memory.processResidentBytes"
        ) { Double($0.memory.processResidentBytes) },
        MetricDescriptor(
            "tern_memory_bound_bytes", .gauge,
            help: "The documented bound on anonymous memory for this configuration and the open connections.",
            json: "memory.boundBytes"
        ) { Double($0.memory.boundBytes) },
    ]
}
