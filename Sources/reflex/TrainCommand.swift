import ArgumentParser

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "(placeholder until its issue lands)")
    func run() throws { throw ValidationError("train: placeholder") }
}
