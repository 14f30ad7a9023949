import Foundation
import NeuralNet
import ReflexCore
import Simulation
import XCTest
@testable import Learning

/// Stopping, checkpointing and resuming gives exactly the parameters of a run that was never stopped, and
/// runs are bit-identical for a seed and a thread count (and, since the parallel passes share nothing,
/// across thread counts too).
final class ResumeTests: XCTestCase {
    func cartPole(seed: UInt64, threads: Int = 2) -> PPO {
        var config = PPOConfig.cartpole
        config.totalSteps = 8 * 256
        let ppo = PPO(config: config, seed: seed) { CartPoleVectorEnvironment(model: CartPoleModel(), count: $0) }
        ppo.threads = threads
        return ppo
    }

    func pendulumPPO(seed: UInt64) throws -> PPOContinuous {
        var config = PPOConfig()
        config.environments = 4
        config.stepsPerRollout = 128
        config.totalSteps = 6 * 512
        config.minibatches = 4
        config.epochs = 3
        config.normalizeObservations = true
        config.normalizeRewards = true
        config.solvedReturn = nil
        let model = try PendulumModel(description: RobotDescription.bundled(named: "pendulum"))
        return PPOContinuous(config: config, seed: seed) { PendulumVectorEnvironment(model: model, count: $0) }
    }

    func pendulumSAC(seed: UInt64) throws -> SAC {
        var config = SACConfig()
        config.totalSteps = 500
        config.learningStarts = 200
        config.batchSize = 32
        config.solvedReturn = nil
        let model = try PendulumModel(description: RobotDescription.bundled(named: "pendulum"))
        return SAC(config: config, seed: seed) { PendulumVectorEnvironment(model: model, count: $0) }
    }

    /// Writes the checkpoint to a file and reads it back (the path `reflex train --resume` takes).
    func throughFile(_ checkpoint: Checkpoint) throws -> Checkpoint {
        let path = NSTemporaryDirectory() + "resume-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try checkpoint.write(to: path)
        return try Checkpoint.load(path: path)
    }

    func values(_ parameters: [Parameter]) -> [Tensor] { parameters.map(\.value) }

    func testResumedCartPoleRunEndsWithTheUninterruptedParameters() throws {
        let whole = cartPole(seed: 3)
        let wholeResult = whole.train()

        let first = cartPole(seed: 3)
        var updates = 0
        _ = first.train(shouldStop: { updates >= 3 }, progress: { _ in updates += 1 })
        XCTAssertEqual(first.counters.update, 3)
        let resumed = cartPole(seed: 3)
        try resumed.restore(from: throughFile(first.checkpoint()))
        let resumedResult = resumed.train()

        XCTAssertEqual(values(resumed.actor.parameters + resumed.critic.parameters), values(whole.actor.parameters + whole.critic.parameters))
        XCTAssertEqual(resumed.optimizer.state.firstMoments, whole.optimizer.state.firstMoments)
        XCTAssertEqual(resumedResult.envSteps, wholeResult.envSteps)
        XCTAssertEqual(resumedResult.evaluation, wholeResult.evaluation)
    }

    /// Observation normalizer, reward scaling's running return per copy, and the environments mid-episode
    /// (Pendulum's 200-step episodes straddle the 128-step rollouts) all carry over.
    func testResumedPendulumPPOEndsWithTheUninterruptedParameters() throws {
        let whole = try pendulumPPO(seed: 4)
        _ = whole.train()
        let first = try pendulumPPO(seed: 4)
        var updates = 0
        _ = first.train(shouldStop: { updates >= 2 }, progress: { _ in updates += 1 })
        let resumed = try pendulumPPO(seed: 4)
        try resumed.restore(from: throughFile(first.checkpoint()))
        _ = resumed.train()
        XCTAssertEqual(
            values(resumed.actor.parameters + [resumed.logStd] + resumed.critic.parameters),
            values(whole.actor.parameters + [whole.logStd] + whole.critic.parameters))
        XCTAssertEqual(resumed.observationStatistics, whole.observationStatistics)
        XCTAssertEqual(resumed.returnStatistics, whole.returnStatistics)
    }

    /// SAC stopped between two progress reports (as SIGINT does) resumes exactly, replay buffer included.
    func testSACStoppedBetweenReportsResumesExactly() throws {
        let whole = try pendulumSAC(seed: 5)
        _ = whole.train()
        let first = try pendulumSAC(seed: 5)
        var checks = 0
        _ = first.train(shouldStop: { checks += 1; return checks > 137 }, progress: { _ in })
        XCTAssertEqual(first.counters.envSteps, 137, "stopped mid-report, and the counters say where")
        let resumed = try pendulumSAC(seed: 5)
        try resumed.restore(from: throughFile(first.checkpoint()))
        _ = resumed.train()
        XCTAssertEqual(values(resumed.allParameters), values(whole.allParameters))
        XCTAssertEqual(resumed.buffer.rewards, whole.buffer.rewards)
    }

    func testRunsAreBitIdenticalForASeedAndAThreadCount() {
        let a = cartPole(seed: 8, threads: 2), b = cartPole(seed: 8, threads: 2), one = cartPole(seed: 8, threads: 1)
        _ = a.train(); _ = b.train(); _ = one.train()
        XCTAssertEqual(values(a.actor.parameters + a.critic.parameters), values(b.actor.parameters + b.critic.parameters))
        XCTAssertEqual(values(a.actor.parameters + a.critic.parameters), values(one.actor.parameters + one.critic.parameters))
    }
}
