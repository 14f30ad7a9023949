import ArgumentParser

struct RolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollout", abstract: "(placeholder until its issue lands)")
    func run() throws { throw ValidationError("rollout: placeholder") }
}
