import Foundation
import PolicyRuntime
import ReflexCore
import Simulation

/// What the training environment adds on top of the plant, from a preset's `environment:` section or
/// `--set environment.<key>=…`: stacked observations (the rig robots report encoder counts only, so a
/// policy needs a few past frames to see velocities) and per-episode randomization with the
/// description's sensor and actuator models.
public struct EnvironmentConfig: Codable, Equatable, Sendable {
    /// Observations stacked per step, newest first; recorded in the policy file (`architecture.frames`).
    public var frames = 1
    /// Train on the faithful plant: per-episode domain randomization, sensor noise, quantization and
    /// latency, actuator latency, all from the robot description.
    public var randomize = false

    public init(frames: Int = 1, randomize: Bool = false) {
        self.frames = frames
        self.randomize = randomize
    }

    /// Every key a preset or `--set environment.<key>=…` may change.
    public static let fields: [ConfigField<EnvironmentConfig>] = [
        .count("frames", \.frames, "observations stacked per step, newest first"),
        .bool("randomize", \.randomize, "train under the description's randomization, sensor models and latencies"),
    ]

    /// The vector environment options these settings mean.
    public func options<Model: PlantModel>(for _: Model.Type) -> PlantVectorEnvironment<Model>.Options {
        randomize ? .faithful(frames: frames) : .init(frames: frames)
    }
}

extension TrainingSetup {
    /// The preset sections `reflex train` reads: one per algorithm, and `environment`.
    public static let sections = algorithms + ["environment"]

    /// Copies of `model`'s plant; the first construction checks the options, so the ones training
    /// asks for later (same options, a positive count) cannot fail.
    private static func plantCopies<Model: PlantModel>(
        _ model: Model, _ environment: EnvironmentConfig
    ) throws -> (Int) -> ContinuousVectorEnvironment {
        let options = environment.options(for: Model.self)
        _ = try PlantVectorEnvironment(model: model, count: 1, threads: 1, options: options)
        return { n in
            // The options were checked just above and the count is at least 1, so this cannot throw.
            do { return try PlantVectorEnvironment(model: model, count: Swift.max(n, 1), options: options) }
            catch { preconditionFailure("PlantVectorEnvironment refused options it accepted a moment ago: \(error)") }
        }
    }

    /// Simulators whose environments are `PlantVectorEnvironment`s (continuous actuator values).
    static let plantSimulators = ["cartpole-rig", "furuta"]

    /// Makes `count` copies of a plant robot's vector environment with `environment`'s options.
    static func plantEnvironment(
        _ description: RobotDescription, _ environment: EnvironmentConfig
    ) throws -> (Int) -> ContinuousVectorEnvironment {
        switch description.simulator {
        case "cartpole-rig": return try plantCopies(CartPoleRigModel(description: description), environment)
        case "furuta": return try plantCopies(FurutaModel(description: description), environment)
        default:
            throw ReflexError(
                .invalidArgument,
                "no plant trainer for simulator '\(description.simulator)' (known: \(plantSimulators.joined(separator: ", ")))")
        }
    }
}

/// A trainer on a plant robot: exports its policy with the stacked frame count, and keeps the
/// environment settings in its checkpoints so a resumed run rebuilds the same environment.
final class PlantTrainer: CheckpointableTrainer {
    static let checkpointKey = "environment"
    let inner: CheckpointableTrainer
    let environment: EnvironmentConfig

    init(_ inner: CheckpointableTrainer, environment: EnvironmentConfig) {
        self.inner = inner
        self.environment = environment
    }

    var algorithm: String { inner.algorithm }
    var seed: UInt64 { inner.seed }
    var solvedReturn: Double? { inner.solvedReturn }
    var counters: TrainingCounters { inner.counters }

    func train(shouldStop: () -> Bool, progress: (TrainingProgress) -> Void) -> TrainingResult {
        inner.train(shouldStop: shouldStop, progress: progress)
    }

    func policyFile(description: RobotDescription, provenance: Provenance) -> PolicyFile {
        var file = inner.policyFile(description: description, provenance: provenance)
        file.architecture.frames = environment.frames
        return file
    }

    func checkpoint() -> Checkpoint {
        var c = inner.checkpoint()
        c.setJSON(Self.checkpointKey, environment)
        return c
    }

    func restore(from checkpoint: Checkpoint) throws { try inner.restore(from: checkpoint) }
}
