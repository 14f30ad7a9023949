import Foundation
import Learning
import NeuralNet
import PolicyRuntime
import ReflexCore
import Simulation
import XCTest

/// "Steer toward the bright column": a 16×16 grayscale image with one bright column on a noisy floor; the
/// two wheel duties' difference should point at it (left edge −1, right edge +1). Each step shows a new
/// column; an episode is 16 steps and counts as a "lap" when its mean reward exceeds 0.8 (a random policy
/// earns about 0.5). A tiny stand-in for the camera line follower, small enough to learn in seconds.
struct BrightColumnTask: Environment {
    static let size = 16
    static let preprocessing = ImagePreprocessing(width: size, height: size, grayscale: true, frames: 1)
    let observationChannels = BrightColumnTask.preprocessing.observationChannels
    let actuatorChannels = [
        ChannelSpec(name: "left_motor_duty", unit: "1", min: -1, max: 1, safeValue: 0),
        ChannelSpec(name: "right_motor_duty", unit: "1", min: -1, max: 1, safeValue: 0),
    ]
    let actionSpace = ActionSpace.continuous(low: [-1, -1], high: [1, 1])
    var generator = SeededGenerator(seed: 0)
    var column = 0
    var steps = 0
    var episodeReward = 0.0

    /// Where the column is, as the turn that points at it: −1 (left edge) … +1 (right edge).
    var target: Double { Double(column) / Double(Self.size - 1) * 2 - 1 }

    mutating func draw() -> [Float] {
        column = Int(generator.next() % UInt64(Self.size))
        var image = [Float](repeating: 0, count: Self.size * Self.size)
        for y in 0..<Self.size {
            for x in 0..<Self.size {
                image[y * Self.size + x] = x == column ? 0.9 : Float(generator.uniform(0.1, 0.35))
            }
        }
        return image
    }

    mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { generator = SeededGenerator(seed: seed) }
        steps = 0
        episodeReward = 0
        return draw()
    }

    mutating func step(_ action: Action) -> Step {
        guard case .continuous(let duties) = action else { preconditionFailure("continuous actions only") }
        let turn = (duties[1] - duties[0]) / 2
        let reward = 1 - abs(turn - target)
        episodeReward += reward
        steps += 1
        return Step(observation: draw(), reward: reward, terminated: false, truncated: steps >= 16)
    }

    var lap: Double { episodeReward / Double(steps) > 0.8 ? 1 : 0 }

    /// One image of a fresh task.
    func withDraw() -> [Float] {
        var copy = self
        return copy.draw()
    }
}

final class PixelPPOTests: XCTestCase {
    static func trainer(steps: Int, seed: UInt64 = 3) throws -> PixelPPO {
        var config = PixelPPOConfig.defaultPPO
        config.environments = 8
        config.stepsPerRollout = 32
        config.minibatches = 4
        config.epochs = 4
        config.totalSteps = steps
        config.learningRate = 1e-3
        config.gamma = 0.5
        config.hiddenSizes = [32]
        config.normalizeRewards = false
        config.evaluationEpisodes = 32
        var pixels = PixelPPOConfig()
        pixels.filters = [8, 8]
        pixels.kernels = [4, 3]
        pixels.strides = [2, 2]
        pixels.solvedLapRate = 0.9
        let make = { (n: Int) -> ScoredVectorEnvironment in
            try EnvironmentCopies(count: n, score: { $0.lap }) { _ in BrightColumnTask() }
        }
        return try PixelPPO(
            config: config, pixels: pixels, seed: seed, imageShape: [1, BrightColumnTask.size, BrightColumnTask.size],
            makeEnvironment: make, makeEvaluationEnvironment: make)
    }

