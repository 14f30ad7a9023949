import ArgumentParser
import Foundation

/// One row of `reflex bench`: a named measurement that prints its lines and returns its figures.
struct BenchRow {
    let name: String
    let summary: String
    let run: (BenchContext) throws -> [String: Any]
}

/// What every row gets from the command line.
struct BenchContext {
    /// Print nothing: the figures go into the JSON object.
    let json: Bool
    /// Seeds for rows that train.
    let seeds: [UInt64]

    /// Prints a line of the human-readable table (nothing in JSON mode).
    func say(_ line: String) {
        if !json { print(line) }
    }
}

struct BenchCommand: ParsableCommand {
    /// Every row, in the order `make bench` runs them. Rows live in `BenchCommand+<Row>.swift`.
    static let rows: [BenchRow] = [.train, .nn, .sim, .loop, .serial, .vision]

    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Reflex: print a table of figures (or one JSON object keyed by row).",
        discussion: """
            Rows:
            \(BenchCommand.rows.map { "  \($0.name): \($0.summary)" }.joined(separator: "\n"))
            Build with -c release before benchmarking (make bench does): debug builds are 10–100× slower.
            """)

    @Argument(help: "Rows to run (default: all).")
    var row: [String] = []

    @Option(help: "Seeds for rows that train.")
    var seeds: [UInt64] = [1, 2, 3]

    @Flag(help: "Print one JSON object keyed by row name.")
    var json = false

    func validate() throws {
        for name in row where !Self.rows.contains(where: { $0.name == name }) {
            throw ValidationError("unknown bench row '\(name)' (known: \(Self.rows.map(\.name).joined(separator: ", ")))")
        }
        guard !seeds.isEmpty else { throw ValidationError("--seeds needs at least one seed") }
    }

    func run() throws {
        #if DEBUG
        printError("warning: this is a debug build; figures are not representative (use make bench)")
        #endif
        let context = BenchContext(json: json, seeds: seeds)
        var results: [String: Any] = [:]
        for benchRow in Self.rows where row.isEmpty || row.contains(benchRow.name) {
            results[benchRow.name] = try benchRow.run(context)
        }
        if json { try printJSON(results) }
    }
}

/// Median of a non-empty list.
func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
