import ArgumentParser

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "(placeholder until its issue lands)")
    func run() throws { throw ValidationError("run: placeholder") }
}
