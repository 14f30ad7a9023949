import Foundation
import Learning
import ReflexCore
import Simulation

extension BenchRow {
    /// Training to each task's solved threshold, once per seed: CartPole PPO (the top-level figures),
    /// Pendulum PPO and Pendulum SAC (nested), all with the bundled presets.
    static let train = BenchRow(
        name: "train",
        summary: "wall seconds and env steps to solve, median of the seeds: CartPole PPO (mean ≥ 475 over 100 episodes), Pendulum PPO and SAC (mean ≥ −200 over 10)"
    ) { context in
        var results = try trainingFigures(
            context, title: "PPO on cartpole to deterministic mean return ≥ 475 (100 episodes)", robot: "cartpole", algorithm: "ppo")
        // The same CartPole runs with one training thread (the actor's and critic's passes in turn instead of
        // side by side): identical results, so only the wall time differs; the default is whichever is faster.
        results["cartpole_ppo_1_thread"] = try trainingFigures(
            context, title: "the same with --threads 1", robot: "cartpole", algorithm: "ppo", threads: 1)
        results["pendulum_ppo"] = try trainingFigures(
            context, title: "PPO on pendulum to deterministic mean return ≥ −200 (10 episodes)", robot: "pendulum", algorithm: "ppo")
        results["pendulum_sac"] = try trainingFigures(
            context, title: "SAC on pendulum to deterministic mean return ≥ −200 (10 episodes)", robot: "pendulum", algorithm: "sac")
        return results
    }

    /// Trains `robot` with `algorithm` and its preset once per seed; prints a line per seed and the median.
    private static func trainingFigures(
        _ context: BenchContext, title: String, robot: String, algorithm: String, threads: Int? = nil
    ) throws -> [String: Any] {
        TrainingThreads.override = threads
        defer { TrainingThreads.override = nil }
        let description = try RobotDescription.bundled(named: robot)
        let preset = try PresetFile.bundled(robot: robot, knownSections: TrainingSetup.algorithms)
        var runs: [[String: Any]] = []
        var seconds: [Double] = []
        var steps: [Double] = []
        context.say("train: \(title)")
        for seed in context.seeds {
            let trainer = try TrainingSetup.make(
                description: description, algorithm: algorithm, seed: seed, preset: preset, overrides: [], totalSteps: nil)
            let result = trainer.train(shouldStop: { false }, progress: { _ in })
            seconds.append(result.wallSeconds)
            steps.append(Double(result.envSteps))
            runs.append([
                "seed": seed, "wall_seconds": result.wallSeconds, "env_steps": result.envSteps,
                "mean_return": result.evaluation.mean, "solved": result.solved,
            ])
            context.say(String(
                format: "  seed %-3llu %6.2f s  %7d env steps  mean return %6.1f  %@", seed, result.wallSeconds,
                result.envSteps, result.evaluation.mean, result.solved ? "solved" : "NOT solved"))
        }
        let solved = runs.filter { $0["solved"] as? Bool == true }.count
        context.say(String(
            format: "  median     %6.2f s  %7.0f env steps  (%d/%d solved)", median(seconds), median(steps), solved, runs.count))
        return ["median_wall_seconds": median(seconds), "median_env_steps": median(steps), "solved": solved, "runs": runs]
    }
}
