import NeuralNet
import ReflexCore
import Simulation
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Proximal policy optimization for discrete actions (Schulman et al. 2017), following CleanRL's
/// `ppo.py`: vectorized environments, GAE, per-minibatch advantage normalization, clipped surrogate,
/// entropy bonus, (clipped) value loss, global gradient clipping, Adam with ε 1e-5, linear learning-rate
/// annealing, separate actor and critic MLPs with orthogonal init (gains √2, 0.01 for the policy
/// head, 1 for the value head).
///
/// One addition to CleanRL: an episode cut by the time limit is bootstrapped with γ·V(final observation)
/// instead of being treated as a failure (Pardo et al. 2018; Stable-Baselines3 does the same).
public final class PPO: PPOTraining {
    public let config: PPOConfig
    public let seed: UInt64
    public let actor: Sequential
    public let critic: Sequential
    public let optimizer: Adam
    private let env: VectorEnvironment
    private let makeEvaluationEnvironment: (Int) -> VectorEnvironment
    var rng: SeededGenerator
    /// Where training stands (restored from a checkpoint on resume).
    public internal(set) var counters = TrainingCounters()
    /// Threads for training: 1, or 2 to run the actor's and the critic's passes side by side (rollout and
    /// update). The two passes share nothing, so results are bit-identical whatever the count.
    public var threads: Int {
        didSet { lanes = threads > 1 ? TwoLanes() : nil }
    }
    private var lanes: TwoLanes?
    /// Every action sent to the training environment since its reset with `seed`, so a resumed run can
    /// replay the environment to exactly where the checkpoint left it (see `Checkpoint`).
    var actionHistory: [Int32] = []
    /// How `train` must bring the environment to where `counters` say training stands.
    var environmentStart = EnvironmentStart.continuing

    // Workspaces, sized on first use and reused, so the inner loops do not allocate.
    private var stepObservations = Tensor(zeros: [0, 0])
    private var stepDistribution = Categorical(logits: Tensor(zeros: [0, 0]))
    private let minibatch: PPOMinibatch
    private var minibatchDistribution = Categorical(logits: Tensor(zeros: [0, 0]))
    private var logitGradient = Tensor(zeros: [0, 0])
    private var minibatchActions: [Int32] = []
    private var dEntropy: [Float] = []
    /// [epochs' shuffles of] 0..<batchSize: the order an epoch visits the rollout's samples in.
    private var shuffledRows: [Int] = []
    /// [copies] the actions of the current rollout step.
    private var stepActions: [Int32] = []
    private var rollout: RolloutBuffers<Int32>

    /// - Parameters:
    ///   - makeEnvironment: builds a vector environment with the given number of copies
    ///     (`config.environments` for training, `config.evaluationEpisodes` for evaluation).
    public init(config: PPOConfig, seed: UInt64, makeEnvironment: @escaping (Int) -> VectorEnvironment) {
        self.config = config
        self.seed = seed
        self.env = makeEnvironment(config.environments)
        self.makeEvaluationEnvironment = makeEnvironment
        rng = SeededGenerator(seed: seed)
        actor = Sequential.mlp(
            inputSize: env.observationSize, hiddenSizes: config.hiddenSizes, outputSize: env.actionCount,
            activation: config.activation, outputGain: 0.01, namePrefix: "actor", using: &rng)
        critic = Sequential.mlp(
            inputSize: env.observationSize, hiddenSizes: config.hiddenSizes, outputSize: 1,
            activation: config.activation, outputGain: 1, namePrefix: "critic", using: &rng)
        optimizer = Adam(
            parameters: actor.parameters + critic.parameters, learningRate: config.learningRate, epsilon: config.adamEpsilon)
        minibatch = PPOMinibatch(critic: critic, config: config)
        rollout = RolloutBuffers(
            steps: config.stepsPerRollout, copies: env.count, observationSize: env.observationSize, actionWidth: 1, zero: 0)
        stepActions = Array(repeating: 0, count: env.count)
        counters.recentReturns.reserveCapacity(21)  // the last 20 returns, and the one that pushes out the oldest
        threads = defaultTrainingThreads()
        lanes = threads > 1 ? TwoLanes() : nil
    }

    /// Trains until the deterministic policy is solved or the step budget is spent.
    /// `progress` is called after every update.
    public func train(shouldStop: () -> Bool = { false }, progress: (TrainingProgress) -> Void = { _ in }) -> TrainingResult {
        trainingLoop(shouldStop: shouldStop, progress: progress)
    }

    func prepareEnvironment(envSteps: Int) {
        startEnvironment()
        actionHistory.reserveCapacity(envSteps)
    }

