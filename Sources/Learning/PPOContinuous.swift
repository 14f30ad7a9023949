import NeuralNet
import ReflexCore
import Simulation
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Proximal policy optimization for continuous actions, following CleanRL's `ppo_continuous_action.py`:
/// a Gaussian policy whose mean is an MLP and whose log σ is one state-independent parameter per
/// actuator, GAE, per-minibatch advantage normalization, clipped surrogate, optional value-loss
/// clipping, optional KL early stop, global gradient clipping, Adam, linear learning-rate annealing.
///
/// Actions: the sampled action (unbounded) is what the log-probability is computed for and what the
/// update sees; the environment receives it clipped to the actuator range (Gymnasium's `ClipAction`,
/// SB3's default). Deployment takes the mean, clipped the same way (`MLPPolicy`).
///
/// Observation normalization (optional) keeps running statistics over every observation collected;
/// they are frozen at export and saved into the policy file, so the deployed policy normalizes
/// exactly as training did. Reward scaling (optional) divides rewards by the running standard
/// deviation of the discounted return, as SB3's `VecNormalize(norm_reward=True)`.
///
/// As in `PPO`, an episode cut by the time limit is bootstrapped with γ·V(final observation).
public final class PPOContinuous: PPOTraining {
    public let config: PPOConfig
    public let seed: UInt64
    public let actor: Sequential
    /// [actionSize] log σ of the Gaussian, state-independent.
    public let logStd: Parameter
    public let critic: Sequential
    public let optimizer: Adam
    /// Running observation statistics (used only when `config.normalizeObservations`).
    public internal(set) var observationStatistics: RunningMeanStd
    public internal(set) var returnStatistics = RunningMeanStd(size: 1)
    private let env: ContinuousVectorEnvironment
    private let makeEvaluationEnvironment: (Int) -> ContinuousVectorEnvironment
    var rng: SeededGenerator
    /// Where training stands (restored from a checkpoint on resume).
    public internal(set) var counters = TrainingCounters()
    /// Threads for training: 1, or 2 to run the actor's and the critic's passes side by side (rollout and
    /// update). The two passes share nothing, so results are bit-identical whatever the count.
    public var threads: Int {
        didSet { lanes = threads > 1 ? TwoLanes() : nil }
    }
    private var lanes: TwoLanes?
    /// Every action vector sent to the training environment since its reset with `seed` (see `PPO`).
    var actionHistory: [Float] = []
    /// Per copy, the running discounted return that reward scaling divides by (kept in checkpoints).
    var discountedReturns: [Float] = []
    var environmentStart = EnvironmentStart.continuing

    // Workspaces, sized on first use and reused, so the inner loops do not allocate.
    private var stepObservations = Tensor(zeros: [0, 0])
    private let minibatch: PPOMinibatch
    private var meanGradient = Tensor(zeros: [0, 0])
    private var logStdGradient: [Float] = []
    private var minibatchActions: [Float] = []
    /// [epochs' shuffles of] 0..<batchSize: the order an epoch visits the rollout's samples in.
    private var shuffledRows: [Int] = []
    private var rollout: RolloutBuffers<Float>
    /// [copies × actions] the current step's actions clipped to the actuator range; [actions] one sample.
    private var envActions: [Float]
    private var sampled: [Float]
    /// [observationSize] the normalizer's mean and σ as Float, refreshed every step (`refreshNormalization`).
    private var normalizationMean: [Float]
    private var normalizationStd: [Float]
    let actionSize: Int
    private let low: [Float]
    private let high: [Float]

