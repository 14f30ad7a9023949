import Foundation
import XCTest
import NeuralNet
import PolicyRuntime
import ReflexCore
import Simulation
@testable import Learning

/// PPO with a Gaussian policy and SAC on the bundled Pendulum, and their exported policy files.
final class ContinuousControlTests: XCTestCase {
    func pendulumPreset() throws -> PresetFile {
        try PresetFile.bundled(robot: "pendulum", knownSections: TrainingSetup.algorithms)
    }

    func makeTrainer(_ algorithm: String, seed: UInt64, overrides: [String] = [], steps: Int? = nil) throws -> Trainer {
        try TrainingSetup.make(
            description: RobotDescription.bundled(named: "pendulum"), algorithm: algorithm, seed: seed,
            preset: pendulumPreset(), overrides: overrides.map(ConfigSetting.parse), totalSteps: steps)
    }

    func provenance(_ algorithm: String) -> Provenance {
        Provenance(
            robot: "pendulum", algorithm: algorithm, seed: 1, envSteps: 0, meanReturn: 0, evaluationEpisodes: 0,
            trainingSeconds: 0, date: "2026-01-01T00:00:00Z", reflexVersion: ReflexVersion.current, command: "test",
            robotDescription: "")
    }

    /// The headline: PPO swings the pendulum up (10-episode deterministic mean ≥ −200) with the preset, and
    /// the exported file — with its frozen observation normalizer — scores the same on fresh episodes.
    func testPPOSolvesPendulumAndTheExportedPolicyHoldsUp() throws {
        let trainer = try makeTrainer("ppo", seed: 1)
        let result = trainer.train(shouldStop: { false }, progress: { _ in })
        XCTAssertTrue(result.solved, "mean \(result.evaluation.mean) after \(result.envSteps) steps")
        XCTAssertGreaterThanOrEqual(result.evaluation.mean, -200)
        XCTAssertEqual(result.evaluation.episodes, 10)

        let file = trainer.policyFile(description: try RobotDescription.bundled(named: "pendulum"), provenance: provenance("ppo"))
        XCTAssertEqual(file.architecture.head, .gaussian)
        let norm = try XCTUnwrap(file.observationNormalization, "the normalizer travels with the policy")
        XCTAssertGreaterThan(norm.variance[2], 1, "θ̇ statistics were collected (variance \(norm.variance[2]))")
        let policy = try MLPPolicy(file: try PolicyFile.decode(file.encoded()))
        let check = Evaluation.run(
            policy: policy, environment: PendulumVectorEnvironment(model: PendulumModel(), count: 30), episodes: 30, seed: 99)
        XCTAssertGreaterThan(check.mean, -300, "deployed policy on 30 fresh episodes: \(check.mean)")
    }

    func testPPOIsReproducibleAndReportsCleanRLMetrics() throws {
        var reports: [TrainingProgress] = []
        let a = try makeTrainer("ppo", seed: 4, steps: 4_096) as! PPOContinuous
        let b = try makeTrainer("ppo", seed: 4, steps: 4_096) as! PPOContinuous
        _ = a.train(shouldStop: { false }) { reports.append($0) }
        _ = b.train(shouldStop: { false }, progress: { _ in })
        XCTAssertEqual(a.actor.parameters.map(\.value), b.actor.parameters.map(\.value))
        XCTAssertEqual(a.logStd.value, b.logStd.value)
        XCTAssertEqual(reports.map(\.update), [1, 2])
        XCTAssertTrue(reports.allSatisfy { $0.metrics.approxKL.isFinite && $0.metrics.clipFraction >= 0 })
        // Entropy of a 1-D Gaussian with log σ ≈ 0: ½ + ½ log 2π ≈ 1.42.
        XCTAssertEqual(reports[0].metrics.entropy, 1.42, accuracy: 0.05)
    }

    func testKLEarlyStopCutsEpochs() throws {
        // A tiny KL target stops every update after its first epoch (16 minibatches instead of 10 × 16).
        let stopped = try makeTrainer("ppo", seed: 2, overrides: ["ppo.target_kl=1e-9"], steps: 4_096)
        var steps: [Int] = []
        _ = stopped.train(shouldStop: { false }) { steps.append($0.metrics.gradientSteps) }
        XCTAssertEqual(steps, [16, 16])
        let full = try makeTrainer("ppo", seed: 2, steps: 4_096)
        steps = []
        _ = full.train(shouldStop: { false }) { steps.append($0.metrics.gradientSteps) }
        XCTAssertEqual(steps, [160, 160])
    }

    func testStopRequestEndsTrainingBetweenUpdates() throws {
        let trainer = try makeTrainer("ppo", seed: 1)
        var updates = 0
        let result = trainer.train(shouldStop: { updates >= 2 }) { _ in updates += 1 }
        XCTAssertEqual(updates, 2)
        XCTAssertEqual(result.envSteps, 2 * 8 * 256)
    }

