import Foundation
import Yams

extension RobotDescription {
    /// Reads and checks a robot description file (`simulators/<robot>.yaml`, schema 1).
    ///
    /// - Throws: `ReflexError(.invalidDescription, "<path>: <key path>: <problem>")` for anything wrong,
    ///   `ReflexError(.io, …)` when the file cannot be read.
    public static func load(path: String) throws -> RobotDescription {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ReflexError(.io, "\(path): cannot read robot description (\(error.localizedDescription))")
        }
        return try parse(yaml: text, file: path)
    }

    /// Decodes and checks a robot description from YAML text; `file` names it in error messages.
    ///
    /// When `file` ends in `.yaml` or `.yml`, the description's `name` must match the file name.
    public static func parse(yaml: String, file: String) throws -> RobotDescription {
        func invalid(_ path: String, _ problem: String) -> ReflexError {
            ReflexError(.invalidDescription, "\(file): \(path): \(problem)")
        }
        do {
            let decoded = try YAMLDecoder().decode(DescriptionFile.self, from: yaml)
            let description = try decoded.validated(sourceText: yaml)
            let base = (file as NSString).lastPathComponent
            for ext in [".yaml", ".yml"] where base.hasSuffix(ext) {
                let stem = String(base.dropLast(ext.count))
                guard stem == description.name else {
                    throw DescriptionIssue("name", "'\(description.name)' does not match the file name '\(base)'")
                }
            }
            return description
        } catch let issue as DescriptionIssue {
            throw invalid(issue.path, issue.problem)
        } catch let error as DecodingError {
            throw describe(error, file: file)
        } catch let error as YamlError {
            throw ReflexError(.invalidDescription, "\(file): \(describe(error))")
        }
    }

    /// Loads the bundled description `simulators/<name>.yaml`.
    ///
    /// - Throws: `ReflexError(.unknownRobot, …)` naming the bundled robots when there is no such file.
    public static func bundled(named name: String) throws -> RobotDescription {
        let names = bundledNames()
        guard let directory = simulatorsDirectory() else {
            throw ReflexError(
                .unknownRobot,
                "no robot named '\(name)': no simulators/ directory found (set REFLEX_SIMULATORS to its path)")
        }
        guard names.contains(name) else {
            let list = names.isEmpty ? "none" : names.joined(separator: ", ")
            throw ReflexError(.unknownRobot, "no robot named '\(name)' (bundled: \(list))")
        }
        return try load(path: directory + "/" + name + ".yaml")
    }

    /// Names of the bundled robots (the `.yaml` files in `simulators/`), sorted; empty when none is found.
    public static func bundledNames() -> [String] {
        guard let directory = simulatorsDirectory(),
              let entries = try? FileManager.default.contentsOfDirectory(atPath: directory)
        else { return [] }
        return entries.filter { $0.hasSuffix(".yaml") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The `simulators/` directory: `$REFLEX_SIMULATORS` if set, else `./simulators`, else the first
    /// `simulators/` found walking up from the current directory, then from the executable's directory
    /// (so `.build/release/reflex` finds the checkout's copy). `nil` when there is none.
    public static func simulatorsDirectory() -> String? {
        let fm = FileManager.default
        func isDirectory(_ path: String) -> Bool {
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
        }
        if let explicit = ProcessInfo.processInfo.environment["REFLEX_SIMULATORS"], !explicit.isEmpty {
            return isDirectory(explicit) ? explicit : nil
        }
        if isDirectory("simulators") { return "simulators" }
        func walkUp(from start: String) -> String? {
            var dir = URL(fileURLWithPath: start).standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent("simulators").path
                if isDirectory(candidate) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { return nil }
                dir = parent
            }
        }
        if let found = walkUp(from: fm.currentDirectoryPath) { return found }
        let executable = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath
            ?? CommandLine.arguments.first
        if let executable {
            let dir = (URL(fileURLWithPath: executable).standardizedFileURL.deletingLastPathComponent()).path
            if let found = walkUp(from: dir) { return found }
        }
        return nil
    }

    private static func describe(_ error: DecodingError, file: String) -> ReflexError {
        let text: String
        switch error {
        case let .keyNotFound(key, context):
            text = "\(formatKeyPath(context.codingPath + [key])): missing field"
        case let .typeMismatch(type, context):
            text = "\(formatKeyPath(context.codingPath)): wrong type, expected \(typeName(type))"
        case let .valueNotFound(type, context):
            text = "\(formatKeyPath(context.codingPath)): missing value, expected \(typeName(type))"
        case let .dataCorrupted(context):
            if let yamlError = context.underlyingError as? YamlError {
                text = describe(yamlError)
            } else if let issue = context.underlyingError as? DescriptionIssue {
                text = "\(issue.path): \(issue.problem)"
            } else {
                text = "\(formatKeyPath(context.codingPath)): \(context.debugDescription)"
            }
        @unknown default:
            text = "\(error)"
        }
        return ReflexError(.invalidDescription, "\(file): \(text)")
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return "line \(mark.line), column \(mark.column): YAML syntax error: \(problem)"
        case let .duplicatedKeysInMapping(duplicates, context):
            return "line \(context.mark.line): duplicate key(s) \(duplicates.sorted().joined(separator: ", "))"
        default:
            return "YAML error: \(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: return "a number"
        case is Int.Type: return "an integer"
        case is String.Type: return "a string"
        case is Node.Mapping.Type: return "a mapping (key: value)"
        case is Node.Sequence.Type: return "a list"
        case is Node.Scalar.Type: return "a single value"
        default: return "\(type)"
        }
    }
}