    public init(config: PPOConfig, seed: UInt64, makeEnvironment: @escaping (Int) -> ContinuousVectorEnvironment) {
        self.config = config
        self.seed = seed
        env = makeEnvironment(config.environments)
        makeEvaluationEnvironment = makeEnvironment
        actionSize = env.actionSize
        low = env.actionLow
        high = env.actionHigh
        rng = SeededGenerator(seed: seed)
        actor = Sequential.mlp(
            inputSize: env.observationSize, hiddenSizes: config.hiddenSizes, outputSize: env.actionSize,
            activation: config.activation, outputGain: 0.01, namePrefix: "actor", using: &rng)
        critic = Sequential.mlp(
            inputSize: env.observationSize, hiddenSizes: config.hiddenSizes, outputSize: 1,
            activation: config.activation, outputGain: 1, namePrefix: "critic", using: &rng)
        logStd = Parameter(name: "actor.log_std", value: Tensor(repeating: config.initialLogStd, shape: [env.actionSize]))
        optimizer = Adam(
            parameters: actor.parameters + [logStd] + critic.parameters, learningRate: config.learningRate,
            epsilon: config.adamEpsilon)
        minibatch = PPOMinibatch(critic: critic, config: config)
        observationStatistics = RunningMeanStd(size: env.observationSize)
        rollout = RolloutBuffers(
            steps: config.stepsPerRollout, copies: env.count, observationSize: env.observationSize,
            actionWidth: env.actionSize, zero: 0)
        envActions = Array(repeating: 0, count: env.count * env.actionSize)
        sampled = Array(repeating: 0, count: env.actionSize)
        normalizationMean = Array(repeating: 0, count: env.observationSize)
        normalizationStd = Array(repeating: 1, count: env.observationSize)
        counters.recentReturns.reserveCapacity(21)  // the last 20 returns, and the one that pushes out the oldest
        discountedReturns = [Float](repeating: 0, count: env.count)
        threads = defaultTrainingThreads()
        lanes = threads > 1 ? TwoLanes() : nil
    }

    /// The observation normalizer as it stands (what the policy file would record), or nil when off.
    public var frozenNormalization: (mean: [Float], std: [Float], clip: Float)? {
        guard config.normalizeObservations else { return nil }
        let mean = observationStatistics.mean.map { Float($0) }
        let std = observationStatistics.variance.map { (Float($0) + Self.normalizationEpsilon).squareRoot() }
        return (mean, std, config.observationClip)
    }

    /// ε under the square root, as `ObservationNormalization` applies it.
    static let normalizationEpsilon: Float = 1e-8

    /// Normalizes `rows` observations in place with `norm`.
    static func normalize(_ values: inout [Float], rows: Int, size: Int, with norm: (mean: [Float], std: [Float], clip: Float)?) {
        guard let norm else { return }
        for r in 0..<rows {
            for j in 0..<size {
                let z = (values[r * size + j] - norm.mean[j]) / norm.std[j]
                values[r * size + j] = min(max(z, -norm.clip), norm.clip)
            }
        }
    }

    /// Trains until the deterministic policy reaches `solvedReturn` or the step budget is spent.
    public func train(shouldStop: () -> Bool = { false }, progress: (TrainingProgress) -> Void = { _ in }) -> TrainingResult {
        trainingLoop(shouldStop: shouldStop, progress: progress)
    }

    func prepareEnvironment(envSteps: Int) {
        startEnvironment()
        actionHistory.reserveCapacity(envSteps * actionSize)
    }

    /// One update: collects a rollout, computes its advantages, optimizes on it. Allocates nothing once the
    /// workspaces have their sizes (tested).
    func update() -> UpdateMetrics {
        for t in 0..<config.stepsPerRollout { collectStep(t) }
        copyObservations(env.observations, rows: env.count, into: &stepObservations)
        refreshNormalization()
        normalizeRows(&stepObservations)
        rollout.finish(lastObservations: stepObservations, critic: critic, gamma: config.gamma, lambda: config.gaeLambda)
        return optimize(
            observations: rollout.observations, actions: rollout.actions, oldLogProbs: rollout.logProbs,
            advantages: rollout.advantages, returns: rollout.returns, oldValues: rollout.values)
    }

