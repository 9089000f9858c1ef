/// Why a ``FileOrigin`` could not be created.
public struct FileOriginError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Sendable, Hashable {
        /// The root does not exist or cannot be resolved (`realpath` failed).
        case rootNotFound = "root-not-found"
        /// The root exists but is not a directory.
        case rootNotDirectory = "root-not-directory"
        /// An `index` entry is empty, `.`/`..`, contains `/` or NUL, or starts with `.`.
        case invalidIndexName = "invalid-index-name"
    }

    /// What went wrong.
    public var kind: Kind
    /// The path or index name concerned.
    public var path: String
    /// The `errno` reported by the system call, when one failed.
    public var errno: Int32?

    /// Creates an error.
    public init(kind: Kind, path: String, errno: Int32? = nil) {
        self.kind = kind
        self.path = path
        self.errno = errno
    }

    public var description: String {
        switch self.kind {
        case .rootNotFound:
            let reason = self.errno.map { " (errno \($0))" } ?? ""
            return "file origin root '\(self.path)' does not exist or cannot be resolved\(reason)"
        case .rootNotDirectory:
            return "file origin root '\(self.path)' is not a directory"
        case .invalidIndexName:
            return "file origin index name '\(self.path)' must be a plain file name (no '/', not starting with '.')"
        }
    }
}
