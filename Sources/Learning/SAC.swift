import NeuralNet
import ReflexCore
import Simulation
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Soft actor-critic for continuous actions (Haarnoja et al. 2018, "SAC algorithms and applications"),
/// following CleanRL's `sac_continuous_action.py`: twin Q networks with Polyak-averaged targets, a
/// tanh-squashed Gaussian actor with state-dependent log σ, automatic entropy tuning towards −|A|,
/// a replay buffer, uniform random actions before `learningStarts`, delayed actor updates.
///
/// Actions: the actor's sample u ~ N(μ, σ) is squashed, a = tanh(u), and scaled to the actuator range;
/// log π corrects for the squash. Deployment takes the deterministic tanh(μ), scaled (`squashedGaussian`
/// head in the policy file).
public final class SAC {
    public let config: SACConfig
    public let seed: UInt64
    /// Outputs [μ (actionSize), raw log σ (actionSize)] per observation.
    public let actor: Sequential
    public let q1: Sequential
    public let q2: Sequential
    public let q1Target: Sequential
    public let q2Target: Sequential
    public let actorOptimizer: Adam
    public let qOptimizer: Adam
    /// log α, the entropy temperature.
    public let logAlpha: Parameter
    let alphaOptimizer: Adam
    public internal(set) var buffer: ReplayBuffer
    private let env: ContinuousVectorEnvironment
    private let makeEvaluationEnvironment: (Int) -> ContinuousVectorEnvironment
    var rng: SeededGenerator
    /// Where training stands (restored from a checkpoint on resume). SAC's "update" is a block of 200 env
    /// steps (one progress report), the unit of checkpoint intervals.
    public internal(set) var counters = TrainingCounters()
    /// Critic gradient steps taken so far.
    var gradientUpdates = 0
    /// Every action vector sent to the training environment since its reset with `seed` (see `PPO`).
    var actionHistory: [Float] = []
    var environmentStart = EnvironmentStart.continuing
    /// The latest actor step's loss and entropy estimate (the actor updates every `policyFrequency` steps).
    var lastActorLoss: Float = 0
    var lastEntropy: Float = 0
    let actionSize: Int
    let observationSize: Int
    /// Per actuator: (high − low)/2 and (high + low)/2.
    let scale: [Float]
    let offset: [Float]
    let targetEntropy: Float

    public init(config: SACConfig, seed: UInt64, makeEnvironment: @escaping (Int) -> ContinuousVectorEnvironment) {
        self.config = config
        self.seed = seed
        env = makeEnvironment(config.environments)
        makeEvaluationEnvironment = makeEnvironment
        actionSize = env.actionSize
        observationSize = env.observationSize
        scale = zip(env.actionLow, env.actionHigh).map { ($1 - $0) / 2 }
        offset = zip(env.actionLow, env.actionHigh).map { ($1 + $0) / 2 }
        targetEntropy = config.targetEntropy ?? -Float(env.actionSize)
        var generator = SeededGenerator(seed: seed)
        let criticInputSize = env.observationSize + env.actionSize, hidden = config.hiddenSizes
        actor = Sequential.mlp(
            inputSize: env.observationSize, hiddenSizes: config.hiddenSizes, outputSize: 2 * env.actionSize, activation: "relu",
            outputGain: 0.01, namePrefix: "actor", using: &generator)
        func critic(_ name: String) -> Sequential {
            Sequential.mlp(
                inputSize: criticInputSize, hiddenSizes: hidden, outputSize: 1, activation: "relu",
                outputGain: 1, namePrefix: name, using: &generator)
        }
        q1 = critic("q1")
        q2 = critic("q2")
        q1Target = critic("q1_target")
        q2Target = critic("q2_target")
        rng = generator
        Self.copy(from: q1, to: q1Target)
        Self.copy(from: q2, to: q2Target)
        actorOptimizer = Adam(parameters: actor.parameters, learningRate: config.policyLearningRate)
        qOptimizer = Adam(parameters: q1.parameters + q2.parameters, learningRate: config.qLearningRate)
        logAlpha = Parameter(name: "log_alpha", value: Tensor(repeating: logf(config.alpha), shape: [1]))
        alphaOptimizer = Adam(parameters: [logAlpha], learningRate: config.qLearningRate)
        buffer = ReplayBuffer(
            capacity: min(config.bufferSize, max(config.totalSteps, 1)), observationSize: observationSize, actionSize: actionSize)
    }

