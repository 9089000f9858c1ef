/// Why the disk tier could not open or answer.
public enum DiskTierError: Error, Equatable, CustomStringConvertible {
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// The directory cannot be created, is not a directory, is not writable, or holds incompatible files.
    case directoryUnusable(path: String, reason: String)
    /// Another `DiskTier` (in this or another process) has the directory open.
    case alreadyInUse(path: String)
    /// An LMDB call failed.
    case lmdb(operation: String, code: Int32, message: String)
    /// The tier was closed.
    case closed
    /// The store is damaged (data file shorter than its metadata says, unreadable meta pages) and
    /// `onDamage` is `.fail`.
    case damaged(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            "disk cache: invalid configuration: \(message)"
        case .directoryUnusable(let path, let reason):
            "disk cache: cannot use directory \(path): \(reason)"
        case .alreadyInUse(let path):
            "disk cache: directory \(path) is already in use by another process or cache instance"
        case .lmdb(let operation, let code, let message):
            "disk cache: LMDB \(operation) failed: \(message) (\(code))"
        case .closed:
            "disk cache: closed"
        case .damaged(let path, let reason):
            "disk cache: the store in \(path) is damaged: \(reason); refusing to start (cache.disk.on_damage: fail). "
                + "Move \(path)/data.mdb aside (or set on_damage: reset to do that automatically and start empty), "
                + "or check it with: tern cache check \(path)"
        }
    }
}
