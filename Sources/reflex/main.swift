import ArgumentParser
import Foundation

/// `reflex`: train a policy in simulation, check it, and run it on a robot over a serial link.
struct Reflex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reflex",
        abstract: "Train robot policies in simulation and run them on hardware over a serial link.",
        version: "0.1.0",
        subcommands: [
            TrainCommand.self, EvalCommand.self, RolloutCommand.self, RunCommand.self,
            VirtualRobotCommand.self, HILCommand.self, BenchCommand.self, ReplayCommand.self, PortsCommand.self,
            CheckEnvCommand.self, RenderCommand.self,
        ]
    )
}

// Line-buffered stdout, so reports interleave correctly with other processes' output in a pipe or log.
setvbuf(stdout, nil, _IOLBF, 0)
Reflex.main()