    /// Step `t` of the rollout: the normalizer takes in the copies' observations, every copy acts once
    /// (sampled from the policy, clipped for the environment) and the samples go into `rollout`.
    func collectStep(_ t: Int) {
        let c = config, n = env.count, obsSize = env.observationSize, aSize = actionSize
        copyObservations(env.observations, rows: n, into: &stepObservations)
        if c.normalizeObservations {
            stepObservations.scalars.withUnsafeBufferPointer { observationStatistics.update($0, rows: n) }
        }
        refreshNormalization()
        normalizeRows(&stepObservations)
        rollout.storeObservations(stepObservations, step: t)
        // One lane: a rollout step's passes over a few rows are shorter than a thread handoff (measured).
        let means = actor.forward(stepObservations)
        do {
            let values = critic.forward(stepObservations)
            for e in 0..<n { rollout.values[t * n + e] = values.scalars[e] }
        }
        do {
            let dist = Gaussian(means: means, logStd: logStd.value.scalars)
            for e in 0..<n {
                let i = t * n + e
                sampled.withUnsafeMutableBufferPointer { dist.sample(row: e, using: &rng, into: $0.baseAddress!) }
                for j in 0..<aSize {
                    rollout.actions[i * aSize + j] = sampled[j]
                    envActions[e * aSize + j] = min(max(sampled[j], low[j]), high[j])
                }
                rollout.logProbs[i] = sampled.withUnsafeBufferPointer { dist.logProbability(row: e, actions: $0.baseAddress!) }
            }
        }
        actionHistory.append(contentsOf: envActions)
        env.step(envActions)
        counters.envSteps += n
        let rewards = env.rewards, terminated = env.terminated, truncated = env.truncated
        rollout.storeStep(
            t,
            reward: { e in
                var r = rewards[e]
                if c.normalizeRewards {
                    discountedReturns[e] = discountedReturns[e] * c.gamma + r
                    discountedReturns.withUnsafeBufferPointer {
                        returnStatistics.update(UnsafeBufferPointer(rebasing: $0[e...e]), rows: 1)
                    }
                    let std = Float(returnStatistics.variance[0]).squareRoot() + 1e-8
                    r = min(max(r / std, -c.rewardClip), c.rewardClip)
                    if terminated[e] || truncated[e] { discountedReturns[e] = 0 }
                }
                return r
            },
            terminated: terminated, truncated: truncated, finalObservations: env.finalObservations,
            observationSize: obsSize, gamma: c.gamma, critic: critic, prepare: { normalizeRows(&$0) })
        counters.addFinished(env.finishedEpisodes)
        // Forward-only passes: let go of the observation buffers so the next step writes them in place.
        actor.releaseCachedInputs()
        critic.releaseCachedInputs()
    }

    /// Sets `normalizationMean` and `normalizationStd` from the running statistics, in place (the figures
    /// `frozenNormalization` gives, without building its arrays every step).
    private func refreshNormalization() {
        guard config.normalizeObservations else { return }
        for j in 0..<observationStatistics.size {
            normalizationMean[j] = Float(observationStatistics.mean[j])
            normalizationStd[j] = (Float(observationStatistics.variance[j]) + Self.normalizationEpsilon).squareRoot()
        }
    }

    /// Normalizes a [rows, observationSize] tensor in place with `normalizationMean` and `normalizationStd`
    /// (as `normalize(_:with:)` with `frozenNormalization`); nothing when normalization is off.
    private func normalizeRows(_ tensor: inout Tensor) {
        guard config.normalizeObservations else { return }
        let size = tensor.shape[1], clip = config.observationClip
        normalizationMean.withUnsafeBufferPointer { mean in
            normalizationStd.withUnsafeBufferPointer { std in
                tensor.scalars.withUnsafeMutableBufferPointer { v in
                    for r in 0..<(v.count / max(size, 1)) {
                        for j in 0..<size {
                            let z = (v[r * size + j] - mean[j]) / std[j]
                            v[r * size + j] = min(max(z, -clip), clip)
                        }
                    }
                }
            }
        }
    }

    /// `value` has come within `fraction` of `target`; for negative targets (costs) "within" means
    /// value ≥ target / fraction (−200 with 0.9: ≥ −222).
    static func reached(_ value: Double, _ target: Double, fraction: Double) -> Bool {
        target >= 0 ? value >= fraction * target : value >= target / fraction
    }

    /// The deterministic action (the mean, clipped to the actuator range) with frozen normalization.
    public func evaluate(episodes: Int, seed: UInt64) -> EvaluationResult {
        let evalEnv = makeEvaluationEnvironment(episodes)
        let norm = frozenNormalization
        let obsSize = evalEnv.observationSize
        return Evaluation.run(environment: evalEnv, episodes: episodes, seed: seed) { obs, count, actions in
            var x = obs
            Self.normalize(&x, rows: count, size: obsSize, with: norm)
            let means = actor.forward(Tensor(shape: [count, obsSize], scalars: x)).scalars
            for i in 0..<(count * actionSize) {
                let j = i % actionSize
                actions[i] = min(max(means[i], low[j]), high[j])
            }
        }
    }

