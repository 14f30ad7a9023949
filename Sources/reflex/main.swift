import ArgumentParser

/// `reflex`: train a policy in simulation, check it, and run it on a robot over a serial link.
struct Reflex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reflex",
        abstract: "Train robot policies in simulation and run them on hardware over a serial link.",
        version: "0.1.0",
        subcommands: [
            TrainCommand.self, EvalCommand.self, RolloutCommand.self, RunCommand.self,
            VirtualRobotCommand.self, BenchCommand.self,
        ]
    )
}

Reflex.main()