    /// SAC for a short run: reproducible from the seed, α tuned down from its start, and the exported
    /// squashed-Gaussian policy file acts exactly like SAC's own deterministic action.
    func testSACShortRunExportsItsDeterministicAction() throws {
        let overrides = ["sac.learning_starts=200", "sac.batch_size=64", "sac.solved_return=none"]
        let a = try makeTrainer("sac", seed: 3, overrides: overrides, steps: 600) as! SAC
        let b = try makeTrainer("sac", seed: 3, overrides: overrides, steps: 600) as! SAC
        _ = a.train(shouldStop: { false }, progress: { _ in })
        _ = b.train(shouldStop: { false }, progress: { _ in })
        XCTAssertEqual(a.actor.parameters.map(\.value), b.actor.parameters.map(\.value))
        XCTAssertEqual(a.buffer.count, 600)
        XCTAssertNotEqual(a.alpha, 0.2, "α is tuned")

        let file = a.policyFile(description: try RobotDescription.bundled(named: "pendulum"), provenance: provenance("sac"))
        XCTAssertEqual(file.architecture.head, .squashedGaussian)
        let policy = try MLPPolicy(file: try PolicyFile.decode(file.encoded()))
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<20 {
            let theta = rng.uniform(-3, 3)
            let obs: [Float] = [Float(cos(theta)), Float(sin(theta)), Float(rng.uniform(-8, 8))]
            let mean = a.actor.forward(Tensor(shape: [1, 3], scalars: obs)).scalars[0]
            var torque: [Float] = [0]
            obs.withUnsafeBufferPointer { o in torque.withUnsafeMutableBufferPointer { policy.act(observation: o, actuators: $0) } }
            XCTAssertEqual(torque[0], 2 * fastTanh(mean), accuracy: 1e-5)
            XCTAssertLessThanOrEqual(abs(torque[0]), 2)
        }
    }

    func testSACRefusesDiscreteActions() throws {
        XCTAssertThrowsError(
            try TrainingSetup.make(
                description: RobotDescription.bundled(named: "cartpole"), algorithm: "sac", seed: 1,
                preset: PresetFile(settings: []), overrides: [], totalSteps: nil)
        ) { error in
            XCTAssertTrue("\(error)".contains("continuous"), "\(error)")
        }
    }
}

/// Checkpoints: a restored trainer holds exactly the saved state and continues from its counters.
final class CheckpointTests: XCTestCase {
    func trainer(_ algorithm: String, steps: Int) throws -> CheckpointableTrainer {
        try TrainingSetup.make(
            description: RobotDescription.bundled(named: "pendulum"), algorithm: algorithm, seed: 8,
            preset: PresetFile.bundled(robot: "pendulum", knownSections: TrainingSetup.algorithms),
            overrides: algorithm == "sac" ? [ConfigSetting.parse("sac.learning_starts=100")] : [], totalSteps: steps)
    }

    func roundTrip(_ algorithm: String, steps: Int, parameters: (CheckpointableTrainer) -> [Parameter]) throws {
        let a = try trainer(algorithm, steps: steps)
        var reports = 0
        _ = a.train(shouldStop: { reports >= 2 }, progress: { _ in reports += 1 })
        let path = NSTemporaryDirectory() + "ckpt-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try a.checkpoint().write(to: path)
        let loaded = try Checkpoint.load(path: path)
        let b = try TrainingSetup.resume(description: RobotDescription.bundled(named: "pendulum"), checkpoint: loaded, totalSteps: nil)
        XCTAssertEqual(parameters(b).map(\.value), parameters(a).map(\.value))
        XCTAssertEqual(b.counters, a.counters)
        XCTAssertEqual(b.counters.update, 2)
        var updates: [Int] = []
        let result = b.train(shouldStop: { updates.count >= 1 }, progress: { updates.append($0.update) })
        XCTAssertEqual(updates, [3], "the resumed run continues with the next update")
        XCTAssertGreaterThan(result.envSteps, a.counters.envSteps)
    }

    func testPPOCheckpointRoundTrip() throws {
        try roundTrip("ppo", steps: 20_480) { t in
            let p = t as! PPOContinuous
            return p.actor.parameters + [p.logStd] + p.critic.parameters
        }
    }

    func testSACCheckpointRoundTripKeepsTheReplayBuffer() throws {
        try roundTrip("sac", steps: 2_000) { t in
            let s = t as! SAC
            return s.actor.parameters + s.q1Target.parameters + [s.logAlpha]
        }
    }

    func testForeignAndMissingCheckpointsAreRefused() throws {
        let path = NSTemporaryDirectory() + "ckpt-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try Checkpoint.load(path: path)) { XCTAssertTrue("\($0)".contains("no checkpoint here"), "\($0)") }
        try Data(Safetensors.encode(tensors: [:], metadata: ["format": "something-else"])).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.load(path: path)) { XCTAssertTrue("\($0)".contains("not a Reflex training checkpoint"), "\($0)") }
    }
}