    /// One update: collects a rollout, computes its advantages, optimizes on it. Allocates nothing once the
    /// workspaces have their sizes (tested).
    func update() -> UpdateMetrics {
        for t in 0..<config.stepsPerRollout { collectStep(t) }
        copyObservations(env.observations, rows: env.count, into: &stepObservations)
        rollout.finish(lastObservations: stepObservations, critic: critic, gamma: config.gamma, lambda: config.gaeLambda)
        return optimize(
            observations: rollout.observations, actions: rollout.actions, oldLogProbs: rollout.logProbs,
            advantages: rollout.advantages, returns: rollout.returns, oldValues: rollout.values)
    }

    /// Step `t` of the rollout: every copy acts once (sampled from the policy) and the samples go into `rollout`.
    func collectStep(_ t: Int) {
        let c = config, n = env.count, obsSize = env.observationSize
        copyObservations(env.observations, rows: n, into: &stepObservations)
        rollout.storeObservations(stepObservations, step: t)
        // One lane: a rollout step's passes over a few rows are shorter than a thread handoff (measured).
        stepDistribution.recompute(logits: actor.forward(stepObservations))
        do {
            let values = critic.forward(stepObservations)
            for e in 0..<n { rollout.values[t * n + e] = values.scalars[e] }
        }
        for e in 0..<n {
            let a = stepDistribution.sample(row: e, using: &rng)
            stepActions[e] = Int32(a)
            let i = t * n + e
            rollout.actions[i] = Int32(a)
            rollout.logProbs[i] = stepDistribution.logProbability(row: e, action: a)
        }
        actionHistory.append(contentsOf: stepActions)
        env.step(stepActions)
        counters.envSteps += n
        let rewards = env.rewards
        rollout.storeStep(
            t, reward: { rewards[$0] }, terminated: env.terminated, truncated: env.truncated,
            finalObservations: env.finalObservations, observationSize: obsSize, gamma: c.gamma, critic: critic, prepare: { _ in })
        counters.addFinished(env.finishedEpisodes)
        // Forward-only passes: let go of the observation buffers so the next step writes them in place.
        actor.releaseCachedInputs()
        critic.releaseCachedInputs()
    }

    /// Brings the training environment to where `counters` say training stands: a fresh reset with `seed`
    /// at the start, the recorded actions replayed after a restore, nothing when `train` is called again.
    private func startEnvironment() {
        environmentStart.bring(
            atStart: counters.update == 0, seed: seed, history: &actionHistory, width: env.count,
            reset: { env.reset(seed: $0) }, step: { env.step($0) })
    }

    /// Evaluates the deterministic (most probable) action over `episodes` episodes, one copy each.
    public func evaluate(episodes: Int, seed: UInt64) -> EvaluationResult {
        let evalEnv = makeEvaluationEnvironment(episodes)
        return Evaluation.run(environment: evalEnv, episodes: episodes, seed: seed) { obs, count, actions in
            let dist = Categorical(logits: actor.forward(Tensor(shape: [count, evalEnv.observationSize], scalars: obs)))
            for e in 0..<count { actions[e] = Int32(dist.mode(row: e)) }
        }
    }

    /// Several epochs of minibatch updates over one rollout.
    func optimize(
        observations: [Float], actions: [Int32], oldLogProbs: [Float], advantages: [Float], returns: [Float], oldValues: [Float]
    ) -> UpdateMetrics {
        let c = config
        let batch = c.batchSize, mb = c.minibatchSize, obsSize = env.observationSize
        // Each update starts from the identity order (so an update's minibatches depend on the generator alone).
        resize(&shuffledRows, batch, 0)
        for i in 0..<batch { shuffledRows[i] = i }
        var metrics = UpdateMetrics()
        minibatch.resize(rows: mb, observationSize: obsSize)
        resize(&minibatchActions, mb, 0)
        resize(&dEntropy, mb, -c.entropyCoefficient / Float(mb))
        var count = 0
        for _ in 0..<c.epochs {
            shuffledRows.shuffle(using: &rng)
            for start in stride(from: 0, to: batch, by: mb) {
                metrics.add(minibatchStep(
                    rows: shuffledRows[start..<(start + mb)], observations: observations, actions: actions, oldLogProbs: oldLogProbs,
                    advantages: advantages, returns: returns, oldValues: oldValues))
                count += 1
            }
        }
        metrics = metrics.averaged(over: count)
        metrics.gradientSteps = count
        return metrics
    }

