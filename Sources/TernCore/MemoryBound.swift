/// The memory bound Tern keeps (Docs/reliability.md, "Memory").
///
/// With a memory tier of `memory` bytes, the process's anonymous resident memory (`RssAnon`) stays
/// below ``limit(memory:connections:)``: the tier itself, a fixed overhead, and a cost per open
/// client connection. The fixed overhead is the runtime's base plus the byte budgets of everything
/// else the cache path holds (``MemoryBudget``); all figures are measured (Docs/reliability.md says
/// how) and rounded up.
public enum MemoryBound {
    /// The runtime, event loops, thread pool and allocator arenas, measured under the workloads of
    /// `MemoryBoundTests` beyond the counted budgets.
    public static let baseOverhead: Int64 = 16 << 20
    /// The br/gzip encoders' working memory on the two thread-pool threads (brotli quality 8 with a
    /// 4 MiB window allocates its ring buffer and hash tables per encoding), and what those threads'
    /// malloc arenas keep after it: measured at ~20 MiB beyond the uncompressed workload.
    public static let encoderWorkspace: Int64 = 16 << 20
    /// Anonymous memory per open client connection (socket read buffer, handler and pipeline state,
    /// the part of a response waiting for a slow client that no other account holds).
    public static let perConnection: Int64 = 256 << 10

    /// Everything but the memory tier and the connections, for `budget`.
    public static func fixedOverhead(_ budget: MemoryBudget) -> Int64 {
        self.baseOverhead + self.encoderWorkspace + budget.fills + budget.compression + budget.diskQueue + budget.memos
    }

    /// The bound on `RssAnon` for `budget` and `connections` open client connections.
    public static func limit(_ budget: MemoryBudget, connections: Int) -> Int64 {
        budget.memoryTier + self.fixedOverhead(budget) + Int64(max(0, connections)) * self.perConnection
    }

    /// The bound for a memory tier of `memory` bytes, no disk tier and `workers` event loops.
    public static func limit(memory: Int64, workers: Int = 2, connections: Int) -> Int64 {
        self.limit(MemoryBudget(memory: memory, diskQueue: 0, workers: workers), connections: connections)
    }
}

/// The byte budgets of what the cache path holds besides the memory tier. Each is enforced where
/// the bytes are taken (a fill stops buffering, a compression is skipped, a disk write is dropped,
/// a memo is cleared) and reported in `/stats` and `/metrics` (`tern_memory_bytes{part=…}`).
public struct MemoryBudget: Sendable, Equatable {
    /// The memory tier (`cache.memory`).
    public var memoryTier: Int64
    /// Body bytes buffered by fills in flight (kept to be stored, and replayed to late joiners).
    public var fills: Int64
    /// Bodies queued for, or being, encoded in br/gzip, and the encoded output (charged twice the body).
    public var compression: Int64
    /// The disk writer's queue (`0` without a disk tier).
    public var diskQueue: Int64
    /// The per-event-loop memos of policy results and cache keys, all loops together, and the
    /// hit-for-miss marks.
    public var memos: Int64

    /// Fills: a quarter of the memory tier, at least 8 MiB, at most 64 MiB.
    public static func fills(memory: Int64) -> Int64 { min(max(memory / 4, 8 << 20), 64 << 20) }
    /// Compression work: an eighth of the memory tier, at least 4 MiB, at most 32 MiB.
    public static func compression(memory: Int64) -> Int64 { min(max(memory / 8, 4 << 20), 32 << 20) }
    /// Per memo (two per event loop).
    public static let memoPerLoop: Int64 = 1 << 20
    /// The hit-for-miss marks (keys that recently answered uncacheable), shared by all loops; in `memos`.
    public static let hitForMiss = 4 << 20

    public init(memory: Int64, diskQueue: Int64, workers: Int) {
        self.memoryTier = max(0, memory)
        self.fills = Self.fills(memory: max(0, memory))
        self.compression = Self.compression(memory: max(0, memory))
        self.diskQueue = max(0, diskQueue)
        self.memos = 2 * Self.memoPerLoop * Int64(max(1, workers)) + Int64(Self.hitForMiss)
    }

    /// Whether `adding` more bytes to an account holding `current` stays within `limit`. An account
    /// may always take one request when empty, so a single object larger than its budget still
    /// gets through alone (it is bounded by `max_object_size`).
    public static func admits(current: Int64, adding: Int64, limit: Int64) -> Bool {
        current == 0 || current + adding <= limit
    }
}

/// `RssAnon` and `VmRSS` in bytes, parsed from the text of a Linux `/proc/PID/status` file (0 when absent).
public struct ProcStatusMemory: Sendable, Equatable {
    public var anonymous: Int64 = 0
    public var resident: Int64 = 0

    public init(status text: String) {
        for line in text.split(separator: "\n") {
            let isAnon = line.hasPrefix("RssAnon:")
            guard isAnon || line.hasPrefix("VmRSS:") else { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kib = Int64(fields[1]) else { continue }
            if isAnon { self.anonymous = kib * 1024 } else { self.resident = kib * 1024 }
        }
    }
}
