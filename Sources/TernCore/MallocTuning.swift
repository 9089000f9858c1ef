/// glibc allocator settings for `tern serve` (Docs/operations.md, "Memory allocator").
///
/// libmodsecurity allocates and frees thousands of small objects per transaction. glibc's per-thread
/// cache keeps only 7 free chunks per size by default; beyond that every free and most mallocs take the
/// arena lock, which a multi-threaded process (event loops + WAF threads) always pays, unlike a
/// single-threaded nginx worker. A larger cache cut the WAF's CPU per request by 5–10 % here
/// (Bench/waf-vs-nginx.sh). glibc reads tunables only at start-up, so `tern serve` re-executes itself
/// once with the setting added to `GLIBC_TUNABLES`.
public enum MallocTuning {
    /// Free chunks glibc keeps per size class and thread (glibc's default: 7). At most
    /// 128 × ~33 KiB ≈ 4 MiB of freed memory stays cached per thread.
    public static let tcacheCount = 128
    /// `TERN_MALLOC_TUNING=off` leaves the allocator alone.
    public static let switchVariable = "TERN_MALLOC_TUNING"

    /// The `GLIBC_TUNABLES` value to re-execute with, or `nil` when nothing should change: tuning
    /// switched off, or the operator already chose a tcache count.
    public static func tunables(existing: String?, switch value: String?) -> String? {
        if let value, ["off", "0", "no", "false"].contains(value.lowercased()) { return nil }
        let setting = "glibc.malloc.tcache_count=\(Self.tcacheCount)"
        guard let existing, !existing.isEmpty else { return setting }
        if existing.contains("glibc.malloc.tcache_count") { return nil }
        return existing + ":" + setting
    }
}
