import CAllocationCounter
import NeuralNet
import ReflexCore
import Simulation
import XCTest
@testable import Learning

/// The training inner loop does not touch the heap: once a warm-up has sized the workspaces, a rollout
/// step, a PPO minibatch step (gather, both forward passes, losses, both backward passes, gradient
/// clipping, Adam), a whole PPO update (rollout, GAE, shuffles, every minibatch step) and a SAC
/// environment step and gradient step (replay sampling, target, critic and actor passes, Adam, α, Polyak)
/// allocate nothing, counted by an interposed malloc. CAllocationCounter counts the calling thread: the
/// one-thread runs cover all the work, the two-thread runs the calling thread's half and the handoff (the
/// worker's half is the same code the one-thread runs count).
final class TrainingAllocationTests: XCTestCase {
    struct Rollout {
        var observations: [Float], discreteActions: [Int32], continuousActions: [Float]
        var oldLogProbs: [Float], advantages: [Float], returns: [Float], oldValues: [Float]
        init(batch: Int, observationSize: Int, seed: UInt64) {
            var rng = SeededGenerator(seed: seed)
            func values(_ n: Int, _ scale: Double) -> [Float] { (0..<n).map { _ in Float(rng.uniform(-scale, scale)) } }
            observations = values(batch * observationSize, 1)
            discreteActions = (0..<batch).map { _ in Int32(rng.next() % 2) }
            continuousActions = values(batch, 2)
            oldLogProbs = values(batch, 0.1).map { $0 - 0.7 }
            advantages = values(batch, 1)
            returns = values(batch, 5)
            oldValues = values(batch, 5)
        }
    }

    func discretePPO(epochs: Int, threads: Int) -> PPO {
        var config = PPOConfig.cartpole
        config.minibatches = 4
        config.epochs = epochs
        let ppo = PPO(config: config, seed: 1) { CartPoleVectorEnvironment(model: CartPoleModel(), count: $0) }
        ppo.threads = threads
        ppo.actionHistory.reserveCapacity(1 << 16)  // as `train` does for its whole budget
        return ppo
    }

    /// Pendulum with observation normalization and reward scaling on (both run every step).
    func continuousPPO(epochs: Int, threads: Int) throws -> PPOContinuous {
        var config = PPOConfig()
        config.environments = 4
        config.stepsPerRollout = 64
        config.minibatches = 4
        config.epochs = epochs
        config.normalizeObservations = true
        config.normalizeRewards = true
        let model = try PendulumModel(description: RobotDescription.bundled(named: "pendulum"))
        let ppo = PPOContinuous(config: config, seed: 1) { PendulumVectorEnvironment(model: model, count: $0) }
        ppo.threads = threads
        ppo.actionHistory.reserveCapacity(1 << 16)
        return ppo
    }

    func counted(_ body: () -> Void) -> UInt64 {
        allocation_counter_start()
        body()
        return allocation_counter_stop()
    }

    func testDiscretePPOMinibatchStepDoesNotAllocate() {
        for threads in [1, 2] {
            let ppo = discretePPO(epochs: 2, threads: threads)
            let c = ppo.config, r = Rollout(batch: c.batchSize, observationSize: 4, seed: 7)
            func optimize() -> UpdateMetrics {
                ppo.optimize(
                    observations: r.observations, actions: r.discreteActions, oldLogProbs: r.oldLogProbs,
                    advantages: r.advantages, returns: r.returns, oldValues: r.oldValues)
            }
            _ = optimize()  // sizes the workspaces
            let rows = Array((0..<c.batchSize).reversed())[0..<c.minibatchSize]
            var metrics = UpdateMetrics()
            let allocations = counted {
                for _ in 0..<20 {
                    metrics = ppo.minibatchStep(
                        rows: rows, observations: r.observations, actions: r.discreteActions, oldLogProbs: r.oldLogProbs,
                        advantages: r.advantages, returns: r.returns, oldValues: r.oldValues)
                }
            }
            XCTAssertEqual(allocations, 0, "\(threads) thread(s): 20 minibatch steps allocated \(allocations) times")
            XCTAssertTrue(metrics.valueLoss.isFinite && metrics.valueLoss > 0)
        }
    }