    /// Threads for training: 1, or 2 to run the twin critics' passes side by side. The critics share
    /// nothing, so results are bit-identical whatever the count.
    public var threads: Int = defaultTrainingThreads() {
        didSet { lanes = threads > 1 ? TwoLanes() : nil }
    }
    private lazy var lanes: TwoLanes? = threads > 1 ? TwoLanes() : nil

    /// Runs `first` and `second`, on both lanes when there are two.
    private func both(_ first: () -> Void, _ second: () -> Void) {
        runBoth(lanes, first, second)
    }

    public var alpha: Float { config.autotune ? expf(logAlpha.value.scalars[0]) : config.alpha }

    static func copy(from source: Sequential, to target: Sequential) {
        for (s, t) in zip(source.parameters, target.parameters) { t.value = s.value }
    }

    /// θ' ← τ θ + (1 − τ) θ'
    static func polyak(from source: Sequential, to target: Sequential, tau: Float) {
        for (s, t) in zip(source.parameters, target.parameters) {
            t.value.scalars.withUnsafeMutableBufferPointer { tv in
                s.value.scalars.withUnsafeBufferPointer { sv in
                    for i in tv.indices { tv[i] = tau * sv[i] + (1 - tau) * tv[i] }
                }
            }
        }
    }

    /// log σ from the actor's raw output, squashed into [logStdMin, logStdMax].
    @inline(__always)
    func logStd(raw: Float) -> Float {
        config.logStdMin + 0.5 * (config.logStdMax - config.logStdMin) * (fastTanh(raw) + 1)
    }

    /// Samples squashed actions for `rows` observations with the reparameterization trick.
    /// Returns actions in actuator units [rows × A], log π [rows], and what the actor's backward needs.
    func sampleActions(_ observations: Tensor) -> Sample {
        let rows = observations.shape[0], a = actionSize
        let out = actor.forward(observations)
        var s = Sample(rows: rows, actionSize: a)
        for r in 0..<rows {
            var logProb: Float = 0
            for j in 0..<a {
                let mean = out.scalars[r * 2 * a + j]
                let raw = out.scalars[r * 2 * a + a + j]
                let ls = logStd(raw: raw)
                let sigma = expf(ls)
                let eps = standardNormal(using: &rng)
                let u = mean + sigma * eps
                let t = fastTanh(u)
                let i = r * a + j
                s.tanhU[i] = t
                s.eps[i] = eps
                s.sigma[i] = sigma
                s.raw[i] = raw
                s.actions[i] = t * scale[j] + offset[j]
                let jacobian = scale[j] * (1 - t * t) + 1e-6
                logProb += -0.5 * eps * eps - ls - Gaussian.halfLogTwoPi - logf(jacobian)
                // ∂ log π / ∂u = 2·t·scale(1 − t²) / (scale(1 − t²) + 1e-6)
                s.dLogProbDU[i] = 2 * t * scale[j] * (1 - t * t) / jacobian
            }
            s.logProb[r] = logProb
        }
        return s
    }

    struct Sample {
        var actions: [Float], tanhU: [Float], eps: [Float], sigma: [Float], raw: [Float], dLogProbDU: [Float], logProb: [Float]
        init(rows: Int, actionSize: Int) {
            let n = rows * actionSize
            actions = Array(repeating: 0, count: n)
            tanhU = actions; eps = actions; sigma = actions; raw = actions; dLogProbDU = actions
            logProb = Array(repeating: 0, count: rows)
        }
    }

