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
public final class PPO {
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
    /// 2 when the machine has a second core: the actor's and the critic's passes then run side by side.
    /// Results do not depend on it (the two passes share nothing).
    private let parallelBranches = sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 ? 2 : 1

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
    }

    /// Trains until the deterministic policy is solved or the step budget is spent.
    /// `progress` is called after every update.
    public func train(shouldStop: () -> Bool = { false }, progress: (TrainingProgress) -> Void = { _ in }) -> TrainingResult {
        let c = config
        let n = env.count, steps = c.stepsPerRollout, obsSize = env.observationSize
        let batch = c.batchSize
        let updates = max(1, c.totalSteps / batch)
        let start = MonotonicClock.now()

        var obsBuffer = [Float](repeating: 0, count: batch * obsSize)
        var actionBuffer = [Int32](repeating: 0, count: batch)
        var logProbBuffer = [Float](repeating: 0, count: batch)
        var rewardBuffer = [Float](repeating: 0, count: batch)
        var doneBuffer = [Bool](repeating: false, count: batch)
        var valueBuffer = [Float](repeating: 0, count: batch)
        var actions = [Int32](repeating: 0, count: n)
        var recentReturns = counters.recentReturns
        var envSteps = counters.envSteps
        var lastEvaluation = counters.lastEvaluation
        let secondsBefore = counters.seconds
        var solved = false
        var metrics = UpdateMetrics()

        // A resumed run starts fresh episodes (see `Checkpoint`).
        env.reset(seed: counters.update == 0 ? seed : seed &+ 0x5EED_0000 &+ UInt64(counters.update))
        for update in stride(from: counters.update + 1, through: updates, by: 1) {
            if shouldStop() { break }
            if c.annealLearningRate {
                optimizer.learningRate = c.learningRate * (1 - Float(update - 1) / Float(updates))
            }
            // Collect a rollout.
            for t in 0..<steps {
                let obs = Tensor(shape: [n, obsSize], scalars: env.observations)
                let dist = Categorical(logits: actor.forward(obs))
                let values = critic.forward(obs)
                for e in 0..<n {
                    let a = dist.sample(row: e, using: &rng)
                    actions[e] = Int32(a)
                    let i = t * n + e
                    actionBuffer[i] = Int32(a)
                    logProbBuffer[i] = dist.logProbability(row: e, action: a)
                    valueBuffer[i] = values.scalars[e]
                }
                obsBuffer.replaceSubrange((t * n * obsSize)..<((t + 1) * n * obsSize), with: obs.scalars)
                env.step(actions)
                envSteps += n
                for e in 0..<n {
                    let i = t * n + e
                    rewardBuffer[i] = env.rewards[e]
                    doneBuffer[i] = env.terminated[e] || env.truncated[e]
                }
                let truncatedCopies = (0..<n).filter { env.truncated[$0] }
                if !truncatedCopies.isEmpty {
                    var finals = [Float]()
                    for e in truncatedCopies { finals += env.finalObservations[(e * obsSize)..<((e + 1) * obsSize)] }
                    let v = critic.forward(Tensor(shape: [truncatedCopies.count, obsSize], scalars: finals))
                    for (k, e) in truncatedCopies.enumerated() { rewardBuffer[t * n + e] += c.gamma * v.scalars[k] }
                }
                for episode in env.finishedEpisodes {
                    recentReturns.append(episode.score)
                    if recentReturns.count > 20 { recentReturns.removeFirst() }
                }
            }
            let lastValues = critic.forward(Tensor(shape: [n, obsSize], scalars: env.observations)).scalars
            let (advantages, returns) = generalizedAdvantages(
                rewards: rewardBuffer, values: valueBuffer, dones: doneBuffer, lastValues: lastValues,
                steps: steps, envs: n, gamma: c.gamma, lambda: c.gaeLambda)

            metrics = optimize(
                observations: obsBuffer, actions: actionBuffer, oldLogProbs: logProbBuffer, advantages: advantages,
                returns: returns, oldValues: valueBuffer)

            let recentMean = recentReturns.isEmpty ? 0 : recentReturns.reduce(0, +) / Double(recentReturns.count)
            if let target = c.solvedReturn, recentReturns.count >= 5, recentMean >= c.evaluationTrigger * target {
                let evaluation = evaluate(episodes: c.evaluationEpisodes, seed: seed &+ 1_000_003 &* UInt64(update))
                lastEvaluation = evaluation
                if evaluation.mean >= target { solved = true }
            }
            let elapsed = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
            counters.update = update
            counters.envSteps = envSteps
            counters.seconds = elapsed
            counters.recentReturns = recentReturns
            counters.lastEvaluation = lastEvaluation
            progress(TrainingProgress(
                update: update, updates: updates, envSteps: envSteps, totalSteps: updates * batch,
                elapsedSeconds: elapsed, recentMeanReturn: recentReturns.isEmpty ? nil : recentMean,
                lastEvaluation: lastEvaluation, metrics: metrics))
            if solved { break }
        }
        if lastEvaluation == nil || !solved {
            lastEvaluation = evaluate(episodes: c.evaluationEpisodes, seed: seed &+ 7_777)
            solved = c.solvedReturn.map { lastEvaluation!.mean >= $0 } ?? false
        }
        let wall = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
        return TrainingResult(envSteps: envSteps, wallSeconds: wall, evaluation: lastEvaluation!, solved: solved)
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
    private func optimize(
        observations: [Float], actions: [Int32], oldLogProbs: [Float], advantages: [Float], returns: [Float], oldValues: [Float]
    ) -> UpdateMetrics {
        let c = config
        let batch = c.batchSize, mb = c.minibatchSize, obsSize = env.observationSize
        var indices = Array(0..<batch)
        var metrics = UpdateMetrics()
        var mbObs = [Float](repeating: 0, count: mb * obsSize)
        var mbActions = [Int32](repeating: 0, count: mb)
        var mbAdvantages = [Float](repeating: 0, count: mb)
        var dLogProb = [Float](repeating: 0, count: mb)
        let dEntropy = [Float](repeating: -c.entropyCoefficient / Float(mb), count: mb)
        var mbReturns = [Float](repeating: 0, count: mb)
        var count = 0
        for _ in 0..<c.epochs {
            indices.shuffle(using: &rng)
            for start in stride(from: 0, to: batch, by: mb) {
                for k in 0..<mb {
                    let i = indices[start + k]
                    for j in 0..<obsSize { mbObs[k * obsSize + j] = observations[i * obsSize + j] }
                    mbActions[k] = actions[i]
                    mbAdvantages[k] = advantages[i]
                    mbReturns[k] = returns[i]
                }
                if c.normalizeAdvantages {
                    let mean = mbAdvantages.reduce(0, +) / Float(mb)
                    var variance: Float = 0
                    for a in mbAdvantages { variance += (a - mean) * (a - mean) }
                    // Unbiased std, as torch.std.
                    let std = (variance / Float(max(mb - 1, 1))).squareRoot()
                    for k in 0..<mb { mbAdvantages[k] = (mbAdvantages[k] - mean) / (std + 1e-8) }
                }
                optimizer.zeroGradients()
                let obs = Tensor(shape: [mb, obsSize], scalars: mbObs)

                // The actor and the critic share no parameters: their passes run on both cores.
                var policyLoss: Float = 0, entropy: Float = 0, approxKL: Float = 0, clipped: Float = 0
                var valueLoss: Float = 0
                DispatchQueue.concurrentPerform(iterations: parallelBranches) { branch in
                    if branch == 0 || parallelBranches == 1 {
                        // Policy: L = −mean(min(r·A, clip(r, 1±ε)·A)) − c_H · mean(H)
                        let dist = Categorical(logits: actor.forward(obs))
                        for k in 0..<mb {
                            let i = indices[start + k]
                            let logRatio = dist.logProbability(row: k, action: Int(mbActions[k])) - oldLogProbs[i]
                            let ratio = expf(logRatio)
                            let a = mbAdvantages[k]
                            let unclipped = ratio * a
                            let clippedRatio = min(max(ratio, 1 - c.clipCoefficient), 1 + c.clipCoefficient)
                            let clippedObjective = clippedRatio * a
                            policyLoss -= min(unclipped, clippedObjective)
                            // The gradient flows only through the unclipped branch when it is the minimum.
                            dLogProb[k] = unclipped <= clippedObjective ? -a * ratio / Float(mb) : 0
                            entropy += dist.entropy(row: k)
                            approxKL += (ratio - 1) - logRatio
                            if abs(ratio - 1) > c.clipCoefficient { clipped += 1 }
                        }
                        _ = actor.backward(dist.gradient(actions: mbActions, dLogProb: dLogProb, dEntropy: dEntropy))
                    }
                    if branch == 1 || parallelBranches == 1 {
                        // Value: c_V · ½ · mean(max((V − R)², (V_clipped − R)²)) or unclipped.
                        let (squaredErrors, dValue) = ppoValueLoss(
                            values: critic.forward(obs), returns: mbReturns, oldValues: oldValues,
                            rows: indices[start..<(start + mb)], clip: c.clipValueLoss ? c.clipCoefficient : nil,
                            coefficient: c.valueCoefficient)
                        valueLoss = squaredErrors
                        _ = critic.backward(dValue)
                    }
                }
                clipGradientNorm(optimizer.parameters, maxNorm: c.maxGradientNorm)
                optimizer.update()

                metrics.policyLoss += policyLoss / Float(mb)
                metrics.valueLoss += 0.5 * valueLoss / Float(mb)
                metrics.entropy += entropy / Float(mb)
                metrics.approxKL += approxKL / Float(mb)
                metrics.clipFraction += clipped / Float(mb)
                count += 1
            }
        }
        metrics = metrics.averaged(over: count)
        metrics.gradientSteps = count
        return metrics
    }
}