    /// One gradient step on the rollout's samples `rows`: gathers the minibatch, computes both losses and
    /// their gradients (actor and critic side by side when there are two lanes), clips, steps Adam.
    /// Allocates nothing once the workspaces have their sizes (tested).
    func minibatchStep(
        rows: ArraySlice<Int>, observations: [Float], actions: [Int32], oldLogProbs: [Float], advantages: [Float],
        returns: [Float], oldValues: [Float]
    ) -> UpdateMetrics {
        let c = config, mb = rows.count
        minibatch.gather(rows: rows, observations: observations, advantages: advantages, returns: returns, oldValues: oldValues)
        for (k, i) in rows.enumerated() { minibatchActions[k] = actions[i] }
        optimizer.zeroGradients()

        var surrogate = PPOMinibatch.Surrogate(), entropy: Float = 0
        runBoth(lanes, {
            // Policy: L = −mean(min(r·A, clip(r, 1±ε)·A)) − c_H · mean(H)
            let m = self.minibatch
            self.minibatchDistribution.recompute(logits: self.actor.forward(m.observations))
            let dist = self.minibatchDistribution
            for (k, i) in rows.enumerated() {
                let logRatio = dist.logProbability(row: k, action: Int(self.minibatchActions[k])) - oldLogProbs[i]
                surrogate.add(row: k, logRatio: logRatio, advantage: m.advantages[k], clip: c.clipCoefficient, rows: mb, dLogProb: &m.dLogProb)
                entropy += dist.entropy(row: k)
            }
            dist.gradient(actions: self.minibatchActions, dLogProb: m.dLogProb, dEntropy: self.dEntropy, into: &self.logitGradient)
            _ = self.actor.backward(self.logitGradient)
        }, stored: minibatch.criticLane)
        minibatch.finish()
        clipGradientNorm(optimizer.parameters, maxNorm: c.maxGradientNorm)
        optimizer.update()
        return surrogate.metrics(rows: mb, entropy: entropy / Float(mb), valueLoss: minibatch.valueLoss)
    }
}

/// How a trainer's `train` brings its environment to where training stands.
enum EnvironmentStart: Equatable {
    /// Fresh reset with the seed at update 0; otherwise the environment is already where training stopped.
    case continuing
    /// Restored from a checkpoint with the action history: reset with the seed and replay every action.
    case replay
    /// Restored from an older checkpoint without one: fresh episodes from a seed derived from the update.
    case reseed(update: Int)

    /// Brings a trainer's environment to where training stands, then becomes `.continuing`.
    ///
    /// - Parameters:
    ///   - atStart: training has not stepped the environment yet.
    ///   - history: the actions sent since the environment's reset with `seed`, `width` per step; emptied
    ///     on a fresh start.
    ///   - freshEpisodes: resets what the trainer keeps per episode, when episodes start afresh.
    mutating func bring<A>(
        atStart: Bool, seed: UInt64, history: inout [A], width: Int,
        reset: (UInt64) -> Void, step: ([A]) -> Void, freshEpisodes: () -> Void = {}
    ) {
        switch self {
        case .continuing where atStart:
            reset(seed)
            history.removeAll(keepingCapacity: true)
            freshEpisodes()
        case .continuing:
            break
        case .replay:
            reset(seed)
            var actions = Array(history.prefix(width))
            for start in stride(from: 0, to: history.count, by: width) {
                for k in 0..<width { actions[k] = history[start + k] }
                step(actions)
            }
        case .reseed(let update):
            reset(seed &+ 0x5EED_0000 &+ UInt64(update))
            freshEpisodes()
        }
        self = .continuing
    }
}

/// Copies `rows` observations into a [rows, size] tensor, reusing its storage.
func copyObservations(_ source: [Float], rows: Int, into tensor: inout Tensor) {
    let size = source.count / max(rows, 1)
    tensor.reshape(rows: rows, columns: size)
    tensor.scalars.withUnsafeMutableBufferPointer { d in
        source.withUnsafeBufferPointer { s in d.baseAddress!.update(from: s.baseAddress!, count: rows * size) }
    }
}

/// Sets `array` to `count` elements equal to `value`, keeping its capacity.
func resize<T>(_ array: inout [T], _ count: Int, _ value: T) {
    if array.count > count { array.removeLast(array.count - count) }
    for i in array.indices { array[i] = value }
    if array.count < count { array.append(contentsOf: repeatElement(value, count: count - array.count)) }
}

/// Normalizes to mean 0 and unbiased standard deviation 1 (as torch.std), ε 1e-8, in place.
func normalizeInPlace(_ values: inout [Float]) {
    let n = values.count
    var mean: Float = 0
    for a in values { mean += a }
    mean /= Float(n)
    var variance: Float = 0
    for a in values { variance += (a - mean) * (a - mean) }
    let std = (variance / Float(max(n - 1, 1))).squareRoot()
    for k in 0..<n { values[k] = (values[k] - mean) / (std + 1e-8) }
}
