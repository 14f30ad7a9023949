import ArgumentParser
import Foundation
import Learning
import ReflexCore
import Simulation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Reflex: print a table of figures (or one JSON object keyed by row).",
        discussion: """
            Rows: train — wall seconds and env steps for PPO to solve CartPole (deterministic mean
            return ≥ 475 over 100 episodes), median of 3 seeds. Build with -c release before benchmarking
            (make bench does): debug builds are 10–100× slower.
            """)

    static let rows = ["train"]

    @Argument(help: "Rows to run (default: all). Known: train.")
    var row: [String] = []

    @Option(help: "Seeds for the train row.")
    var seeds: [UInt64] = [1, 2, 3]

    @Flag(help: "Print one JSON object keyed by row name.")
    var json = false

    func validate() throws {
        for name in row where !Self.rows.contains(name) {
            throw ValidationError("unknown bench row '\(name)' (known: \(Self.rows.joined(separator: ", ")))")
        }
        guard !seeds.isEmpty else { throw ValidationError("--seeds needs at least one seed") }
    }

    func run() throws {
        let selected = row.isEmpty ? Self.rows : row
        var results: [String: Any] = [:]
        #if DEBUG
        printError("warning: this is a debug build; figures are not representative (use make bench)")
        #endif
        for name in selected {
            switch name {
            case "train": results["train"] = try trainRow()
            default: break
            }
        }
        if json { try printJSON(results) }
    }

    /// PPO on CartPole to the solved threshold, once per seed.
    private func trainRow() throws -> [String: Any] {
        let description = try RobotDescription.bundled(named: "cartpole")
        let model = try CartPoleModel(description: description)
        var runs: [[String: Any]] = []
        var seconds: [Double] = []
        var steps: [Int] = []
        if !json { print("train: PPO on cartpole to deterministic mean return ≥ 475 (100 episodes)") }
        for seed in seeds {
            let ppo = PPO(config: .cartpole, seed: seed) { CartPoleVectorEnvironment(model: model, count: $0) }
            let result = ppo.train()
            seconds.append(result.wallSeconds)
            steps.append(result.envSteps)
            runs.append([
                "seed": seed, "wall_seconds": result.wallSeconds, "env_steps": result.envSteps,
                "mean_return": result.evaluation.mean, "solved": result.solved,
            ])
            if !json {
                print(String(format: "  seed %-3llu %6.2f s  %7d env steps  mean return %6.1f  %@",
                             seed, result.wallSeconds, result.envSteps, result.evaluation.mean,
                             result.solved ? "solved" : "NOT solved"))
            }
        }
        let medianSeconds = median(seconds)
        let medianSteps = median(steps.map(Double.init))
        if !json {
            print(String(format: "  median     %6.2f s  %7.0f env steps  (%d/%d solved)", medianSeconds, medianSteps,
                         runs.filter { $0["solved"] as? Bool == true }.count, runs.count))
        }
        return ["median_wall_seconds": medianSeconds, "median_env_steps": medianSteps, "runs": runs]
    }

    private func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