    /// Learns to steer at the column from pixels alone, and the exported CNN policy file acts as the
    /// trainer's deterministic policy did.
    func testLearnsToSteerTowardTheBrightColumn() throws {
        let untrained = try Self.trainer(steps: 256).evaluate(episodes: 32, seed: 99)
        let ppo = try Self.trainer(steps: 60_000)
        let start = Date()
        let result = ppo.train()
        let seconds = Date().timeIntervalSince(start)
        let evaluation = try XCTUnwrap(ppo.lastLapEvaluation)
        XCTAssertTrue(result.solved, "lap rate \(evaluation.lapCompletionRate), return \(evaluation.returns.mean) after \(result.envSteps) steps")
        XCTAssertGreaterThanOrEqual(evaluation.lapCompletionRate, 0.9)
        XCTAssertLessThan(untrained.lapCompletionRate, 0.2, "an untrained policy should not already steer")
        XCTAssertGreaterThan(evaluation.returns.mean, untrained.returns.mean + 3)
        print("pixel PPO (bright column): \(result.envSteps) steps, \(String(format: "%.1f", seconds)) s, lap rate \(evaluation.lapCompletionRate)")

        // Deployment: the policy file's CNNPolicy on fresh episodes completes them as training's evaluation did.
        let file = ppo.policyFile(
            description: try RobotDescription.bundled(named: "diffdrive"),
            provenance: Provenance(
                robot: "bright-column", algorithm: "ppo", seed: 3, envSteps: result.envSteps, meanReturn: 0, evaluationEpisodes: 0,
                trainingSeconds: seconds, date: "", reflexVersion: ReflexVersion.current, command: "", robotDescription: ""))
        XCTAssertEqual(file.architecture.kind, "cnn")
        let policy = try CNNPolicy(file: PolicyFile.decode(file.encoded()))
        let env = try EnvironmentCopies(count: 4, score: { $0.lap }) { _ in BrightColumnTask() }
        var actuators = [Float](repeating: 0, count: 2)
        let deployed = PixelPPO.evaluate(environment: env, episodes: 16, seed: 123) { obs, rows in
            var out: [Float] = []
            for r in 0..<rows {
                obs[(r * policy.inputSize)..<((r + 1) * policy.inputSize)].withUnsafeBufferPointer { o in
                    actuators.withUnsafeMutableBufferPointer { policy.act(observation: o, actuators: $0) }
                }
                out += actuators
            }
            return out
        }
        let trained = PixelPPO.evaluate(environment: env, episodes: 16, seed: 123) { obs, rows in
            ppo.means(observations: obs, rows: rows)
        }
        XCTAssertEqual(deployed.returns.mean, trained.returns.mean, accuracy: 1e-3 * abs(trained.returns.mean))
        XCTAssertGreaterThanOrEqual(deployed.lapCompletionRate, 0.9)
    }

    /// The copies' episodes depend on the seed, not on how many threads step them.
    func testEnvironmentCopiesDoNotDependOnThreads() throws {
        func run(threads: Int) throws -> ([Float], [Float], [Double]) {
            let env = try EnvironmentCopies(count: 5, threads: threads, score: { $0.lap }) { _ in BrightColumnTask() }
            env.reset(seed: 42)
            var rewards: [Float] = [], scores: [Double] = []
            for t in 0..<40 {
                env.step((0..<10).map { Float(($0 * 7 + t) % 5) * 0.4 - 0.8 })
                rewards += env.rewards
                scores += env.finishedScores
            }
            XCTAssertEqual(env.finishedScores.count, env.finishedEpisodes.count)
            return (env.observations, rewards, scores)
        }
        let one = try run(threads: 1), two = try run(threads: 2)
        XCTAssertEqual(one.0, two.0)
        XCTAssertEqual(one.1, two.1)
        XCTAssertEqual(one.2, two.2)
        XCTAssertEqual(one.2.count, 10, "5 copies × 2 episodes of 16 steps ended in 40 steps")
    }

    /// A checkpoint restores the network: a fresh trainer acts exactly as the one that wrote it.
    func testCheckpointRestoresTheNetwork() throws {
        let ppo = try Self.trainer(steps: 512)
        _ = ppo.train()
        let fresh = try Self.trainer(steps: 512, seed: 8)
        try fresh.restore(from: ppo.checkpoint())
        let images = (0..<3).flatMap { BrightColumnTask(generator: SeededGenerator(seed: UInt64($0))).withDraw() }
        XCTAssertEqual(fresh.means(observations: images, rows: 3), ppo.means(observations: images, rows: 3))
        XCTAssertEqual(fresh.counters, ppo.counters)
    }

    func testBadSettingsAreRefused() throws {
        var pixels = PixelPPOConfig()
        pixels.kernels = [8]
        let make = { (n: Int) -> ScoredVectorEnvironment in try EnvironmentCopies(count: n) { _ in BrightColumnTask() } }
        XCTAssertThrowsError(try PixelPPO(
            config: PixelPPOConfig.defaultPPO, pixels: pixels, seed: 1, imageShape: [1, 16, 16], makeEnvironment: make,
            makeEvaluationEnvironment: make)) { XCTAssertTrue("\($0)".contains("one value per convolution"), "\($0)") }
        XCTAssertThrowsError(try PixelPPO(
            config: PixelPPOConfig.defaultPPO, pixels: PixelPPOConfig(), seed: 1, imageShape: [1, 16, 16], makeEnvironment: make,
            makeEvaluationEnvironment: make)) { XCTAssertTrue("\($0)".contains("do not fit a 16×16 image"), "\($0)") }
        XCTAssertThrowsError(try PixelPPO(
            config: PixelPPOConfig.defaultPPO, pixels: PixelPPOConfig(), seed: 1, imageShape: [1, 64, 64], makeEnvironment: make,
            makeEvaluationEnvironment: make)) { XCTAssertTrue("\($0)".contains("observes 256 values"), "\($0)") }
    }
}
