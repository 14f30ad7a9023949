import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(placeholder until its issue lands)")
    func run() throws { throw ValidationError("bench: placeholder") }
}
