import ArgumentParser
import Foundation
import Learning
import PolicyRuntime
import ReflexCore
import Simulation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a policy file's deterministic action in its robot's simulator.",
        discussion: """
            --randomize runs the same episodes (same seeds) twice: on the nominal plant, and on the faithful
            one — per-episode parameters drawn from the robot description's randomization: ranges, its
            sensor noise, quantization and latency, and its actuator latency — and reports both returns and
            their ratio, so robustness is a number.
            """)

    @Argument(help: "Policy file (.safetensors).")
    var policy: String

    @Option(help: "Number of episodes.")
    var episodes: Int = 100

    @Option(help: "Random seed for the start states.")
    var seed: UInt64 = 7

    @Option(help: "Robot to evaluate on (default: the robot the policy was trained for).")
    var robot: String?

    @Flag(help: "Also evaluate under the description's randomization, sensor models and latencies; report both.")
    var randomize = false

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
        if file.architecture.isCNN {
            try runCamera(file, description: description, robotName: robotName)
            return
        }
        try file.verify(sensors: description.sensors, actuators: description.actuators)
        let mlp = try MLPPolicy(file: file)
        if randomize {
            try runRandomized(mlp, description: description, robotName: robotName)
            return
        }
        let result: (episodes: Int, mean: Double, std: Double, min: Double, max: Double)
        switch description.simulator {
        case "pendulum":
            let model = try PendulumModel(description: description)
            let r = Evaluation.run(
                policy: mlp, environment: PendulumVectorEnvironment(model: model, count: episodes), episodes: episodes, seed: seed)
            result = (r.episodes, r.mean, r.std, r.min, r.max)
        case "cartpole":
            let model = try CartPoleModel(description: description)
            let r = Evaluation.run(
                policy: mlp, environment: CartPoleVectorEnvironment(model: model, count: episodes), episodes: episodes, seed: seed)
            result = (r.episodes, r.mean, r.std, r.min, r.max)
        default:
            // Plant robots, one episode at a time: a frame-stacked policy keeps its stack per episode.
            let r = try Robustness.returns(description, options: .nominal, episodes: episodes, seed: seed, policy: controller(mlp))
            result = (r.episodes, r.mean, r.std, r.min, r.max)
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

    /// A camera policy on evaluation tracks (never used in training), under the description's randomization
    /// (lighting, floor texture, track size, physics) as in training: returns and the lap completion rate.
    func runCamera(_ file: PolicyFile, description: RobotDescription, robotName: String) throws {
        guard CameraTraining.handles(description), let camera = description.camera else {
            throw ReflexError(.invalidArgument, "\(policy) reads camera pixels; \(robotName) has no camera to evaluate it with")
        }
        guard file.imagePreprocessing == camera.preprocessing else {
            throw ReflexError(
                .channelMismatch, "\(policy): its image preprocessing differs from \(robotName)'s camera.preprocessing; the policy would see other pixels than it was trained on")
        }
        try file.verify(sensors: camera.preprocessing.observationChannels, actuators: description.actuators)
        let r = try CameraTraining.evaluate(CNNPolicy(file: file), description: description, episodes: episodes, seed: seed)
        let returns = r.returns
        if json {
            try printJSON([
                "policy": policy, "robot": robotName, "episodes": returns.episodes, "mean_return": returns.mean,
                "std_return": returns.std, "min_return": returns.min, "max_return": returns.max, "seed": seed,
                "lap_completion_rate": r.lapCompletionRate, "mean_laps": r.laps.reduce(0, +) / Double(max(r.laps.count, 1)),
                "tracks": "evaluation",
            ])
        } else {
            print(String(
                format: "%@ on %@: mean return %.1f ± %.1f (min %.0f, max %.0f) over %d episodes, seed %llu",
                policy, robotName, returns.mean, returns.std, returns.min, returns.max, returns.episodes, seed))
            print(String(
                format: "  laps: %.0f%% of episodes completed a lap (mean %.2f laps) on evaluation tracks never used in training, randomized lighting and texture",
                100 * r.lapCompletionRate, r.laps.reduce(0, +) / Double(max(r.laps.count, 1))))
        }
    }

    /// One episode's controller: the policy with its frame stack cleared, mapping a sensor reading to
    /// the environment's action (a choice index for discrete robots).
    func controller(_ mlp: MLPPolicy) -> () -> ([Float]) -> Action {
        {
            mlp.reset()
            var actuators = [Float](repeating: 0, count: mlp.actuatorCount)
            return { observation in
                if mlp.isCategorical { return .discrete(mlp.actionIndex(observation: observation)) }
                observation.withUnsafeBufferPointer { o in
                    actuators.withUnsafeMutableBufferPointer { mlp.act(observation: o, actuators: $0) }
                }
                return .continuous(actuators.map(Double.init))
            }
        }
    }

    func runRandomized(_ mlp: MLPPolicy, description: RobotDescription, robotName: String) throws {
        let report = try Robustness.compare(description, episodes: episodes, seed: seed, policy: controller(mlp))
        let ranges = description.randomization.map(\.keyPath)
        if json {
            func object(_ r: Robustness.Returns) -> [String: Any] {
                [
                    "mean_return": r.mean, "std_return": r.std, "min_return": r.min, "max_return": r.max,
                    "mean_length": r.meanLength, "terminated": r.terminated,
                ]
            }
            try printJSON([
                "policy": policy, "robot": robotName, "episodes": episodes, "seed": seed,
                "nominal": object(report.nominal), "randomized": object(report.randomized), "ratio": report.ratio,
                "randomized_parameters": ranges,
            ])
            return
        }
        print("\(policy) on \(robotName), \(episodes) episodes, seed \(seed) (the same start states in both rows):")
        func row(_ label: String, _ r: Robustness.Returns) {
            print(String(
                format: "  %@ mean return %8.1f ± %6.1f (min %.0f, max %.0f), mean length %.0f steps, %d ended by failure",
                label.padding(toLength: 11, withPad: " ", startingAt: 0), r.mean, r.std, r.min, r.max, r.meanLength, r.terminated))
        }
        row("nominal", report.nominal)
        row("randomized", report.randomized)
        print(String(format: "  randomized / nominal: %.3f", report.ratio))
        if ranges.isEmpty {
            print("  (\(robotName) declares no randomization ranges: the randomized row adds only its sensor and actuator models)")
        } else {
            print("  randomized: \(ranges.joined(separator: ", ")), with sensor noise, quantization and latencies")
        }
    }
}
