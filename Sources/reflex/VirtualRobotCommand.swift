import ArgumentParser

struct VirtualRobotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "virtual-robot", abstract: "(placeholder until its issue lands)")
    func run() throws { throw ValidationError("virtual-robot: placeholder") }
}
