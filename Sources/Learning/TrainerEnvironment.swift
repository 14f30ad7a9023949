import Foundation
import PolicyRuntime
import ReflexCore
import Simulation

/// What the training environment adds on top of the plant, from a preset's `environment:` section or
/// `--set environment.<key>=…`: stacked observations (the rig robots report encoder counts only, so a
/// policy needs a few past frames to see velocities), observation features of encoder channels (cos/sin
/// of the angle, wrap-aware velocity), and per-episode randomization with the description's sensor and
/// actuator models.
public struct EnvironmentConfig: Codable, Equatable, Sendable {
    /// Observations stacked per step, newest first; recorded in the policy file (`architecture.frames`).
    /// With features, the stack holds feature frames.
    public var frames = 1
    /// Train on the faithful plant: per-episode domain randomization, sensor noise, quantization and
    /// latency, actuator latency, all from the robot description.
    public var randomize = false
    /// Sensor channels (with a `raw:` encoding in rad) the policy reads as cos and sin of their angle.
    public var angles: [String] = []
    /// Sensor channels (with a `raw:` encoding) the policy also reads as a velocity: the count difference
    /// from the previous reading, the shortest way round the counter's wrap, × scale ÷ control period.
    public var velocities: [String] = []

    public init(frames: Int = 1, randomize: Bool = false, angles: [String] = [], velocities: [String] = []) {
        self.frames = frames
        self.randomize = randomize
        self.angles = angles
        self.velocities = velocities
    }

    /// Every key a preset or `--set environment.<key>=…` may change.
    public static let fields: [ConfigField<EnvironmentConfig>] = [
        .count("frames", \.frames, "observations stacked per step, newest first"),
        .bool("randomize", \.randomize, "train under the description's randomization, sensor models and latencies"),
        .names("angles", \.angles, "encoder channels read as cos and sin of their angle, e.g. [pendulum_encoder]"),
        .names("velocities", \.velocities, "encoder channels also read as a wrap-aware velocity, e.g. [arm_encoder, pendulum_encoder]"),
    ]

    private enum CodingKeys: String, CodingKey { case frames, randomize, angles, velocities }

    /// Checkpoints written before the feature keys existed read as no features.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        frames = try c.decode(Int.self, forKey: .frames)
        randomize = try c.decode(Bool.self, forKey: .randomize)
        angles = try c.decodeIfPresent([String].self, forKey: .angles) ?? []
        velocities = try c.decodeIfPresent([String].self, forKey: .velocities) ?? []
    }

    /// Writes the feature keys only when set, so checkpoints without features stay as they were.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(frames, forKey: .frames)
        try c.encode(randomize, forKey: .randomize)
        if !angles.isEmpty { try c.encode(angles, forKey: .angles) }
        if !velocities.isEmpty { try c.encode(velocities, forKey: .velocities) }
    }

    /// The vector environment options these settings mean. With features the plant observes one reading
    /// and `FeatureVectorEnvironment` stacks the feature frames.
    public func options<Model: PlantModel>(for _: Model.Type) -> PlantVectorEnvironment<Model>.Options {
        let plantFrames = hasFeatures ? 1 : frames
        return randomize ? .faithful(frames: plantFrames) : .init(frames: plantFrames)
    }

    /// Whether `angles` or `velocities` names a channel.
    public var hasFeatures: Bool { !angles.isEmpty || !velocities.isEmpty }

    /// The policy file's `observation_features` for `description`, in sensor order; nil without features.
    /// Throws `.invalidArgument` naming the key and channel: an unknown channel, one without a `raw:`
    /// encoding (its scale is needed), an angle whose raw unit is not rad, a velocity of a per-period
    /// delta counter.
    public func observationFeatures(for description: RobotDescription) throws -> [ObservationFeature]? {
        guard hasFeatures else { return nil }
        let names = description.sensors.map(\.name)
        for (key, list) in [("angles", angles), ("velocities", velocities)] {
            for name in list {
                guard let index = names.firstIndex(of: name) else {
                    throw ReflexError(
                        .invalidArgument,
                        "environment.\(key): '\(name)' is not a sensor channel of \(description.name) (\(names.joined(separator: ", ")))")
                }
                guard index < description.sensorModels.count, let raw = description.sensorModels[index].raw else {
                    throw ReflexError(
                        .invalidArgument,
                        "environment.\(key): sensor '\(name)' of \(description.name) has no raw: encoding (counts × scale + offset), so it has no angle or velocity to derive")
                }
                if key == "angles" && raw.unit != "rad" {
                    throw ReflexError(.invalidArgument, "environment.angles: sensor '\(name)' measures \(raw.unit), not rad; cos and sin need an angle")
                }
                if key == "velocities" && raw.kind == .quadratureDelta {
                    throw ReflexError(
                        .invalidArgument, "environment.velocities: sensor '\(name)' already reports counts per control period (quadrature-delta)")
                }
            }
        }
        var features: [ObservationFeature] = []
        for (index, name) in names.enumerated() where angles.contains(name) || velocities.contains(name) {
            guard let raw = description.sensorModels[index].raw else { continue }
            features.append(ObservationFeature(
                channel: name, angle: angles.contains(name), velocity: velocities.contains(name), raw: raw,
                period: description.controlPeriod))
        }
        do {
            _ = try ObservationFeatureMap(features: features, channels: description.sensors)
        } catch let error as ObservationFeatureError {
            throw ReflexError(.invalidArgument, "environment: \(description.name): \(error.message)")
        }
        return features
    }
}

extension TrainingSetup {
    /// The preset sections `reflex train` reads: one per algorithm, and `environment`.
    public static let sections = algorithms + ["environment"]

    /// Copies of `model`'s plant; the first construction checks the options, so the ones training
    /// asks for later (same options, a positive count) cannot fail.
    /// With features, each copy set is wrapped in `FeatureVectorEnvironment` (features, then `frames`).
    private static func plantCopies<Model: PlantModel>(
        _ model: Model, _ environment: EnvironmentConfig
    ) throws -> (Int) -> ContinuousVectorEnvironment {
        let options = environment.options(for: Model.self)
        let map = try environment.observationFeatures(for: model.description).map {
            try ObservationFeatureMap(features: $0, channels: model.description.sensors)
        }
        let frames = environment.frames
        let first = try PlantVectorEnvironment(model: model, count: 1, threads: 1, options: options)
        if let map { _ = try FeatureVectorEnvironment(first, map: map, frames: frames) }
        return { n in
            // The options were checked just above and the count is at least 1, so this cannot throw.
            do {
                let plant = try PlantVectorEnvironment(model: model, count: Swift.max(n, 1), options: options)
                guard let map else { return plant }
                return try FeatureVectorEnvironment(plant, map: map, frames: frames)
            } catch { preconditionFailure("PlantVectorEnvironment refused options it accepted a moment ago: \(error)") }
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
        // Checked when the training environment was built (`plantEnvironment` throws), so this succeeds;
        // were it to fail, the file would not validate (its input size counts the features).
        file.observationFeatures = try? environment.observationFeatures(for: description)
        return file
    }

    func checkpoint() -> Checkpoint {
        var c = inner.checkpoint()
        c.setJSON(Self.checkpointKey, environment)
        return c
    }

    func restore(from checkpoint: Checkpoint) throws { try inner.restore(from: checkpoint) }
}
