#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few facts ``FileOrigin`` needs about one path, from `stat(2)`.
struct FileStat: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case regular
        case directory
        case other
    }

    var kind: Kind
    var inode: UInt64
    var size: Int64
    /// Modification time, whole seconds since the epoch.
    var modificationSeconds: Int64
    /// Modification time in nanoseconds since the epoch (wrapping, used only for the ETag).
    var modificationNanoseconds: Int64

    /// `stat(2)` (follows symbolic links); `nil` when it fails for any reason.
    static func stat(_ path: String) -> FileStat? {
        var st = SystemStat()
        let rc = path.withCString { systemStat($0, &st) }
        guard rc == 0 else { return nil }
        let kind: Kind
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        default: kind = .other
        }
        #if canImport(Darwin)
        let seconds = Int64(st.st_mtimespec.tv_sec)
        let nanoseconds = Int64(st.st_mtimespec.tv_nsec)
        #else
        let seconds = Int64(st.st_mtim.tv_sec)
        let nanoseconds = Int64(st.st_mtim.tv_nsec)
        #endif
        return FileStat(
            kind: kind,
            inode: UInt64(st.st_ino),
            size: Int64(st.st_size),
            modificationSeconds: seconds,
            modificationNanoseconds: seconds &* 1_000_000_000 &+ nanoseconds
        )
    }

    /// `realpath(3)`: the canonical absolute path with every symbolic link, `.` and `..`
    /// resolved; `nil` (with `errno`) when any component is missing or unreadable.
    static func realPath(_ path: String) -> (path: String?, errno: Int32) {
        let resolved = path.withCString { systemRealPath($0, nil) }
        guard let resolved else { return (nil, errno) }
        defer { free(resolved) }
        return (String(cString: resolved), 0)
    }
}

private typealias SystemStat = stat

private func systemStat(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<SystemStat>) -> Int32 {
    stat(path, buffer)
}

private func systemRealPath(_ path: UnsafePointer<CChar>, _ resolved: UnsafeMutablePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    realpath(path, resolved)
}
