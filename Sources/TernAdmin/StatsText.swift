import Foundation

/// The readable summary `tern stats` prints.
public enum StatsText {
    /// A summary of `snapshot` from `node`, about 20 lines wide enough for 100 columns.
    public static func render(_ snapshot: StatsSnapshot, node: String) -> String {
        let s = snapshot.withDerivedRatios()
        let c = s.cache
        var lines: [String] = []
        lines.append("tern at \(node), up \(duration(s.uptimeSeconds))")
        lines.append(row("requests", "\(count(s.requests)) · hit ratio \(percent(c.hitRatio)) by requests, \(percent(s.bytes.hitRatio)) by bytes"))
        lines.append(row("cache", "hits \(count(c.hitsMemory)) memory + \(count(c.hitsDisk)) disk · misses \(count(c.misses)) · stale \(count(c.staleServed))"))
        lines.append(row("", "revalidated \(count(c.revalidatedNotModified)) × 304, \(count(c.revalidatedModified)) × 200 · coalesced \(count(c.coalesced))"))
        lines.append(row("", "bypassed \(count(c.bypassed)) · hit-for-miss \(count(c.hitForMiss)) · lock timeouts \(count(c.lockTimeouts))"))
        lines.append(row("bytes", "served \(bytes(s.bytes.served)) (\(bytes(s.bytes.servedFromCache)) from cache) · fetched from origins \(bytes(s.bytes.fetchedFromOrigins))"))
        if s.tiers.isEmpty { lines.append(row("tiers", "none (caching off)")) }
        for (index, tier) in s.tiers.enumerated() {
            let fill = tier.limitBytes > 0 ? " (\(percent(Double(tier.bytes) / Double(tier.limitBytes))))" : ""
            lines.append(row(index == 0 ? "tiers" : "", "\(pad(tier.name, 7)) \(bytes(tier.bytes)) of \(bytes(tier.limitBytes))\(fill) · \(count(tier.objects)) objects · \(count(tier.evictions)) evicted"))
            let failures = tier.writeFailures.values.reduce(0, +)
            if tier.readOnly || failures > 0 || tier.damageResets > 0 {
                let state = [
                    tier.readOnly ? "READ-ONLY (writes failing)" : nil,
                    failures > 0 ? "\(count(failures)) write failures" : nil,
                    tier.damageResets > 0 ? "damaged store reset at start" : nil,
                ].compactMap { $0 }.joined(separator: " · ")
                lines.append(row("", "\(pad("", 7)) \(state)"))
            }
        }
        lines.append(row("purges", "\(count(s.purges.requests)) requests · \(count(s.purges.hardPurgedObjects)) objects deleted · \(count(s.purges.softPurgedObjects)) marked stale"))
        if s.origins.isEmpty { lines.append(row("origins", "none")) }
        for (index, member) in s.origins.enumerated() {
            let latency = String(format: "p50 %.1f ms, p99 %.1f ms", member.latencyP50Ms, member.latencyP99Ms)
            lines.append(row(index == 0 ? "origins" : "", "\(member.pool) \(member.url) \(member.health.rawValue.uppercased()) · \(latency) · \(count(member.requests)) req, \(count(member.errors)) err, \(member.openConnections) conns"))
            let ejections = member.ejections.values.reduce(0, +)
            let suppressed = member.ejectionsSuppressed.values.reduce(0, +)
            if ejections > 0 || suppressed > 0 {
                func reasons(_ counts: [String: Int]) -> String {
                    counts.sorted { $0.key < $1.key }.map { "\($0.key) \(count($0.value))" }.joined(separator: ", ")
                }
                var parts: [String] = []
                if ejections > 0 { parts.append("ejected \(count(ejections))× (\(reasons(member.ejections))), back \(count(member.returns))×") }
                if suppressed > 0 { parts.append("kept as last member \(count(suppressed))× (\(reasons(member.ejectionsSuppressed)))") }
                lines.append(row("", "  " + parts.joined(separator: " · ")))
            }
        }
        for (index, coding) in s.compression.enumerated() {
            let saved = coding.bytesIn > 0 ? " (\(percent(1 - Double(coding.bytesOut) / Double(coding.bytesIn))) saved)" : ""
            lines.append(row(index == 0 ? "compression" : "", "\(coding.coding): \(bytes(coding.bytesIn)) → \(bytes(coding.bytesOut))\(saved) · \(count(coding.compressions)) bodies"))
        }
        let blocks = s.waf.blocksByRule.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        let blockText = blocks.isEmpty ? "no blocks" : "blocks " + blocks.prefix(5).map { "\($0.key) × \(count($0.value))" }.joined(separator: ", ")
        lines.append(row("waf", "\(blockText) · detections \(count(s.waf.detections))"))
        let limits = s.rateLimitRejections.sorted { $0.key < $1.key }.map { "\($0.key) \(count($0.value))" }
        lines.append(row("rejections", "rate limit: \(limits.isEmpty ? "0" : limits.joined(separator: ", ")) · acl denials \(count(s.aclDenials))"))
        lines.append(row("connections", "open \(count(s.connections.open)) · accepted \(count(s.connections.accepted)) · rejected \(count(s.connections.rejected))"))
        return lines.joined(separator: "\n")
    }

    static func row(_ label: String, _ text: String) -> String {
        pad(label, 12) + " " + text
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `12,345`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `87.3%`.
    static func percent(_ ratio: Double) -> String {
        String(format: "%.1f%%", ratio.isFinite ? ratio * 100 : 0)
    }

    /// `1.2 GiB`.
    static func bytes(_ value: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : String(format: "%.1f ", amount) + units[unit]
    }

    /// `1d 2h 3m 4s`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(max(0, seconds))
        let days = total / 86_400, hours = total % 86_400 / 3_600, minutes = total % 3_600 / 60, secs = total % 60
        return (days > 0 ? "\(days)d " : "") + "\(hours)h \(minutes)m \(secs)s"
    }
}
