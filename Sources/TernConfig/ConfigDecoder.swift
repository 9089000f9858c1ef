import TernCore
import Yams

/// Walks a composed YAML tree, turning it into typed values and collecting every problem with its position.
///
/// Each `decode…` method returns a best-effort value (falling back to defaults after an error) so that one
/// mistake does not hide the next; the caller throws if ``errors`` is non-empty at the end.
struct ConfigDecoder {
    /// A mapping entry, with the dotted path used in messages.
    struct Entry {
        var key: String
        var keyMark: Mark?
        var value: Node
        var path: String
    }

    /// The entries of one mapping, by key.
    struct Fields {
        var path: String
        var mark: Mark?
        var entries: [String: Entry]

        subscript(key: String) -> Entry? { self.entries[key] }
    }

    let fileName: String
    let baseDirectory: String
    private(set) var errors: [ConfigError] = []

    init(fileName: String, baseDirectory: String) {
        self.fileName = fileName
        self.baseDirectory = baseDirectory
    }

    // MARK: Reporting

    mutating func report(_ mark: Mark?, _ message: String, hint: String? = nil) {
        self.errors.append(
            ConfigError(
                file: self.fileName,
                line: mark?.line ?? 0,
                column: mark?.column ?? 0,
                message: message,
                hint: hint
            )
        )
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    // MARK: Node inspection

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        guard scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// A short description of what `node` is, for "expected X, got Y" messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(node) { return "nothing (null)" }
            return "'\(scalar.string)'"
        }
    }

    // MARK: Mappings

    /// Reads `node` as a mapping whose keys must be in `allowed`.
    ///
    /// Keys in `misplaced` are valid elsewhere; the associated text explains why they are wrong here.
    /// Merge keys (`<<: *anchor`) are expanded; explicit keys win over merged ones.
    /// A null node is an empty mapping when `nullIsEmpty` is set.
    mutating func fields(
        _ node: Node,
        path: String,
        allowed: [String],
        misplaced: [String: (message: String, hint: String?)] = [:],
        nullIsEmpty: Bool = true,
        what: String? = nil
    ) -> Fields? {
        if nullIsEmpty, ConfigDecoder.isNull(node) {
            return Fields(path: path, mark: node.mark, entries: [:])
        }
        guard case .mapping(let mapping) = node else {
            self.report(
                node.mark,
                "\(path.isEmpty ? "configuration" : path): expected a mapping, got \(ConfigDecoder.describe(node))",
                hint: what.map { "write e.g. \($0)" }
                    ?? "write key: value pairs indented under '\(path.isEmpty ? "the top level" : path)'"
            )
            return nil
        }
        var entries: [String: Entry] = [:]
        var merged: [(Node, Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode, !ConfigDecoder.isNull(keyNode) else {
                self.report(keyNode.mark, "\(path): keys must be plain strings, got \(ConfigDecoder.describe(keyNode))")
                continue
            }
            let key = keyScalar.string
            if key == "<<", keyScalar.style == .plain {
                merged += self.mergeSources(value, path: path)
                continue
            }
            if let reason = misplaced[key] {
                self.report(keyNode.mark, "\(ConfigDecoder.join(path, key)): \(reason.message)", hint: reason.hint)
                continue
            }
            guard allowed.contains(key) else {
                let location = path.isEmpty ? "unknown top-level key '\(key)'" : "unknown key '\(key)' in \(path)"
                self.report(keyNode.mark, location, hint: Suggestions.hint(for: key, candidates: allowed, noun: "keys"))
                continue
            }
            entries[key] = Entry(key: key, keyMark: keyNode.mark, value: value, path: ConfigDecoder.join(path, key))
        }
        for (keyNode, value) in merged {
            guard case .scalar(let keyScalar) = keyNode else { continue }
            let key = keyScalar.string
            guard entries[key] == nil else { continue }
            guard allowed.contains(key) else {
                self.report(
                    keyNode.mark,
                    "unknown key '\(key)' (merged into \(path.isEmpty ? "the top level" : path))",
                    hint: Suggestions.hint(for: key, candidates: allowed, noun: "keys")
                )
                continue
            }
            entries[key] = Entry(key: key, keyMark: keyNode.mark, value: value, path: ConfigDecoder.join(path, key))
        }
        return Fields(path: path, mark: node.mark, entries: entries)
    }

    private mutating func mergeSources(_ value: Node, path: String) -> [(Node, Node)] {
        switch value {
        case .mapping(let mapping):
            return Array(mapping.map { ($0.key, $0.value) })
        case .sequence(let sequence):
            return sequence.flatMap { self.mergeSources($0, path: path) }
        default:
            self.report(value.mark, "\(path): a merge key '<<' needs a mapping or a list of mappings")
            return []
        }
    }

    /// Reports a missing required key.
    mutating func missing(_ key: String, in fields: Fields, ownerMark: Mark?, example: String) {
        self.report(
            ownerMark ?? fields.mark,
            "\(fields.path.isEmpty ? "configuration" : fields.path): missing required key '\(key)'",
            hint: "add e.g. \(example)"
        )
    }

    // MARK: Lists

    /// Reads `node` as a list; a single scalar becomes a one-element list when `scalarIsList` is set.
    mutating func list(_ entry: Entry, scalarIsList: Bool = false, example: String) -> [(Node, String)]? {
        switch entry.value {
        case .sequence(let sequence):
            return sequence.enumerated().map { ($0.element, "\(entry.path)[\($0.offset)]") }
        case .scalar where scalarIsList && !ConfigDecoder.isNull(entry.value):
            return [(entry.value, entry.path)]
        default:
            self.report(
                entry.value.mark ?? entry.keyMark,
                "\(entry.path): expected a list, got \(ConfigDecoder.describe(entry.value))",
                hint: "write e.g. \(example)"
            )
            return nil
        }
    }

    // MARK: Scalars

    /// The text of a non-null scalar, or an error naming what was expected.
    mutating func scalarText(_ node: Node, path: String, expected: String, mark: Mark? = nil) -> String? {
        guard case .scalar(let scalar) = node, !ConfigDecoder.isNull(node) else {
            self.report(
                node.mark ?? mark,
                "\(path): expected \(expected), got \(ConfigDecoder.describe(node))"
            )
            return nil
        }
        return scalar.string
    }

    mutating func string(_ entry: Entry, expected: String = "a string") -> String? {
        self.scalarText(entry.value, path: entry.path, expected: expected, mark: entry.keyMark)
    }

    /// A string with no control characters (safe to put in a header or a path), not empty.
    mutating func cleanString(_ entry: Entry, expected: String = "a string") -> String? {
        guard let text = self.string(entry, expected: expected) else { return nil }
        if text.isEmpty {
            self.report(entry.value.mark, "\(entry.path): must not be empty")
            return nil
        }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            self.report(entry.value.mark, "\(entry.path): must not contain control characters or line breaks")
            return nil
        }
        return text
    }

    mutating func int(_ entry: Entry, range: ClosedRange<Int>, example: String? = nil) -> Int? {
        guard let text = self.string(entry, expected: "an integer") else { return nil }
        guard let value = Int(text) else {
            self.report(
                entry.value.mark,
                "\(entry.path): expected an integer, got '\(text)'",
                hint: "write a whole number in \(ConfigDecoder.describe(range))"
            )
            return nil
        }
        guard range.contains(value) else {
            self.report(
                entry.value.mark,
                "\(entry.path): must be in \(ConfigDecoder.describe(range)), got \(value)",
                hint: example
            )
            return nil
        }
        return value
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "\(range.lowerBound) or more" : "\(range.lowerBound)...\(range.upperBound)"
    }

    mutating func bool(_ entry: Entry) -> Bool? {
        guard let text = self.string(entry, expected: "true or false") else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            self.report(entry.value.mark, "\(entry.path): expected true or false, got '\(text)'",
                        hint: "write true or false")
            return nil
        }
    }

    /// A non-negative duration such as `30s`; zero is rejected when `positive` is set, and anything longer than
    /// `maximum` (when given) with `maximumHint`.
    mutating func duration(
        _ entry: Entry, positive: Bool, maximum: Duration? = nil, maximumHint: String? = nil
    ) -> Duration? {
        guard let text = self.string(entry, expected: "a duration") else { return nil }
        let hint = "expected a duration such as 30s, 500ms, 5m; units: ms, s, m, h, d; a bare number means seconds"
        if text.trimmingSpaces.hasPrefix("-") {
            self.report(entry.value.mark, "\(entry.path): must not be negative, got '\(text)'", hint: hint)
            return nil
        }
        guard let value = DurationParsing.parse(text) else {
            self.report(entry.value.mark, "\(entry.path): invalid duration '\(text)'", hint: hint)
            return nil
        }
        if positive, value == .zero {
            self.report(entry.value.mark, "\(entry.path): must be greater than 0s", hint: "e.g. 500ms or 5s")
            return nil
        }
        if let maximum, value > maximum {
            self.report(
                entry.value.mark,
                "\(entry.path): must be at most \(formatDuration(maximum)), got \(formatDuration(value))",
                hint: maximumHint
            )
            return nil
        }
        return value
    }

    /// A byte count such as `16KiB`.
    mutating func byteCount(_ entry: Entry, positive: Bool) -> ByteCount? {
        guard let text = self.string(entry, expected: "a size") else { return nil }
        let hint = "expected a size such as 512, 16KiB, 8MiB, 1GiB; KiB/MiB/GiB/TiB and k/m/g are 1024-based, KB/MB/GB 1000-based"
        if text.trimmingSpaces.hasPrefix("-") {
            self.report(entry.value.mark, "\(entry.path): must not be negative, got '\(text)'", hint: hint)
            return nil
        }
        guard let value = ByteCount.parse(text) else {
            self.report(entry.value.mark, "\(entry.path): invalid size '\(text)'", hint: hint)
            return nil
        }
        if positive, value.bytes == 0 {
            self.report(entry.value.mark, "\(entry.path): must be greater than 0", hint: "e.g. 16KiB")
            return nil
        }
        return value
    }

    /// One of `choices`, with a spelling suggestion otherwise.
    mutating func choice(_ entry: Entry, _ choices: [String], noun: String) -> String? {
        guard let text = self.string(entry, expected: "one of \(choices.joined(separator: ", "))") else { return nil }
        guard choices.contains(text) else {
            self.report(
                entry.value.mark,
                "\(entry.path): unknown \(noun) '\(text)'",
                hint: Suggestions.hint(for: text, candidates: choices, noun: "values")
            )
            return nil
        }
        return text
    }

    /// A path from the file, made absolute against the file's directory.
    mutating func filePath(_ entry: Entry) -> String? {
        guard let text = self.cleanString(entry, expected: "a path") else { return nil }
        if text.hasPrefix("~") {
            self.report(
                entry.value.mark,
                "\(entry.path): '~' is not expanded",
                hint: "use an absolute path, or a path relative to the configuration file's directory"
            )
            return nil
        }
        return PathResolution.resolve(text, against: self.baseDirectory)
    }
}

extension String {
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