    /// Several epochs of minibatch updates over one rollout.
    func optimize(
        observations: [Float], actions: [Float], oldLogProbs: [Float], advantages: [Float], returns: [Float], oldValues: [Float]
    ) -> UpdateMetrics {
        let c = config
        let batch = c.batchSize, mb = c.minibatchSize, obsSize = env.observationSize, aSize = actionSize
        // Each update starts from the identity order (so an update's minibatches depend on the generator alone).
        resize(&shuffledRows, batch, 0)
        for i in 0..<batch { shuffledRows[i] = i }
        var metrics = UpdateMetrics()
        minibatch.resize(rows: mb, observationSize: obsSize)
        resize(&minibatchActions, mb * aSize, 0)
        resize(&logStdGradient, aSize, 0)
        var count = 0
        epochs: for _ in 0..<c.epochs {
            shuffledRows.shuffle(using: &rng)
            var epochKL: Float = 0
            var epochMinibatches = 0
            for start in stride(from: 0, to: batch, by: mb) {
                let step = minibatchStep(
                    rows: shuffledRows[start..<(start + mb)], observations: observations, actions: actions, oldLogProbs: oldLogProbs,
                    advantages: advantages, returns: returns, oldValues: oldValues)
                metrics.add(step)
                epochKL += step.approxKL
                epochMinibatches += 1
                count += 1
            }
            if let target = c.targetKL, epochKL / Float(max(epochMinibatches, 1)) > target { break epochs }
        }
        metrics = metrics.averaged(over: count)
        metrics.gradientSteps = count
        return metrics
    }

    /// One gradient step on the rollout's samples `rows` (see `PPO.minibatchStep`); allocates nothing once
    /// the workspaces have their sizes (tested).
    func minibatchStep(
        rows: ArraySlice<Int>, observations: [Float], actions: [Float], oldLogProbs: [Float], advantages: [Float],
        returns: [Float], oldValues: [Float]
    ) -> UpdateMetrics {
        let c = config
        let mb = rows.count, aSize = actionSize
        minibatch.gather(rows: rows, observations: observations, advantages: advantages, returns: returns, oldValues: oldValues)
        for (k, i) in rows.enumerated() {
            for j in 0..<aSize { minibatchActions[k * aSize + j] = actions[i * aSize + j] }
        }
        optimizer.zeroGradients()

        var surrogate = PPOMinibatch.Surrogate(), entropy: Float = 0
        runBoth(lanes, {
            // Policy: L = −mean(min(r·A, clip(r, 1±ε)·A)) − c_H · H
            let m = self.minibatch
            let dist = Gaussian(means: self.actor.forward(m.observations), logStd: self.logStd.value.scalars)
            self.minibatchActions.withUnsafeBufferPointer { a in
                for (k, i) in rows.enumerated() {
                    let logRatio = dist.logProbability(row: k, actions: a.baseAddress! + k * aSize) - oldLogProbs[i]
                    surrogate.add(row: k, logRatio: logRatio, advantage: m.advantages[k], clip: c.clipCoefficient, rows: mb, dLogProb: &m.dLogProb)
                }
            }
            entropy = dist.entropy
            // The entropy term is −c_H·H per minibatch: each of the mb rows carries −c_H/mb.
            dist.gradient(
                actions: self.minibatchActions, dLogProb: m.dLogProb, dEntropy: -c.entropyCoefficient / Float(mb),
                means: &self.meanGradient, logStd: &self.logStdGradient)
            _ = self.actor.backward(self.meanGradient)
            for j in 0..<aSize { self.logStd.grad.scalars[j] += self.logStdGradient[j] }
        }, stored: minibatch.criticLane)
        minibatch.finish()
        clipGradientNorm(optimizer.parameters, maxNorm: c.maxGradientNorm)
        optimizer.update()
        return surrogate.metrics(rows: mb, entropy: entropy, valueLoss: minibatch.valueLoss)
    }

    /// Brings the training environment to where `counters` say training stands (see `PPO`); reward
    /// scaling's running returns start again with fresh episodes.
    private func startEnvironment() {
        environmentStart.bring(
            atStart: counters.update == 0, seed: seed, history: &actionHistory, width: env.count * actionSize,
            reset: { env.reset(seed: $0) }, step: { env.step($0) },
            freshEpisodes: { for e in discountedReturns.indices { discountedReturns[e] = 0 } })
    }
}
