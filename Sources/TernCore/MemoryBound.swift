/// The memory bound Tern keeps (Docs/reliability.md, "Memory").
///
/// With a memory tier of `memory` bytes, the process's anonymous resident memory (`RssAnon`) stays
/// below ``limit(memory:connections:)``: the tier itself, a fixed overhead (runtime, event loops,
/// thread pool, allocator arenas, the other caches' bounded budgets), and a cost per open client
/// connection. The figures are measured (Docs/reliability.md says how) and rounded up.
public enum MemoryBound {
    /// Anonymous memory the process needs beyond the memory tier, whatever the load.
    public static let fixedOverhead: Int64 = 24 << 20
    /// Anonymous memory per open client connection (buffers, handler state).
    public static let perConnection: Int64 = 256 << 10

    /// The bound on `RssAnon` for a memory tier of `memory` bytes and `connections` open client connections.
    public static func limit(memory: Int64, connections: Int) -> Int64 {
        max(0, memory) + self.fixedOverhead + Int64(max(0, connections)) * self.perConnection
    }
}
