import ArgumentParser
import Foundation
import Learning
import PolicyRuntime
import ReflexCore
import Simulation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a policy file's deterministic action in its robot's simulator.")

    @Argument(help: "Policy file (.safetensors).")
    var policy: String

    @Option(help: "Number of episodes.")
    var episodes: Int = 100

    @Option(help: "Random seed for the start states.")
    var seed: UInt64 = 7

    @Option(help: "Robot to evaluate on (default: the robot the policy was trained for).")
    var robot: String?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard episodes > 0 else { throw ValidationError("--episodes must be positive, got \(episodes)") }
    }

    func run() throws {
        let file = try PolicyFile.load(path: policy)
        let robotName = robot ?? file.provenance.robot
        try file.verify(robot: robotName)
        let description = try RobotDescription.bundled(named: robotName)
        try file.verify(sensors: description.sensors, actuators: description.actuators)
        let mlp = try MLPPolicy(file: file)
        let result: EvaluationResult
        switch description.simulator {
        case "pendulum":
            let model = try PendulumModel(description: description)
            result = Evaluation.run(
                policy: mlp, environment: PendulumVectorEnvironment(model: model, count: episodes), episodes: episodes, seed: seed)
        default:
            let model = try CartPoleModel(description: description)
            result = Evaluation.run(
                policy: mlp, environment: CartPoleVectorEnvironment(model: model, count: episodes), episodes: episodes, seed: seed)
        }
        if json {
            try printJSON([
                "policy": policy, "robot": robotName, "episodes": result.episodes, "mean_return": result.mean,
                "std_return": result.std, "min_return": result.min, "max_return": result.max, "seed": seed,
            ])
        } else {
            print(String(
                format: "%@ on %@: mean return %.1f ± %.1f (min %.0f, max %.0f) over %d episodes, seed %llu",
                policy, robotName, result.mean, result.std, result.min, result.max, result.episodes, seed))
        }
    }
}
