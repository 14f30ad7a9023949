import Foundation
import NeuralNet
import PolicyRuntime
import ReflexCore
import Simulation
import XCTest
@testable import Learning

/// Observation features (cos/sin of encoder angles, wrap-aware velocities): hand-computed values, the
/// training wrapper and the deployed `MLPPolicy` computing the same bits, and the preset keys.
final class ObservationFeatureTests: XCTestCase {
    /// QUBE-like encoders: 2048 counts per revolution; the pendulum counter wraps at hanging.
    static let scale = 2 * Double.pi / 2048
    static let channels = [
        ChannelSpec(name: "arm_encoder", unit: "counts", min: -1024, max: 1024),
        ChannelSpec(name: "pendulum_encoder", unit: "counts", min: -1024, max: 1023),
        ChannelSpec(name: "current", unit: "A", min: -2, max: 2),
    ]
    static let features = [
        ObservationFeature(channel: "arm_encoder", transforms: ["angle", "velocity"], scale: scale, period: 0.01),
        ObservationFeature(channel: "pendulum_encoder", transforms: ["angle", "velocity"], scale: scale, offset: Double.pi, wrap: 2048, period: 0.01),
    ]

    func testHandComputedFeaturesAcrossTheWrap() throws {
        let map = try ObservationFeatureMap(features: Self.features, channels: Self.channels)
        XCTAssertEqual(map.outputCount, 7)
        XCTAssertEqual(
            map.outputNames(channels: Self.channels),
            ["arm_encoder.cos", "arm_encoder.sin", "arm_encoder.velocity", "pendulum_encoder.cos", "pendulum_encoder.sin",
             "pendulum_encoder.velocity", "current"])
        var previous = [Float](repeating: 0, count: 3), out = [Float](repeating: 0, count: 7)
        func apply(_ reading: [Float], first: Bool) {
            reading.withUnsafeBufferPointer { r in
                previous.withUnsafeMutableBufferPointer { p in
                    out.withUnsafeMutableBufferPointer { map.apply(r.baseAddress!, previous: p.baseAddress!, first: first, into: $0.baseAddress!) }
                }
            }
        }
        // First reading: velocities 0; pendulum at −1020 counts is 4 counts past hanging (angle 4·scale).
        apply([512, -1020, 0.5], first: true)
        XCTAssertEqual(out[0], 0, accuracy: 1e-6)   // arm at π/2
        XCTAssertEqual(out[1], 1, accuracy: 1e-6)
        XCTAssertEqual(out[2], 0)
        XCTAssertEqual(Double(out[3]), cos(4 * Self.scale), accuracy: 1e-6)
        XCTAssertEqual(Double(out[4]), sin(4 * Self.scale), accuracy: 1e-6)
        XCTAssertEqual(out[5], 0)
        XCTAssertEqual(out[6], 0.5)  // unlisted channel passes through
        // −1020 → 1020 crosses the wrap at hanging: the shortest way round is −8 counts, not +2040.
        apply([510, 1020, -0.25], first: false)
        XCTAssertEqual(out[2], Float(-2 * Self.scale / 0.01))
        XCTAssertEqual(out[5], Float(-8 * Self.scale / 0.01))
        XCTAssertEqual(Double(out[4]), sin(-4 * Self.scale), accuracy: 1e-6)
        XCTAssertEqual(out[6], -0.25)
        // And back the other way: 1020 → −1023 is +5 counts.
        apply([510, -1023, 0], first: false)
        XCTAssertEqual(out[5], Float(5 * Self.scale / 0.01))
        // A new episode forgets the previous reading.
        apply([0, 0, 0], first: true)
        XCTAssertEqual(out[2], 0)
        XCTAssertEqual(out[5], 0)
        XCTAssertEqual(out[3], -1)  // upright: count 0 + offset π
    }

    // MARK: - Training wrapper and deployed policy compute the same values

    /// A policy whose network is the identity on its input (no hidden layers, W = I, b = 0, no
    /// normalization, bounds far away), so `act` writes back exactly what the network read.
    static func identityPolicy(features: [ObservationFeature]?, channels: [ChannelSpec], width: Int, frames: Int) throws -> MLPPolicy {
        let n = width * frames
        let architecture = PolicyArchitecture(inputSize: n, hiddenSizes: [], outputSize: n, activation: .tanh, head: .gaussian, frames: frames)
        var identity = [Float](repeating: 0, count: n * n)
        for i in 0..<n { identity[i * n + i] = 1 }
        let actuators = (0..<n).map { ChannelSpec(name: "a\($0)", unit: "1", min: -1e9, max: 1e9, safeValue: 0) }
        let file = PolicyFile(
            architecture: architecture,
            weights: [PolicyArchitecture.weightName(0): Tensor(shape: [n, n], scalars: identity),
                      PolicyArchitecture.biasName(0): Tensor(shape: [n], scalars: [Float](repeating: 0, count: n))],
            observationNormalization: nil, observationChannels: channels, actuatorChannels: actuators,
            actionSpace: .continuous(low: [Double](repeating: -1e9, count: n), high: [Double](repeating: 1e9, count: n)),
            provenance: Provenance(
                robot: "test", algorithm: "ppo", seed: 1, envSteps: 0, meanReturn: 0, evaluationEpisodes: 0, trainingSeconds: 0,
                date: "", reflexVersion: "", command: "", robotDescription: ""),
            observationFeatures: features)
        return try MLPPolicy(file: file)
    }