    func testContinuousPPOMinibatchStepDoesNotAllocate() throws {
        for threads in [1, 2] {
            let ppo = try continuousPPO(epochs: 2, threads: threads)
            let c = ppo.config, r = Rollout(batch: c.batchSize, observationSize: 3, seed: 8)
            _ = ppo.optimize(
                observations: r.observations, actions: r.continuousActions, oldLogProbs: r.oldLogProbs,
                advantages: r.advantages, returns: r.returns, oldValues: r.oldValues)
            let rows = Array(0..<c.batchSize)[c.minibatchSize..<(2 * c.minibatchSize)]
            let allocations = counted {
                for _ in 0..<20 {
                    _ = ppo.minibatchStep(
                        rows: rows, observations: r.observations, actions: r.continuousActions, oldLogProbs: r.oldLogProbs,
                        advantages: r.advantages, returns: r.returns, oldValues: r.oldValues)
                }
            }
            XCTAssertEqual(allocations, 0, "\(threads) thread(s): 20 minibatch steps allocated \(allocations) times")
        }
    }

    /// Two updates size everything (CartPole's early episodes end every few dozen steps, so episodes finish
    /// inside the counted steps); then a whole rollout's steps, and then whole updates, allocate nothing.
    func testDiscretePPORolloutAndUpdateDoNotAllocate() {
        for threads in [1, 2] {
            let ppo = discretePPO(epochs: 2, threads: threads)
            _ = ppo.update()
            _ = ppo.update()
            let returnsBefore = ppo.counters.recentReturns.map { $0 }  // a copy of its own, not a second reference
            let steps = counted {
                for t in 0..<ppo.config.stepsPerRollout { ppo.collectStep(t) }
            }
            XCTAssertEqual(steps, 0, "\(threads) thread(s): a rollout's \(ppo.config.stepsPerRollout) steps allocated \(steps) times")
            var metrics = UpdateMetrics()
            let updates = counted {
                for _ in 0..<3 { metrics = ppo.update() }
            }
            XCTAssertEqual(updates, 0, "\(threads) thread(s): 3 updates allocated \(updates) times")
            XCTAssertEqual(metrics.gradientSteps, 2 * 4)
            XCTAssertNotEqual(ppo.counters.recentReturns, returnsBefore, "episodes finished while counting")
            XCTAssertEqual(ppo.counters.envSteps, 6 * ppo.config.batchSize)
        }
    }

    /// Pendulum with normalization and reward scaling: its episodes all end by the time limit every 200 steps.
    /// The warm-up runs past the first end (the environment sizes its list of finished episodes then), and
    /// the counted updates cover the second (steps 320–512 of each copy), so the truncation path is counted.
    func testContinuousPPORolloutAndUpdateDoNotAllocate() throws {
        for threads in [1, 2] {
            let ppo = try continuousPPO(epochs: 2, threads: threads)
            for _ in 0..<4 { _ = ppo.update() }
            XCTAssertEqual(ppo.counters.recentReturns.count, 4)
            let steps = counted {
                for t in 0..<ppo.config.stepsPerRollout { ppo.collectStep(t) }
            }
            XCTAssertEqual(steps, 0, "\(threads) thread(s): a rollout's \(ppo.config.stepsPerRollout) steps allocated \(steps) times")
            let updates = counted {
                for _ in 0..<3 { _ = ppo.update() }
            }
            XCTAssertEqual(updates, 0, "\(threads) thread(s): 3 updates allocated \(updates) times")
            XCTAssertEqual(ppo.counters.recentReturns.count, 8, "each copy's second episode ended while counting")
        }
    }

    /// SAC after its random-action phase: environment steps (sampling the policy, storing transitions, the
    /// second episode ending at step 400; the first, in the warm-up, sizes the environment's list of finished
    /// episodes) and gradient steps (with the delayed actor and α steps and the Polyak update) allocate nothing.
    func testSACStepsDoNotAllocate() throws {
        let model = try PendulumModel(description: RobotDescription.bundled(named: "pendulum"))
        for threads in [1, 2] {
            var config = SACConfig()
            config.learningStarts = 100
            config.batchSize = 64
            config.hiddenSizes = [64, 64]
            config.totalSteps = 10_000
            let sac = SAC(config: config, seed: 1) { PendulumVectorEnvironment(model: model, count: $0) }
            sac.threads = threads
            sac.actionHistory.reserveCapacity(1 << 12)
            for _ in 0..<250 { sac.collectStep() }
            _ = sac.update(step: 1)
            _ = sac.update(step: 2)
            let environmentSteps = counted {
                for _ in 0..<200 { sac.collectStep() }
            }
            XCTAssertEqual(environmentSteps, 0, "\(threads) thread(s): 200 environment steps allocated \(environmentSteps) times")
            XCTAssertEqual(sac.counters.recentReturns.count, 2, "the second episode ended while counting")
            var metrics = UpdateMetrics()
            let gradientSteps = counted {
                for step in 3...12 { metrics = sac.update(step: step) }
            }
            XCTAssertEqual(gradientSteps, 0, "\(threads) thread(s): 10 gradient steps allocated \(gradientSteps) times")
            XCTAssertTrue(metrics.valueLoss.isFinite && metrics.policyLoss.isFinite)
        }
    }

