import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a disk write failed, for counters, logs and metric labels (`rawValue`).
public enum DiskWriteFailure: String, CaseIterable, Sendable, Equatable {
    /// The filesystem is full (`ENOSPC`) or over quota (`EDQUOT`).
    case noSpace = "no_space"
    /// The device reported an I/O error (`EIO`).
    case io
    /// The filesystem refuses writes (`EROFS`, `EACCES`, `EPERM`).
    case readOnlyFilesystem = "read_only_fs"
    /// `MDB_MAP_FULL` that evicting could not resolve (an object larger than the whole map).
    case mapFull = "map_full"
    /// Any other LMDB or system error.
    case other

    /// Classifies an LMDB return code (LMDB returns `errno` values for system errors).
    public static func classify(_ code: Int32) -> DiskWriteFailure {
        switch code {
        case ENOSPC, EDQUOT: return .noSpace
        case EIO: return .io
        case EROFS, EACCES, EPERM: return .readOnlyFilesystem
        case LMDB.mapFull: return .mapFull
        default: return .other
        }
    }

    /// Whether the tier stops writing until a probe succeeds: every failure except a single object
    /// too large for the map, which says nothing about the next write.
    public var makesReadOnly: Bool { self != .mapFull }
}

/// What the disk tier reports to its owner (the server logs these, rate-limited).
public enum DiskFaultEvent: Sendable, Equatable {
    /// A batch could not be committed; its puts (`droppedPuts`) are lost, its removals are kept and retried.
    case writeFailed(DiskWriteFailure, code: Int32, message: String, droppedPuts: Int)
    /// Writes failed: the tier serves what it has and stores nothing new until a probe succeeds.
    case becameReadOnly(DiskWriteFailure)
    /// A probe write succeeded (space returned): the tier stores again.
    case becameWritable

    /// A stable name for logs.
    public var name: String {
        switch self {
        case .writeFailed: return "write_failed"
        case .becameReadOnly: return "read_only"
        case .becameWritable: return "writable"
        }
    }
}

/// A test seam: makes the tier's commits fail with an `errno` value and reports a chosen amount
/// of free space, so disk-full handling can be tested without filling a filesystem.
public final class DiskFaultInjector: Sendable {
    private let state = NIOLockedValueBox<(commitError: Int32?, freeBytes: Int64?)>((nil, nil))

    public init() {}

    /// When set, every commit (and probe) fails with this code until it is cleared.
    public var commitError: Int32? {
        get { self.state.withLockedValue { $0.commitError } }
        set { self.state.withLockedValue { $0.commitError = newValue } }
    }

    /// When set, the free space the tier sees instead of `statvfs`'s answer.
    public var freeBytes: Int64? {
        get { self.state.withLockedValue { $0.freeBytes } }
        set { self.state.withLockedValue { $0.freeBytes = newValue } }
    }
}

/// At most one report per `interval` for each key; reports in between are counted and handed to the
/// next one (`suppressed`). Pure: time comes in as a parameter.
public struct LogRateLimiter: Sendable {
    public let intervalNanoseconds: UInt64
    private var last: [String: UInt64] = [:]
    private var suppressed: [String: Int] = [:]

    public init(intervalNanoseconds: UInt64) {
        self.intervalNanoseconds = intervalNanoseconds
    }

    /// Whether to emit a report for `key` at `now` (monotonic nanoseconds), and how many were
    /// suppressed since the last one emitted.
    public mutating func shouldReport(_ key: String, now: UInt64) -> (report: Bool, suppressed: Int) {
        if let previous = self.last[key], now &- previous < self.intervalNanoseconds {
            self.suppressed[key, default: 0] += 1
            return (false, 0)
        }
        self.last[key] = now
        let count = self.suppressed.removeValue(forKey: key) ?? 0
        return (true, count)
    }
}

/// Free bytes for unprivileged users on the filesystem holding `path`, or nil when unknown.
func freeBytes(at path: String) -> Int64? {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return nil }
    return Int64(info.f_bavail) * Int64(info.f_frsize)
}

extension DiskTier {
    /// What to do when the store on disk is damaged at open.
    public enum DamagePolicy: String, Sendable, Equatable, CaseIterable {
        /// Move `data.mdb` aside as `data.mdb.damaged-<time>` and start with an empty store (the default:
        /// a cache can always be refilled, and a supervisor restarting the process must not loop).
        case reset
        /// Refuse to open, with a clear error.
        case fail
    }

    /// What happened when the tier opened, for the owner to log.
    public enum OpenReport: Sendable, Equatable {
        /// The store opened as it was.
        case opened
        /// The store was damaged, moved aside to `movedTo`, and replaced by an empty one.
        case resetAfterDamage(reason: String, movedTo: String)
    }
}

/// Damage found while opening a store (internal: the tier turns it into a report or an error).
struct DiskStoreDamage: Error, CustomStringConvertible {
    var reason: String
    var description: String { self.reason }
}