    /// [obs | action] rows for the critics.
    func criticInput(observations: [Float], actions: [Float], rows: Int) -> Tensor {
        let os = observationSize, a = actionSize, w = os + a
        var x = Tensor(zeros: [rows, w])
        for r in 0..<rows {
            for k in 0..<os { x.scalars[r * w + k] = observations[r * os + k] }
            for k in 0..<a { x.scalars[r * w + os + k] = actions[r * a + k] }
        }
        return x
    }

    /// Trains until the deterministic policy reaches `solvedReturn` or the step budget is spent.
    public func train(shouldStop: () -> Bool = { false }, progress: (TrainingProgress) -> Void = { _ in }) -> TrainingResult {
        let c = config
        let n = env.count, os = observationSize, a = actionSize
        let start = MonotonicClock.now()
        let iterations = max(1, c.totalSteps / n)
        var envActions = [Float](repeating: 0, count: n * a)
        var recentReturns = counters.recentReturns
        var envSteps = counters.envSteps
        var lastEvaluation = counters.lastEvaluation
        let secondsBefore = counters.seconds
        var solved = false
        var metrics = UpdateMetrics()
        var updates = gradientUpdates
        var nextEvaluation = (envSteps / c.evaluationInterval + 1) * c.evaluationInterval
        let reportEvery = max(1, 200 / n)

        startEnvironment()
        actionHistory.reserveCapacity(iterations * n * a)
        let reports = (iterations + reportEvery - 1) / reportEvery
        for iteration in stride(from: counters.envSteps / n + 1, through: iterations, by: 1) {
            if shouldStop() {
                // Stopping between reports: record where training stands, so a checkpoint taken now resumes exactly.
                counters.envSteps = envSteps
                counters.seconds = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
                counters.recentReturns = recentReturns
                counters.lastEvaluation = lastEvaluation
                gradientUpdates = updates
                break
            }
            let observations = env.observations
            if envSteps < c.learningStarts {
                for i in 0..<(n * a) {
                    let j = i % a
                    envActions[i] = offset[j] + scale[j] * Float.random(in: -1...1, using: &rng)
                }
            } else {
                envActions = sampleActions(Tensor(shape: [n, os], scalars: observations)).actions
            }
            actionHistory.append(contentsOf: envActions)
            env.step(envActions)
            envSteps += n
            for e in 0..<n {
                let ended = env.terminated[e] || env.truncated[e]
                let next = ended ? env.finalObservations[(e * os)..<((e + 1) * os)] : env.observations[(e * os)..<((e + 1) * os)]
                buffer.add(
                    observation: observations[(e * os)..<((e + 1) * os)], action: envActions[(e * a)..<((e + 1) * a)],
                    reward: env.rewards[e], nextObservation: next, terminated: env.terminated[e])
            }
            for episode in env.finishedEpisodes {
                recentReturns.append(episode.score)
                if recentReturns.count > 20 { recentReturns.removeFirst() }
            }
            if envSteps >= c.learningStarts && buffer.count >= c.batchSize {
                for _ in 0..<c.gradientSteps {
                    updates += 1
                    metrics = update(step: updates)
                }
            }
            let recentMean = recentReturns.isEmpty ? 0 : recentReturns.reduce(0, +) / Double(recentReturns.count)
            if envSteps >= nextEvaluation {
                nextEvaluation += c.evaluationInterval
                // Off-policy runs are short and an evaluation costs a few milliseconds (batched copies), so
                // evaluate on schedule once learning has started, unless the trigger says to wait.
                if let target = c.solvedReturn, envSteps > c.learningStarts,
                   c.evaluationTrigger <= 0 || (recentReturns.count >= 2 && PPOContinuous.reached(recentMean, target, fraction: c.evaluationTrigger)) {
                    let evaluation = evaluate(episodes: c.evaluationEpisodes, seed: seed &+ 1_000_003 &* UInt64(iteration))
                    lastEvaluation = evaluation
                    if evaluation.mean >= target { solved = true }
                }
            }
            if iteration % reportEvery == 0 || solved || iteration == iterations {
                let elapsed = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
                let report = (iteration + reportEvery - 1) / reportEvery
                gradientUpdates = updates
                progress(counters.record(
                    update: report, of: reports, envSteps: envSteps, totalSteps: iterations * n, seconds: elapsed,
                    recentReturns: recentReturns, lastEvaluation: lastEvaluation, metrics: metrics))
            }
            if solved { break }
        }
        if lastEvaluation == nil || !solved {
            lastEvaluation = evaluate(episodes: c.evaluationEpisodes, seed: seed &+ 7_777)
            solved = c.solvedReturn.map { lastEvaluation!.mean >= $0 } ?? false
        }
        let wall = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
        return TrainingResult(envSteps: envSteps, wallSeconds: wall, evaluation: lastEvaluation!, solved: solved)
    }