    /// Layers reuse their buffers: an MLP's forward and backward over the same batch size allocate nothing,
    /// and a caller that keeps an output still sees its value after the next call (copy on write).
    func testLayersReuseTheirBuffersAndKeepValueSemantics() {
        var rng = SeededGenerator(seed: 4)
        let mlp = Sequential.mlp(inputSize: 6, hiddenSizes: [16, 16], outputSize: 3, outputGain: 1, namePrefix: "m", using: &rng)
        let x = Tensor(shape: [8, 6], scalars: (0..<48).map { _ in Float(rng.uniform(-1, 1)) })
        let g = Tensor(shape: [8, 3], scalars: (0..<24).map { _ in Float(rng.uniform(-1, 1)) })
        _ = mlp.forward(x)
        _ = mlp.backward(g)
        let allocations = counted {
            for _ in 0..<50 {
                _ = mlp.forward(x)
                _ = mlp.backward(g)
            }
        }
        XCTAssertEqual(allocations, 0)
        let kept = mlp.forward(x)
        let snapshot = kept.scalars
        var y = x
        for i in y.scalars.indices { y.scalars[i] *= -2 }
        let other = mlp.forward(y)
        XCTAssertEqual(kept.scalars, snapshot, "an output kept by the caller is not overwritten by the next call")
        XCTAssertNotEqual(other.scalars, snapshot)
    }
}

/// Where a minibatch step's allocations would come from, part by part (each must be zero).
final class TrainingAllocationPartsTests: XCTestCase {
    func testEachPartOfAStepIsAllocationFree() {
        var config = PPOConfig.cartpole
        config.minibatches = 4
        let ppo = PPO(config: config, seed: 1) { CartPoleVectorEnvironment(model: CartPoleModel(), count: $0) }
        let parameters = ppo.optimizer.parameters
        var advantages = [Float](repeating: 1, count: 64)
        advantages[3] = 2
        var values = Tensor(zeros: [64, 1]), gradient = Tensor(zeros: [64, 1])
        let returns = [Float](repeating: 0.5, count: 64), old = [Float](repeating: 0.1, count: 256), rows = Array(0..<256)[0..<64]
        _ = ppoValueLoss(values: values, returns: returns, oldValues: old, rows: rows, clip: 0.2, coefficient: 0.5, gradient: &gradient)
        values.scalars[0] = 1
        var a: Float = 0, b: Float = 0
        let lane: () -> Void = { b += 1 }
        let lanes = TwoLanes()
        let parts: [(String, () -> Void)] = [
            ("zeroGradients", { ppo.optimizer.zeroGradients() }),
            ("clipGradientNorm", { clipGradientNorm(parameters, maxNorm: 0.5) }),
            ("Adam.update", { ppo.optimizer.update() }),
            ("normalizeInPlace", { normalizeInPlace(&advantages) }),
            ("runBoth(nil)", { runBoth(nil, { a += 1 }, stored: lane) }),
            ("TwoLanes.run", { lanes.run({ a += 1 }, stored: lane) }),
            ("ppoValueLoss", {
                _ = ppoValueLoss(values: values, returns: returns, oldValues: old, rows: rows, clip: 0.2, coefficient: 0.5, gradient: &gradient)
            }),
        ]
        for (name, part) in parts {
            part()
            allocation_counter_start()
            for _ in 0..<10 { part() }
            let count = allocation_counter_stop()
            XCTAssertEqual(count, 0, "\(name): \(count) allocations in 10 calls")
        }
        XCTAssertEqual(a, 22)
        XCTAssertEqual(b, 22)
    }
}