    /// What the network of `policy` reads for one raw reading.
    static func networkInput(_ policy: MLPPolicy, _ reading: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: policy.actuatorCount)
        reading.withUnsafeBufferPointer { r in out.withUnsafeMutableBufferPointer { policy.act(observation: r, actuators: $0) } }
        return out
    }

    func testWrapperAndPolicyAgreeBitForBitThroughTheWrapAndAnEpisodeEnd() throws {
        let frames = 3
        let episodes: [[[Float]]] = [
            [[0, -1020, 0.5], [3, -1023, 0.25], [7, 1020, 0], [12, 1016, -0.5], [14, -1022, -1], [13, 1023, 1]],
            [[-4, -1024, 0], [-9, 1021, 0.75], [-15, -1018, 0.5], [-20, 1000, 0]],
        ]
        let script = ScriptedReadings(episodes)
        let wrapper = try FeatureVectorEnvironment(
            script, map: try ObservationFeatureMap(features: Self.features, channels: Self.channels), frames: frames)
        let policy = try Self.identityPolicy(features: Self.features, channels: Self.channels, width: 7, frames: frames)
        XCTAssertEqual(wrapper.observationSize, policy.inputSize)

        wrapper.reset(seed: 0)
        policy.reset()
        XCTAssertEqual(wrapper.observations, Self.networkInput(policy, episodes[0][0]))
        var sawEnd = false
        for _ in 0..<(episodes[0].count + episodes[1].count - 2) {
            wrapper.step([0])
            if script.terminated[0] {
                sawEnd = true
                // The new episode: velocities 0, every frame its first reading.
                let width = 7
                XCTAssertEqual(wrapper.observations[2], 0)
                XCTAssertEqual(wrapper.observations[5], 0)
                XCTAssertEqual(Array(wrapper.observations[0..<width]), Array(wrapper.observations[width..<(2 * width)]))
                XCTAssertEqual(wrapper.finalObservations, Self.networkInput(policy, script.finalObservations), "last step of the ended episode")
                policy.reset()
            }
            XCTAssertEqual(wrapper.observations, Self.networkInput(policy, script.observations))
        }
        XCTAssertTrue(sawEnd)
    }

    func testWrapperOverTheFurutaPlantAgreesWithThePolicyAndSeesTheWrap() throws {
        // The real plant, faithful (noise, quantization, latency, randomization), swung by a bang-bang
        // motor: the pendulum passes the counter's wrap at hanging again and again.
        let description = try RobotDescription.bundled(named: "furuta")
        let config = EnvironmentConfig(frames: 2, randomize: true, angles: ["arm_encoder", "pendulum_encoder"], velocities: ["arm_encoder", "pendulum_encoder"])
        let features = try XCTUnwrap(try config.observationFeatures(for: description))
        let map = try ObservationFeatureMap(features: features, channels: description.sensors)
        let options = config.options(for: FurutaModel.self)
        XCTAssertEqual(options.frames, 1)
        let copies = 2
        let raw = try PlantVectorEnvironment<FurutaModel>(description: description, count: copies, threads: 1, options: options)
        let wrapped = try FeatureVectorEnvironment(
            try PlantVectorEnvironment<FurutaModel>(description: description, count: copies, threads: 1, options: options), map: map, frames: 2)
        let policies = try (0..<copies).map { _ in try Self.identityPolicy(features: features, channels: description.sensors, width: 6, frames: 2) }
        raw.reset(seed: 9)
        wrapped.reset(seed: 9)
        var crossings = 0, maxSpeed: Float = 0
        for t in 0..<600 {
            for i in 0..<copies {
                let reading = Array(raw.observations[(i * 2)..<(i * 2 + 2)])
                XCTAssertEqual(Array(wrapped.observations[(i * 12)..<(i * 12 + 12)]), Self.networkInput(policies[i], reading), "copy \(i) step \(t)")
                maxSpeed = max(maxSpeed, abs(wrapped.observations[i * 12 + 5]))
            }
            let previous = raw.observations
            let actions: [Float] = (0..<copies).map { i in ((t / (25 + 10 * i)) % 2 == 0) ? 10 : -10 }
            raw.step(actions)
            wrapped.step(actions)
            for i in 0..<copies {
                if raw.terminated[i] || raw.truncated[i] { policies[i].reset(); continue }
                if abs(raw.observations[i * 2 + 1] - previous[i * 2 + 1]) > 1024 { crossings += 1 }
            }
        }
        XCTAssertGreaterThan(crossings, 5, "the pendulum counter should wrap during the test")
        // Raw frame differences jump by ≈ 2048 counts (≈ 630 rad/s) at the wrap; the feature never does.
        XCTAssertLessThan(maxSpeed, 60)
    }

    func testDeployedEvaluationEqualsTheTrainingPathOnThePlant() throws {
        // Whole episodes on the faithful furuta plant: per-copy MLPPolicy instances fed raw readings
        // (Evaluation.run(policy:…), as deployment) give the same returns as the network run on the
        // wrapper's observations (as training evaluates): the same features, stacks and actions.
        let description = try RobotDescription.bundled(named: "furuta")
        let config = EnvironmentConfig(frames: 2, randomize: true, angles: ["arm_encoder", "pendulum_encoder"], velocities: ["pendulum_encoder"])
        let features = try XCTUnwrap(try config.observationFeatures(for: description))
        let width = 5, n = width * 2
        let architecture = PolicyArchitecture(inputSize: n, hiddenSizes: [16], outputSize: 1, activation: .tanh, head: .gaussian, frames: 2)
        var rng = SeededGenerator(seed: 4)
        var weights: [String: Tensor] = [:]
        for (name, shape) in architecture.expectedTensors {
            weights[name] = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(rng.uniform(-1, 1)) })
        }
        let file = PolicyFile(
            architecture: architecture, weights: weights,
            observationNormalization: ObservationNormalization(mean: [Float](repeating: 0.1, count: n), variance: [Float](repeating: 0.5, count: n)),
            observationChannels: description.sensors, actuatorChannels: description.actuators, actionSpace: description.actionSpace,
            provenance: Provenance(
                robot: "furuta", algorithm: "ppo", seed: 1, envSteps: 0, meanReturn: 0, evaluationEpisodes: 0, trainingSeconds: 0,
                date: "", reflexVersion: "", command: "", robotDescription: ""),
            observationFeatures: features)
        let episodes = 3
        let options = config.options(for: FurutaModel.self)
        let deployed = Evaluation.run(
            policy: try MLPPolicy(file: file),
            environment: try PlantVectorEnvironment<FurutaModel>(description: description, count: episodes, threads: 1, options: options),
            episodes: episodes, seed: 21)
        let network = try MLPPolicy(file: file)
        let wrapped = try FeatureVectorEnvironment(
            try PlantVectorEnvironment<FurutaModel>(description: description, count: episodes, threads: 1, options: options),
            map: try ObservationFeatureMap(features: features, channels: description.sensors), frames: 2)
        var steps = 0
        let trained = Evaluation.run(environment: wrapped, episodes: episodes, seed: 21) { obs, count, actions in
            steps += 1
            obs.withUnsafeBufferPointer { o in actions.withUnsafeMutableBufferPointer { network.logits(observations: o, count: count, into: $0) } }
        }
        XCTAssertEqual(deployed.returns, trained.returns)
        XCTAssertEqual(deployed.returns.count, episodes)
        XCTAssertGreaterThan(steps, 300, "whole episodes, not an early failure")
    }

    // MARK: - Preset keys and training

    func testPresetKeysParseFromYAMLAndSet() throws {
        let yaml = """
            environment:
              frames: 2
              angles: [arm_encoder, pendulum_encoder]
              velocities: [pendulum_encoder]
            """
        let preset = try PresetFile.parse(yaml: yaml, file: "test.yaml", knownSections: TrainingSetup.sections)
        var environment = EnvironmentConfig()
        try preset.settings.apply(to: &environment, section: "environment", fields: EnvironmentConfig.fields)
        XCTAssertEqual(environment, EnvironmentConfig(frames: 2, angles: ["arm_encoder", "pendulum_encoder"], velocities: ["pendulum_encoder"]))
        try [ConfigSetting.parse("environment.velocities=none")].apply(to: &environment, section: "environment", fields: EnvironmentConfig.fields)
        XCTAssertEqual(environment.velocities, [])
        // A checkpoint from before the keys existed reads as no features.
        let old = try JSONDecoder().decode(EnvironmentConfig.self, from: Data(#"{"frames":4,"randomize":true}"#.utf8))
        XCTAssertEqual(old, EnvironmentConfig(frames: 4, randomize: true))
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(old), as: UTF8.self).contains("angles"), false)
    }

    func testFeatureMistakesAreNamed() throws {
        func message(_ robot: String, _ settings: [String]) -> String {
            do {
                let description = try RobotDescription.bundled(named: robot)
                _ = try TrainingSetup.make(
                    description: description, algorithm: "ppo", seed: 1, preset: PresetFile(settings: []),
                    overrides: try settings.map(ConfigSetting.parse), totalSteps: nil)
            } catch { return "\(error)" }
            return "no error"
        }
        XCTAssertTrue(message("furuta", ["environment.angles=[arm, pendulum_encoder]"]).contains("'arm' is not a sensor channel of furuta"))
        XCTAssertTrue(message("furuta", ["environment.velocities=[pendulum_encoder, pendulum_encoder]"]).contains("twice"))
        XCTAssertTrue(message("cartpole-rig", ["environment.angles=cart_encoder"]).contains("not rad"))
        XCTAssertTrue(message("cartpole", ["environment.angles=pole_angle"]).contains("plant robots"))
        XCTAssertEqual(message("furuta", ["environment.angles=pendulum_encoder", "environment.velocities=arm_encoder,pendulum_encoder"]), "no error")
    }

    func testTrainerExportsFeaturesThatTheDeployedPolicyApplies() throws {
        let description = try RobotDescription.bundled(named: "furuta")
        let trainer = try TrainingSetup.make(
            description: description, algorithm: "ppo", seed: 3, preset: PresetFile(settings: []),
            overrides: try ["environment.frames=2", "environment.angles=pendulum_encoder", "environment.velocities=arm_encoder,pendulum_encoder"]
                .map(ConfigSetting.parse),
            totalSteps: nil)
        let provenance = Provenance(
            robot: description.name, algorithm: "ppo", seed: 3, envSteps: 0, meanReturn: 0, evaluationEpisodes: 0,
            trainingSeconds: 0, date: "", reflexVersion: "", command: "", robotDescription: description.sourceText)
        let file = trainer.policyFile(description: description, provenance: provenance)
        // arm: raw + velocity; pendulum: cos, sin, velocity → 5 per frame × 2 frames.
        XCTAssertEqual(file.architecture.inputSize, 10)
        XCTAssertEqual(file.observationFeatures?.map(\.channel), ["arm_encoder", "pendulum_encoder"])
        XCTAssertEqual(file.observationFeatures?.last?.wrap, 2048)
        XCTAssertEqual(file.observationFeatures?.last?.period, description.controlPeriod)
        XCTAssertEqual(file.observationChannels, description.sensors)
        let loaded = try PolicyFile.decode(try file.encoded())
        XCTAssertEqual(loaded, file)
        XCTAssertNoThrow(try loaded.verify(sensors: description.sensors, actuators: description.actuators))
        XCTAssertEqual(try MLPPolicy(file: loaded).observationFeatures?.outputCount, 5)
        // A resumed run rebuilds the same features from its checkpoint.
        let resumed = try TrainingSetup.resume(description: description, checkpoint: trainer.checkpoint(), totalSteps: nil)
        XCTAssertEqual(resumed.policyFile(description: description, provenance: provenance).observationFeatures, file.observationFeatures)
    }
}

