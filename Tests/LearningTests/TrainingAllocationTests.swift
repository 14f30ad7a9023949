import CAllocationCounter
import NeuralNet
import ReflexCore
import Simulation
import XCTest
@testable import Learning

/// The training inner loop does not touch the heap: one PPO minibatch step (gather, both forward passes,
/// losses, both backward passes, gradient clipping, Adam) allocates nothing once its workspaces are sized,
/// counted by an interposed malloc (CAllocationCounter counts the calling thread, so the one-thread runs
/// cover the whole step; the two-thread runs cover the calling thread's half and the handoff, which costs one
/// 32-byte allocation per step: `withoutActuallyEscaping` boxes the closure handed to the worker).
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
        return ppo
    }

    func continuousPPO(epochs: Int, threads: Int) throws -> PPOContinuous {
        var config = PPOConfig()
        config.environments = 4
        config.stepsPerRollout = 64
        config.minibatches = 4
        config.epochs = epochs
        let model = try PendulumModel(description: RobotDescription.bundled(named: "pendulum"))
        let ppo = PPOContinuous(config: config, seed: 1) { PendulumVectorEnvironment(model: model, count: $0) }
        ppo.threads = threads
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
            XCTAssertEqual(allocations, threads == 1 ? 0 : 20, "\(threads) thread(s): 20 minibatch steps allocated \(allocations) times")
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
            XCTAssertEqual(allocations, threads == 1 ? 0 : 20, "\(threads) thread(s): 20 minibatch steps allocated \(allocations) times")
        }
    }

    /// What remains per update is bookkeeping of constant size (the shuffled index array): a whole update's
    /// optimization allocates the same with 2 epochs as with 10 (5× the minibatch steps).
    func testAnUpdateAllocatesTheSameWhateverItsEpochs() {
        var perUpdate: [UInt64] = []
        for epochs in [2, 10] {
            let ppo = discretePPO(epochs: epochs, threads: 1)
            let c = ppo.config, r = Rollout(batch: c.batchSize, observationSize: 4, seed: 9)
            func optimize() {
                _ = ppo.optimize(
                    observations: r.observations, actions: r.discreteActions, oldLogProbs: r.oldLogProbs,
                    advantages: r.advantages, returns: r.returns, oldValues: r.oldValues)
            }
            optimize()
            perUpdate.append(counted { optimize() })
        }
        XCTAssertEqual(perUpdate[0], perUpdate[1], "allocations per update with 2 and 10 epochs")
        XCTAssertLessThanOrEqual(perUpdate[1], 2, "allocations per update")
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
        let parts: [(String, () -> Void)] = [
            ("zeroGradients", { ppo.optimizer.zeroGradients() }),
            ("clipGradientNorm", { clipGradientNorm(parameters, maxNorm: 0.5) }),
            ("Adam.update", { ppo.optimizer.update() }),
            ("normalizeInPlace", { normalizeInPlace(&advantages) }),
            ("runBoth(nil)", { runBoth(nil, { a += 1 }, { b += 1 }) }),
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
        XCTAssertGreaterThan(a + b, 0)
    }
}
