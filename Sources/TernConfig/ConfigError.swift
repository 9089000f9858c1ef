/// One problem in a configuration, located at `file:line:column` with a hint on how to fix it.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name as given to the loader (or `<command line>` for quick mode).
    public var file: String
    /// 1-based line (0 when the problem has no position, e.g. an unreadable file or a command-line flag).
    public var line: Int
    /// 1-based column (for quick mode: the argument index).
    public var column: Int
    /// What is wrong, starting with the dotted key path (`origins.app.members[0].weight: ...`).
    public var message: String
    /// How to fix it, if there is a useful suggestion.
    public var hint: String?

    /// Creates an error.
    public init(file: String, line: Int, column: Int, message: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
    }

    /// `file:line:column: error: message (hint)`, the format compilers use so editors can jump to it.
    public var description: String {
        var text = "\(self.file):\(self.line):\(self.column): error: \(self.message)"
        if let hint = self.hint {
            text += " (\(hint))"
        }
        return text
    }
}

/// Every problem found in one configuration, ordered by position.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, at least one.
    public var errors: [ConfigError]

    /// Wraps `errors`.
    public init(errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String {
        self.errors.map(\.description).joined(separator: "\n")
    }
}