/// One copy replaying scripted episodes of raw readings: each `step` moves to the next reading; the last
/// reading of an episode ends it (terminated), and the next episode's first reading is observed.
final class ScriptedReadings: ContinuousVectorEnvironment {
    let episodes: [[[Float]]]
    private(set) var episode = 0, step = 0
    let count = 1, actionSize = 1
    var observationSize: Int { episodes[0][0].count }
    let actionLow: [Float] = [-1], actionHigh: [Float] = [1]
    private(set) var observations: [Float] = []
    private(set) var finalObservations: [Float] = []
    private(set) var rewards: [Float] = [0]
    private(set) var terminated = [false], truncated = [false]
    var finishedEpisodes: [(score: Double, length: Int)] { [] }

    init(_ episodes: [[[Float]]]) {
        self.episodes = episodes
        reset(seed: 0)
    }

    func reset(seed: UInt64) {
        (episode, step) = (0, 0)
        observations = episodes[0][0]
        finalObservations = observations
        terminated = [false]
    }

    func step(_ actions: [Float]) {
        step += 1
        let reading = episodes[episode][step]
        terminated = [step == episodes[episode].count - 1]
        if terminated[0] {
            finalObservations = reading
            episode = (episode + 1) % episodes.count
            step = 0
            observations = episodes[episode][0]
        } else {
            observations = reading
        }
    }
}
