import ArgumentParser
import Foundation
import Learning
import PolicyRuntime
import ReflexCore
import Simulation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a policy with PPO in a bundled simulator and write it to a policy file.",
        discussion: """
            Trains until the mean return of 100 evaluation episodes with the deterministic action reaches
            the robot's solved threshold (CartPole: 475), or the step budget runs out.
            """)

    @Argument(help: "Robot to train (a bundled simulator, e.g. cartpole).")
    var robot: String

    @Option(help: "Random seed: the same seed gives the same policy.")
    var seed: UInt64 = 1

    @Option(help: "Where to write the policy file.")
    var out: String = "runs/policy.safetensors"

    @Option(help: "Budget of environment steps (default: the robot's preset, 100000 for cartpole).")
    var steps: Int?

    @Flag(help: "Print the summary as one JSON object on standard output.")
    var json = false

    @Flag(help: "No progress line.")
    var quiet = false

    func run() throws {
        let description = try RobotDescription.bundled(named: robot)
        let model = try CartPoleModel(description: description)
        var config = PPOConfig.cartpole
        if let steps {
            guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
            config.totalSteps = steps
        }
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL.deletingLastPathComponent(), withIntermediateDirectories: true)

        let ppo = PPO(config: config, seed: seed) { CartPoleVectorEnvironment(model: model, count: $0) }
        let line = ProgressLine(enabled: !quiet)
        let result = ppo.train { p in
            var text = String(
                format: "train %@ | %d/%d steps (%.0f%%) | %.0f steps/s | %@",
                robot, p.envSteps, p.totalSteps, 100 * Double(p.envSteps) / Double(p.totalSteps), p.stepsPerSecond,
                formatDuration(p.elapsedSeconds))
            if let r = p.recentMeanReturn { text += String(format: " | return %.1f", r) }
            if let e = p.lastEvaluation { text += String(format: " | eval %.1f", e.mean) }
            line.update(text, now: p.elapsedSeconds, force: p.update == p.updates)
        }
        line.finish()

        let provenance = Provenance(
            robot: description.name, algorithm: "ppo", seed: seed, envSteps: result.envSteps,
            meanReturn: result.evaluation.mean, evaluationEpisodes: result.evaluation.episodes,
            trainingSeconds: result.wallSeconds, date: ISO8601DateFormatter().string(from: Date()),
            reflexVersion: ReflexVersion.current, command: CommandLine.arguments.joined(separator: " "),
            robotDescription: description.sourceText)
        try ppo.policyFile(description: description, provenance: provenance).write(to: out)

        if json {
            try printJSON([
                "robot": description.name, "algorithm": "ppo", "seed": seed, "env_steps": result.envSteps,
                "wall_seconds": result.wallSeconds, "mean_return": result.evaluation.mean,
                "std_return": result.evaluation.std, "evaluation_episodes": result.evaluation.episodes,
                "solved": result.solved, "policy": out,
            ])
        } else {
            print(String(
                format: "%@ after %d env steps in %.2f s: deterministic mean return %.1f ± %.1f over %d episodes",
                result.solved ? "Solved" : "Not solved", result.envSteps, result.wallSeconds,
                result.evaluation.mean, result.evaluation.std, result.evaluation.episodes))
            print("Policy written to \(out)")
        }
        if !result.solved { throw ExitCode(2) }
    }
}