    /// Brings the training environment to where `counters` say training stands (see `PPO`).
    private func startEnvironment() {
        switch environmentStart {
        case .continuing where counters.envSteps == 0:
            env.reset(seed: seed)
            actionHistory.removeAll(keepingCapacity: true)
        case .continuing:
            break
        case .replay:
            env.reset(seed: seed)
            let width = env.count * actionSize
            var actions = [Float](repeating: 0, count: width)
            for start in stride(from: 0, to: actionHistory.count, by: width) {
                for k in 0..<width { actions[k] = actionHistory[start + k] }
                env.step(actions)
            }
        case .reseed(let update):
            env.reset(seed: seed &+ 0x5EED_0000 &+ UInt64(update))
        }
        environmentStart = .continuing
    }

    /// One gradient step on the critics, and (every `policyFrequency`) on the actor and α.
    /// The metrics reuse PPO's slots: value_loss = critic loss, policy_loss = actor loss, entropy = −mean log π.
    private func update(step: Int) -> UpdateMetrics {
        let c = config, b = c.batchSize, os = observationSize, a = actionSize
        var indices = [Int](repeating: 0, count: b)
        for k in 0..<b { indices[k] = Int.random(in: 0..<buffer.count, using: &rng) }
        var obs = [Float](repeating: 0, count: b * os), next = obs
        var act = [Float](repeating: 0, count: b * a)
        var rew = [Float](repeating: 0, count: b), done = rew
        buffer.gather(indices, observations: &obs, actions: &act, rewards: &rew, nextObservations: &next, terminated: &done)
        var metrics = UpdateMetrics()
        metrics.policyLoss = lastActorLoss
        metrics.entropy = lastEntropy

        // Critics: y = r + γ (1 − d) (min Q'(s', a') − α log π(a'|s')), a' ~ π(s').
        let alphaNow = alpha
        let nextSample = sampleActions(Tensor(shape: [b, os], scalars: next))
        let nextInput = criticInput(observations: next, actions: nextSample.actions, rows: b)
        var t1: [Float] = [], t2: [Float] = []
        both({ t1 = self.q1Target.forward(nextInput).scalars }, { t2 = self.q2Target.forward(nextInput).scalars })
        var targets = [Float](repeating: 0, count: b)
        for k in 0..<b {
            targets[k] = rew[k] + c.gamma * (1 - done[k]) * (min(t1[k], t2[k]) - alphaNow * nextSample.logProb[k])
        }
        qOptimizer.zeroGradients()
        let input = criticInput(observations: obs, actions: act, rows: b)
        var loss1: Float = 0, loss2: Float = 0
        both({
            let (loss, grad) = Losses.meanSquaredError(prediction: self.q1.forward(input), target: targets)
            _ = self.q1.backward(grad)
            loss1 = loss
        }, {
            let (loss, grad) = Losses.meanSquaredError(prediction: self.q2.forward(input), target: targets)
            _ = self.q2.backward(grad)
            loss2 = loss
        })
        qOptimizer.update()
        metrics.valueLoss = (loss1 + loss2) / 2

        if step % c.policyFrequency == 0 {
            // CleanRL compensates the delay with as many actor steps as the delay.
            for _ in 0..<c.policyFrequency {
                let (actorLoss, meanLogProb) = updateActor(observations: obs, rows: b, alpha: alpha)
                metrics.policyLoss = actorLoss
                metrics.entropy = -meanLogProb
                lastActorLoss = actorLoss
                lastEntropy = -meanLogProb
                if c.autotune {
                    // L(log α) = mean(−α (log π + H̄)): ∂L/∂ log α = −α · mean(log π + H̄)
                    alphaOptimizer.zeroGradients()
                    logAlpha.grad.scalars[0] = -expf(logAlpha.value.scalars[0]) * (meanLogProb + targetEntropy)
                    alphaOptimizer.update()
                }
            }
        }
        if step % c.targetNetworkFrequency == 0 {
            Self.polyak(from: q1, to: q1Target, tau: c.tau)
            Self.polyak(from: q2, to: q2Target, tau: c.tau)
        }
        return metrics
    }

