import Foundation
import TernCore
import Yams

/// Reads and validates Tern's YAML configuration.
///
/// Decoding walks `Yams.Node` directly (not `Codable`) so every problem carries its `file:line:column`.
/// Unknown keys, wrong types and impossible values are all errors, collected together and sorted by position.
public enum ConfigLoader {
    /// Reads the file at `path` and parses it. Relative paths inside the file are resolved against its directory.
    public static func load(path: String) throws(ConfigErrors) -> TernConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigErrors(errors: [
                ConfigError(
                    file: path, line: 0, column: 0,
                    message: "cannot read configuration file: \(error.localizedDescription)",
                    hint: "check the path and permissions, or run `tern serve --listen … --origin …` without a file"
                )
            ])
        }
        var absolute = path
        if !absolute.hasPrefix("/") {
            absolute = FileManager.default.currentDirectoryPath + "/" + path
        }
        let directory = (absolute as NSString).deletingLastPathComponent
        return try self.parse(yaml: text, fileName: path, baseDirectory: PathResolution.resolve(".", against: directory))
    }

    /// Parses configuration text. `fileName` appears in error messages; `baseDirectory` anchors relative paths.
    public static func parse(yaml: String, fileName: String, baseDirectory: String) throws(ConfigErrors)
        -> TernConfiguration
    {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigErrors(errors: [self.syntaxError(error, yaml: yaml, fileName: fileName)])
        }
        guard let root else {
            throw ConfigErrors(errors: [
                ConfigError(
                    file: fileName, line: 1, column: 1, message: "the configuration is empty",
                    hint: "at least listeners, origins and routes are required; see Docs/configuration.md"
                )
            ])
        }
        var decoder = ConfigDecoder(fileName: fileName, baseDirectory: baseDirectory)
        let configuration = decoder.decodeRoot(root)
        if !decoder.errors.isEmpty {
            throw ConfigErrors(errors: self.sorted(decoder.errors))
        }
        return configuration
    }

    static func sorted(_ errors: [ConfigError]) -> [ConfigError] {
        errors.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }

    /// Converts a Yams/libyaml error into a positioned ``ConfigError``.
    static func syntaxError(_ error: any Error, yaml: String, fileName: String) -> ConfigError {
        guard let yamlError = error as? YamlError else {
            return ConfigError(file: fileName, line: 0, column: 0, message: "invalid YAML: \(error)")
        }
        let hint = "check the indentation and quoting near this position; values containing ': ' or '#' need quotes"
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return ConfigError(file: fileName, line: mark.line, column: mark.column, message: message, hint: hint)
        case .reader(let problem, let offset, _, _):
            return ConfigError(
                file: fileName, line: 0, column: 0,
                message: "invalid YAML: \(problem)\(offset.map { " at byte \($0)" } ?? "")",
                hint: "the file must be UTF-8 text"
            )
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            let (line, column) = self.secondOccurrence(of: key, after: context.mark, in: yaml)
                ?? (context.mark.line, context.mark.column)
            return ConfigError(
                file: fileName, line: line, column: column,
                message: "duplicate key '\(key)'"
                    + (duplicates.count > 1 ? " (also: \(duplicates.dropFirst().joined(separator: ", ")))" : ""),
                hint: "'\(key)' is first defined at line \(context.mark.line); keys (and origin names) must be unique"
            )
        default:
            return ConfigError(file: fileName, line: 0, column: 0, message: "invalid YAML: \(yamlError)")
        }
    }

    /// Finds a later `key:` at the same column as `first` in a block mapping (best effort, for a precise position).
    static func secondOccurrence(of key: String, after first: Mark, in yaml: String) -> (Int, Int)? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let indent = first.column - 1
        for index in first.line..<lines.count {
            let line = Array(lines[index].unicodeScalars)
            let leading = line.prefix { $0 == " " || $0 == "-" }.count
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            if line.drop(while: { $0 == " " }).first == "#" { continue }
            if leading < indent { return nil }
            guard leading == indent else { continue }
            let rest = String(String.UnicodeScalarView(line[indent...]))
            for candidate in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(candidate) {
                let after = rest.dropFirst(candidate.count).drop { $0 == " " }
                if after.hasPrefix(":") { return (index + 1, indent + 1) }
            }
        }
        return nil
    }
}
