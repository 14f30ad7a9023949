import Foundation
import Learning
import ReflexCore
import Simulation

extension BenchRow {
    /// PPO on CartPole to the solved threshold, once per seed.
    static let train = BenchRow(
        name: "train",
        summary: "wall seconds and env steps for PPO to solve CartPole (deterministic mean ≥ 475 over 100 episodes), median of the seeds"
    ) { context in
        let description = try RobotDescription.bundled(named: "cartpole")
        let model = try CartPoleModel(description: description)
        var runs: [[String: Any]] = []
        var seconds: [Double] = []
        var steps: [Double] = []
        context.say("train: PPO on cartpole to deterministic mean return ≥ 475 (100 episodes)")
        for seed in context.seeds {
            let ppo = PPO(config: .cartpole, seed: seed) { CartPoleVectorEnvironment(model: model, count: $0) }
            let result = ppo.train()
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
