import XCTest
import NeuralNet
import PolicyRuntime
import ReflexCore
import Simulation
@testable import Learning

final class PPOTests: XCTestCase {
    func makePPO(seed: UInt64, steps: Int) -> PPO {
        var config = PPOConfig.cartpole
        config.totalSteps = steps
        return PPO(config: config, seed: seed) { CartPoleVectorEnvironment(model: CartPoleModel(), count: $0) }
    }

    /// The headline behaviour: PPO solves CartPole (deterministic mean ≥ 475 over 100 episodes) from a
    /// fixed seed within the preset's budget. `make test` builds with optimization, so this takes seconds.
    func testPPOSolvesCartPoleFromAFixedSeed() throws {
        let result = makePPO(seed: 1, steps: 100_000).train()
        XCTAssertTrue(result.solved, "mean return \(result.evaluation.mean) after \(result.envSteps) steps")
        XCTAssertGreaterThanOrEqual(result.evaluation.mean, 475)
        XCTAssertEqual(result.evaluation.episodes, 100)
        XCTAssertLessThan(result.envSteps, 100_000)
    }

    func testTrainingIsReproducibleFromTheSeed() {
        let a = makePPO(seed: 5, steps: 2_048)
        let b = makePPO(seed: 5, steps: 2_048)
        let c = makePPO(seed: 6, steps: 2_048)
        _ = a.train(); _ = b.train(); _ = c.train()
        let wa = a.actor.parameters.map(\.value), wb = b.actor.parameters.map(\.value), wc = c.actor.parameters.map(\.value)
        XCTAssertEqual(wa, wb)
        XCTAssertNotEqual(wa, wc)
    }

    func testProgressIsReportedEveryUpdate() {
        var reports: [TrainingProgress] = []
        var config = PPOConfig.cartpole
        config.totalSteps = 1_024
        config.solvedReturn = nil
        let ppo = PPO(config: config, seed: 1) { CartPoleVectorEnvironment(model: CartPoleModel(), count: $0) }
        _ = ppo.train { reports.append($0) }
        XCTAssertEqual(reports.map(\.update), [1, 2, 3, 4])
        XCTAssertEqual(reports.last?.envSteps, 1_024)
        XCTAssertTrue(reports.allSatisfy { $0.metrics.entropy > 0 && $0.metrics.entropy <= logf(2) + 1e-4 })
    }

    func testExportedPolicyFileActsLikeTheTrainedActor() throws {
        let ppo = makePPO(seed: 3, steps: 4_096)
        _ = ppo.train()
        let description = RobotDescription(
            name: "cartpole", simulator: "cartpole", summary: "", controlPeriod: 0.02, physics: [:], integrator: "euler",
            task: [:], maxEpisodeSteps: 500, sensors: CartPoleModel.sensorChannels,
            actuators: [ChannelSpec(name: "cart_force", unit: "N", min: -10, max: 10, safeValue: 0)],
            actionSpace: .discrete(choices: [[-10], [10]]))
        let provenance = Provenance(
            robot: "cartpole", algorithm: "ppo", seed: 3, envSteps: 4_096, meanReturn: 0, evaluationEpisodes: 0,
            trainingSeconds: 0, date: "2026-01-01T00:00:00Z", reflexVersion: ReflexVersion.current, command: "test",
            robotDescription: "")
        let path = NSTemporaryDirectory() + "ppo-export-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ppo.policyFile(description: description, provenance: provenance).write(to: path)
        let policy = try MLPPolicy(path: path)
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<50 {
            let obs = (0..<4).map { _ in Float(rng.uniform(-0.2, 0.2)) }
            let logits = ppo.actor.forward(Tensor(shape: [1, 4], scalars: obs)).scalars
            let expected = logits[1] > logits[0] ? 1 : 0
            XCTAssertEqual(policy.actionIndex(observation: obs), expected)
            var force: [Float] = [0]
            obs.withUnsafeBufferPointer { o in force.withUnsafeMutableBufferPointer { policy.act(observation: o, actuators: $0) } }
            XCTAssertEqual(force[0], expected == 1 ? 10 : -10)
        }
    }
}
