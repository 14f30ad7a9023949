import NeuralNet

#if canImport(Glibc)
import Glibc
#endif

/// What a PPO minibatch step does whatever the action distribution, shared by `PPO` (categorical) and
/// `PPOContinuous` (Gaussian): gathering the minibatch's observations, advantages and returns from the
/// rollout, the critic's pass (run on the worker lane), the clipped surrogate row by row, and the metrics.
/// The trainers keep what differs: the actions, the distribution, the actor's backward pass.
///
/// Its buffers are sized by `resize` once per update and reused, so a minibatch step allocates nothing.
final class PPOMinibatch {
    let critic: Sequential
    let config: PPOConfig
    /// [mb, observationSize] the minibatch's observations.
    private(set) var observations = Tensor(zeros: [0, 0])
    /// [mb] the minibatch's advantages (normalized when the config says so) and GAE returns.
    private(set) var advantages: [Float] = []
    private(set) var returns: [Float] = []
    /// [mb] dLoss/dlog π per row, written by `surrogate`.
    var dLogProb: [Float] = []
    private var valueGradient = Tensor(zeros: [0, 0])
    /// The critic lane's inputs (this step's rows, the rollout's values at collection) and its output.
    private var rows: ArraySlice<Int> = []
    private var oldValues: [Float] = []
    private(set) var valueLoss: Float = 0
    /// The critic's half of a minibatch step, for `runBoth` (built once: see `TwoLanes`).
    private(set) lazy var criticLane: () -> Void = { [unowned self] in self.criticPass() }

    init(critic: Sequential, config: PPOConfig) {
        self.critic = critic
        self.config = config
    }

    /// Sizes the buffers for minibatches of `rows` samples (a no-op when they have the size).
    func resize(rows mb: Int, observationSize: Int) {
        observations.reshape(rows: mb, columns: observationSize)
        Learning.resize(&advantages, mb, 0)
        Learning.resize(&returns, mb, 0)
        Learning.resize(&dLogProb, mb, 0)
    }

    /// Copies the rollout's samples `rows` into the minibatch (observations, advantages, returns) and
    /// hands the critic lane its inputs. `finish` lets go of them after the step.
    func gather(rows: ArraySlice<Int>, observations source: [Float], advantages allAdvantages: [Float], returns allReturns: [Float], oldValues: [Float]) {
        let size = observations.shape[1]
        observations.scalars.withUnsafeMutableBufferPointer { o in
            source.withUnsafeBufferPointer { src in
                for (k, i) in rows.enumerated() {
                    (o.baseAddress! + k * size).update(from: src.baseAddress! + i * size, count: size)
                }
            }
        }
        for (k, i) in rows.enumerated() {
            advantages[k] = allAdvantages[i]
            returns[k] = allReturns[i]
        }
        if config.normalizeAdvantages { normalizeInPlace(&advantages) }
        self.rows = rows
        self.oldValues = oldValues
    }

    /// Lets go of the rollout's arrays, so the next rollout writes them in place.
    func finish() {
        rows = []
        oldValues = []
    }

    /// The critic's half of the step: value loss c_V · ½ · mean(max((V − R)², (V_clipped − R)²)) (or
    /// unclipped) on the minibatch, and its backward pass.
    private func criticPass() {
        let c = config
        valueLoss = ppoValueLoss(
            values: critic.forward(observations), returns: returns, oldValues: oldValues,
            rows: rows, clip: c.clipValueLoss ? c.clipCoefficient : nil, coefficient: c.valueCoefficient,
            gradient: &valueGradient)
        _ = critic.backward(valueGradient)
    }

    /// The clipped surrogate L = −mean(min(r·A, clip(r, 1±ε)·A)) accumulated row by row, with the
    /// approximate KL ((r − 1) − log r) and the fraction of clipped ratios.
    struct Surrogate {
        var loss: Float = 0
        var approxKL: Float = 0
        var clipped: Float = 0

        /// Adds row `k` with log r = `logRatio` and writes its dLoss/dlog π into `dLogProb[k]`; the
        /// gradient flows only through the unclipped branch when it is the minimum.
        @inline(__always)
        mutating func add(row k: Int, logRatio: Float, advantage a: Float, clip: Float, rows mb: Int, dLogProb: inout [Float]) {
            let ratio = expf(logRatio)
            let unclipped = ratio * a
            let clippedObjective = min(max(ratio, 1 - clip), 1 + clip) * a
            loss -= min(unclipped, clippedObjective)
            dLogProb[k] = unclipped <= clippedObjective ? -a * ratio / Float(mb) : 0
            approxKL += (ratio - 1) - logRatio
            if abs(ratio - 1) > clip { clipped += 1 }
        }

        /// The step's metrics over `mb` rows; `entropy` is already the minibatch's mean.
        func metrics(rows mb: Int, entropy: Float, valueLoss: Float) -> UpdateMetrics {
            var metrics = UpdateMetrics()
            metrics.policyLoss = loss / Float(mb)
            metrics.valueLoss = 0.5 * valueLoss / Float(mb)
            metrics.entropy = entropy
            metrics.approxKL = approxKL / Float(mb)
            metrics.clipFraction = clipped / Float(mb)
            return metrics
        }
    }
}
