import ArgumentParser

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "(placeholder until its issue lands)")
    func run() throws { throw ValidationError("eval: placeholder") }
}