    /// Actor step on L = mean(α log π(a|s) − min(Q1, Q2)(s, a)), a = tanh(μ + σ ε) reparameterized.
    /// Returns the loss and mean log π.
    private func updateActor(observations obs: [Float], rows b: Int, alpha: Float) -> (Float, Float) {
        let os = observationSize, a = actionSize
        let sample = sampleActions(Tensor(shape: [b, os], scalars: obs))
        let input = criticInput(observations: obs, actions: sample.actions, rows: b)
        var v1: [Float] = [], v2: [Float] = []
        both({ v1 = self.q1.forward(input).scalars }, { v2 = self.q2.forward(input).scalars })
        // dQ/da for the smaller critic of each row, through each critic's backward (their parameter
        // gradients are discarded: the next critic step zeroes them).
        var d1 = Tensor(zeros: [b, 1]), d2 = Tensor(zeros: [b, 1])
        var loss: Float = 0, meanLogProb: Float = 0
        for k in 0..<b {
            if v1[k] <= v2[k] { d1.scalars[k] = 1 } else { d2.scalars[k] = 1 }
            loss += alpha * sample.logProb[k] - min(v1[k], v2[k])
            meanLogProb += sample.logProb[k]
        }
        var g1 = Tensor(zeros: [0]), g2 = Tensor(zeros: [0])
        both({ g1 = self.q1.backward(d1) }, { g2 = self.q2.backward(d2) })
        var dOut = Tensor(zeros: [b, 2 * a])
        let w = os + a
        let span = 0.5 * (config.logStdMax - config.logStdMin)
        for k in 0..<b {
            for j in 0..<a {
                let i = k * a + j
                let dQdA = g1.scalars[k * w + os + j] + g2.scalars[k * w + os + j]
                let t = sample.tanhU[i]
                let dQdU = dQdA * scale[j] * (1 - t * t)
                let dLdU = alpha * sample.dLogProbDU[i] - dQdU
                let se = sample.sigma[i] * sample.eps[i]
                // ∂/∂μ: through u. ∂/∂ log σ: −α (the −log σ term) plus through u = μ + σ ε.
                let dMean = dLdU
                let dLogStd = -alpha + dLdU * se
                let th = fastTanh(sample.raw[i])
                dOut.scalars[k * 2 * a + j] = dMean / Float(b)
                dOut.scalars[k * 2 * a + a + j] = dLogStd * span * (1 - th * th) / Float(b)
            }
        }
        actorOptimizer.zeroGradients()
        _ = actor.backward(dOut)
        actorOptimizer.update()
        return (loss / Float(b), meanLogProb / Float(b))
    }

    /// The deterministic action tanh(μ), scaled to the actuator range.
    public func evaluate(episodes: Int, seed: UInt64) -> EvaluationResult {
        let evalEnv = makeEvaluationEnvironment(episodes)
        let os = observationSize, a = actionSize
        return Evaluation.run(environment: evalEnv, episodes: episodes, seed: seed) { obs, count, actions in
            let out = actor.forward(Tensor(shape: [count, os], scalars: obs)).scalars
            for r in 0..<count {
                for j in 0..<a { actions[r * a + j] = fastTanh(out[r * 2 * a + j]) * scale[j] + offset[j] }
            }
        }
    }
}
