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
    /// The actor's (weight, bias) per linear layer as of the best scheduled evaluation, when `train` ended
    /// unsolved and that actor beat the last one on the final evaluation's episodes; the exported policy.
    /// The training state (actor, critics, optimizers) stays the last one, so a checkpoint still resumes.
    public internal(set) var keptActor: (weights: [(Tensor, Tensor)], envSteps: Int, lastEvaluation: EvaluationResult)?
    var lastEntropy: Float = 0
    let actionSize: Int
    let observationSize: Int
    /// Per actuator: (high − low)/2 and (high + low)/2.
    let scale: [Float]
    let offset: [Float]
    let targetEntropy: Float

    // Workspaces, sized on first use and reused, so an environment step and a gradient step do not allocate.
    /// The twin critics with their targets, each with its own workspaces (they run side by side on two lanes).
    private let critic1: TwinCritic
    private let critic2: TwinCritic
    /// What the critics' lanes do next (`bothCritics`).
    private var criticPhase = TwinCritic.Phase.target
    /// The second critic's lane (built once: see `TwoLanes`).
    private lazy var secondCriticLane: () -> Void = { [unowned self] in self.critic2.run(self.criticPhase, inputs: self.criticInputs) }
    /// [copies, observationSize] the copies' observations before the step; [copies × actions] their actions.
    private var stepObservations = Tensor(zeros: [0, 0])
    private var envActions: [Float] = []
    private var stepSample = Sample()
    /// The gradient step's minibatch: [batch] replay rows; [batch, observationSize] observations and next
    /// observations; [batch × actions] actions; [batch] rewards and terminated flags.
    private var batchRows: [Int] = []
    private var batchObservations = Tensor(zeros: [0, 0])
    private var batchNextObservations = Tensor(zeros: [0, 0])
    private var batchActions: [Float] = []
    private var batchRewards: [Float] = []
    private var batchTerminated: [Float] = []
    /// a' ~ π(s') for the targets; a ~ π(s) for the actor step.
    private var nextSample = Sample()
    private var actorSample = Sample()
    /// The critics' inputs and the regression targets, read by both lanes.
    private var criticInputs = TwinCritic.Inputs()
    /// [batch, 2 × actions] ∂L/∂(actor output).
    private var actorOutputGradient = Tensor(zeros: [0, 0])

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
        critic1 = TwinCritic(network: q1, target: q1Target, observationSize: observationSize, actionSize: actionSize)
        critic2 = TwinCritic(network: q2, target: q2Target, observationSize: observationSize, actionSize: actionSize)
        actorOptimizer = Adam(parameters: actor.parameters, learningRate: config.policyLearningRate)
        qOptimizer = Adam(parameters: q1.parameters + q2.parameters, learningRate: config.qLearningRate)
        logAlpha = Parameter(name: "log_alpha", value: Tensor(repeating: logf(config.alpha), shape: [1]))
        alphaOptimizer = Adam(parameters: [logAlpha], learningRate: config.qLearningRate)
        buffer = ReplayBuffer(
            capacity: min(config.bufferSize, max(config.totalSteps, 1)), observationSize: observationSize, actionSize: actionSize)
        counters.recentReturns.reserveCapacity(21)  // the last 20 returns, and the one that pushes out the oldest
    }

    /// Threads for training: 1, or 2 to run the twin critics' passes side by side. The critics share
    /// nothing, so results are bit-identical whatever the count.
    public var threads: Int = defaultTrainingThreads() {
        didSet { lanes = threads > 1 ? TwoLanes() : nil }
    }
    private lazy var lanes: TwoLanes? = threads > 1 ? TwoLanes() : nil

    /// Runs `phase` on both critics, side by side when there are two lanes.
    private func bothCritics(_ phase: TwinCritic.Phase) {
        criticPhase = phase
        runBoth(lanes, { self.critic1.run(phase, inputs: self.criticInputs) }, stored: secondCriticLane)
    }

    public var alpha: Float { config.autotune ? expf(logAlpha.value.scalars[0]) : config.alpha }

    static func copy(from source: Sequential, to target: Sequential) {
        for (s, t) in zip(source.parameters, target.parameters) { t.value = s.value }
    }

    /// θ' ← τ θ + (1 − τ) θ' for each pair of parameters.
    static func polyak(from source: [Parameter], to target: [Parameter], tau: Float) {
        for (s, t) in zip(source, target) {
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

    /// Samples squashed actions for `rows` observations with the reparameterization trick into `s`:
    /// actions in actuator units [rows × A], log π [rows], and what the actor's backward needs.
    /// The actor keeps its input for a backward pass; a forward-only caller lets go of it.
    func sampleActions(_ observations: Tensor, into s: inout Sample) {
        let rows = observations.shape[0], a = actionSize
        let out = actor.forward(observations)
        s.resize(rows: rows, actionSize: a)
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
    }

    /// Squashed-Gaussian samples, each array [rows × A] except `logProb` [rows].
    struct Sample {
        var actions: [Float] = [], tanhU: [Float] = [], eps: [Float] = [], sigma: [Float] = [], raw: [Float] = []
        var dLogProbDU: [Float] = [], logProb: [Float] = []

        /// Sizes the arrays for `rows` samples, keeping their capacity (contents are overwritten by the caller).
        mutating func resize(rows: Int, actionSize: Int) {
            let n = rows * actionSize
            guard actions.count != n || logProb.count != rows else { return }
            Learning.resize(&actions, n, 0)
            Learning.resize(&tanhU, n, 0)
            Learning.resize(&eps, n, 0)
            Learning.resize(&sigma, n, 0)
            Learning.resize(&raw, n, 0)
            Learning.resize(&dLogProbDU, n, 0)
            Learning.resize(&logProb, rows, 0)
        }
    }

    /// Writes [obs | action] rows for the critics into `x` ([rows, observationSize + actionSize]).
    func fillCriticInput(_ x: inout Tensor, observations: [Float], actions: [Float], rows: Int) {
        let os = observationSize, a = actionSize, w = os + a
        x.reshape(rows: rows, columns: w)
        x.scalars.withUnsafeMutableBufferPointer { x in
            for r in 0..<rows {
                for k in 0..<os { x[r * w + k] = observations[r * os + k] }
                for k in 0..<a { x[r * w + os + k] = actions[r * a + k] }
            }
        }
    }

    /// Trains until the deterministic policy reaches `solvedReturn` or the step budget is spent.
    public func train(shouldStop: () -> Bool = { false }, progress: (TrainingProgress) -> Void = { _ in }) -> TrainingResult {
        let c = config
        let n = env.count, a = actionSize
        let start = MonotonicClock.now()
        let iterations = max(1, c.totalSteps / n)
        var lastEvaluation = counters.lastEvaluation
        let secondsBefore = counters.seconds
        var solved = false
        var metrics = UpdateMetrics()
        var nextEvaluation = (counters.envSteps / c.evaluationInterval + 1) * c.evaluationInterval
        let reportEvery = max(1, 200 / n)
        // SAC's evaluations swing from one to the next (a policy at 930 can score 606 later), so the
        // best-evaluated actor is kept, and exported if training ends unsolved with a worse one.
        var best: (mean: Double, weights: [(Tensor, Tensor)], envSteps: Int)?
        keptActor = nil

        startEnvironment()
        actionHistory.reserveCapacity(iterations * n * a)
        let reports = (iterations + reportEvery - 1) / reportEvery
        for iteration in stride(from: counters.envSteps / n + 1, through: iterations, by: 1) {
            if shouldStop() {
                // Stopping between reports: record where training stands, so a checkpoint taken now resumes exactly.
                counters.seconds = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
                counters.lastEvaluation = lastEvaluation
                break
            }
            collectStep()
            if counters.envSteps >= c.learningStarts && buffer.count >= c.batchSize {
                for _ in 0..<c.gradientSteps {
                    gradientUpdates += 1
                    metrics = update(step: gradientUpdates)
                }
            }
            let envSteps = counters.envSteps
            if envSteps >= nextEvaluation {
                nextEvaluation += c.evaluationInterval
                // Off-policy runs are short and an evaluation costs a few milliseconds (batched copies), so
                // evaluate on schedule once learning has started, unless the trigger says to wait.
                if let target = c.solvedReturn, envSteps > c.learningStarts,
                   c.evaluationTrigger <= 0
                    || (counters.recentReturns.count >= 2
                        && PPOContinuous.reached(counters.recentMean, target, fraction: c.evaluationTrigger)) {
                    let evaluation = evaluate(episodes: c.evaluationEpisodes, seed: seed &+ 1_000_003 &* UInt64(iteration))
                    lastEvaluation = evaluation
                    if evaluation.mean >= target { solved = true }
                    if evaluation.mean > best?.mean ?? -.infinity {
                        best = (evaluation.mean, actorWeights(), envSteps)
                    }
                }
            }
            if iteration % reportEvery == 0 || solved || iteration == iterations {
                let elapsed = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
                let report = (iteration + reportEvery - 1) / reportEvery
                progress(counters.record(
                    update: report, of: reports, envSteps: envSteps, totalSteps: iterations * n, seconds: elapsed,
                    recentReturns: counters.recentReturns, lastEvaluation: lastEvaluation, metrics: metrics))
            }
            if solved { break }
        }
        if lastEvaluation == nil || !solved {
            let finalSeed = seed &+ 7_777
            lastEvaluation = evaluate(episodes: c.evaluationEpisodes, seed: finalSeed)
            solved = c.solvedReturn.map { lastEvaluation!.mean >= $0 } ?? false
            // The best earlier actor, on the same episodes as the last one, replaces it in the export
            // only if it does better there.
            if !solved, let best, best.mean > lastEvaluation!.mean {
                let last = actorWeights()
                setActorWeights(best.weights)
                let rerun = evaluate(episodes: c.evaluationEpisodes, seed: finalSeed)
                setActorWeights(last)
                if rerun.mean > lastEvaluation!.mean {
                    keptActor = (best.weights, best.envSteps, lastEvaluation!)
                    lastEvaluation = rerun
                    solved = c.solvedReturn.map { rerun.mean >= $0 } ?? false
                }
            }
        }
        let wall = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
        return TrainingResult(envSteps: counters.envSteps, wallSeconds: wall, evaluation: lastEvaluation!, solved: solved)
    }

    /// One environment step of every copy: uniform random actions before `learningStarts`, then sampled
    /// from the policy; the transitions go into the replay buffer. Allocates nothing once the workspaces
    /// have their sizes (tested).
    func collectStep() {
        let c = config, n = env.count, os = observationSize, a = actionSize
        copyObservations(env.observations, rows: n, into: &stepObservations)
        if envActions.count != n * a { resize(&envActions, n * a, 0) }
        if counters.envSteps < c.learningStarts {
            for i in 0..<(n * a) {
                let j = i % a
                envActions[i] = offset[j] + scale[j] * Float.random(in: -1...1, using: &rng)
            }
        } else {
            sampleActions(stepObservations, into: &stepSample)
            actor.releaseCachedInputs()
            for i in 0..<(n * a) { envActions[i] = stepSample.actions[i] }
        }
        actionHistory.append(contentsOf: envActions)
        env.step(envActions)
        counters.envSteps += n
        for e in 0..<n {
            let ended = env.terminated[e] || env.truncated[e]
            let next = ended ? env.finalObservations[(e * os)..<((e + 1) * os)] : env.observations[(e * os)..<((e + 1) * os)]
            buffer.add(
                observation: stepObservations.scalars[(e * os)..<((e + 1) * os)], action: envActions[(e * a)..<((e + 1) * a)],
                reward: env.rewards[e], nextObservation: next, terminated: env.terminated[e])
        }
        counters.addFinished(env.finishedEpisodes)
    }

    /// Brings the training environment to where `counters` say training stands (see `PPO`).
    private func startEnvironment() {
        environmentStart.bring(
            atStart: counters.envSteps == 0, seed: seed, history: &actionHistory, width: env.count * actionSize,
            reset: { env.reset(seed: $0) }, step: { env.step($0) })
    }

    /// One gradient step on the critics, and (every `policyFrequency`) on the actor and α; allocates
    /// nothing once the workspaces have their sizes (tested).
    /// The metrics reuse PPO's slots: value_loss = critic loss, policy_loss = actor loss, entropy = −mean log π.
    func update(step: Int) -> UpdateMetrics {
        let c = config, b = c.batchSize, os = observationSize, a = actionSize
        if batchRows.count != b {
            resize(&batchRows, b, 0)
            resize(&batchActions, b * a, 0)
            resize(&batchRewards, b, 0)
            resize(&batchTerminated, b, 0)
            resize(&criticInputs.targets, b, 0)
            batchObservations.reshape(rows: b, columns: os)
            batchNextObservations.reshape(rows: b, columns: os)
        }
        for k in 0..<b { batchRows[k] = Int.random(in: 0..<buffer.count, using: &rng) }
        buffer.gather(
            batchRows, observations: &batchObservations.scalars, actions: &batchActions, rewards: &batchRewards,
            nextObservations: &batchNextObservations.scalars, terminated: &batchTerminated)
        var metrics = UpdateMetrics()
        metrics.policyLoss = lastActorLoss
        metrics.entropy = lastEntropy

        // Critics: y = r + γ (1 − d) (min Q'(s', a') − α log π(a'|s')), a' ~ π(s').
        let alphaNow = alpha
        sampleActions(batchNextObservations, into: &nextSample)
        actor.releaseCachedInputs()
        fillCriticInput(&criticInputs.next, observations: batchNextObservations.scalars, actions: nextSample.actions, rows: b)
        bothCritics(.target)
        for k in 0..<b {
            let minimum = min(critic1.targetValues[k], critic2.targetValues[k])
            criticInputs.targets[k] = batchRewards[k] + c.gamma * (1 - batchTerminated[k]) * (minimum - alphaNow * nextSample.logProb[k])
        }
        qOptimizer.zeroGradients()
        fillCriticInput(&criticInputs.replayed, observations: batchObservations.scalars, actions: batchActions, rows: b)
        bothCritics(.train)
        qOptimizer.update()
        metrics.valueLoss = (critic1.loss + critic2.loss) / 2

        if step % c.policyFrequency == 0 {
            // CleanRL compensates the delay with as many actor steps as the delay.
            for _ in 0..<c.policyFrequency {
                let (actorLoss, meanLogProb) = updateActor(rows: b, alpha: alpha)
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
            critic1.updateTarget(tau: c.tau)
            critic2.updateTarget(tau: c.tau)
        }
        return metrics
    }

    /// Actor step on L = mean(α log π(a|s) − min(Q1, Q2)(s, a)), a = tanh(μ + σ ε) reparameterized, on the
    /// minibatch's observations. Returns the loss and mean log π.
    private func updateActor(rows b: Int, alpha: Float) -> (Float, Float) {
        let a = actionSize
        sampleActions(batchObservations, into: &actorSample)
        fillCriticInput(&criticInputs.policy, observations: batchObservations.scalars, actions: actorSample.actions, rows: b)
        bothCritics(.policyForward)
        // dQ/da for the smaller critic of each row, through each critic's backward (their parameter
        // gradients are discarded: the next critic step zeroes them).
        critic1.selectRows(b)
        critic2.selectRows(b)
        var loss: Float = 0, meanLogProb: Float = 0
        for k in 0..<b {
            let v1 = critic1.values[k], v2 = critic2.values[k]
            if v1 <= v2 { critic1.outputGradient.scalars[k] = 1 } else { critic2.outputGradient.scalars[k] = 1 }
            loss += alpha * actorSample.logProb[k] - min(v1, v2)
            meanLogProb += actorSample.logProb[k]
        }
        bothCritics(.policyBackward)
        actorOutputGradient.reshape(rows: b, columns: 2 * a)
        let span = 0.5 * (config.logStdMax - config.logStdMin)
        for k in 0..<b {
            for j in 0..<a {
                let i = k * a + j
                let dQdA = critic1.actionGradient[i] + critic2.actionGradient[i]
                let t = actorSample.tanhU[i]
                let dQdU = dQdA * scale[j] * (1 - t * t)
                let dLdU = alpha * actorSample.dLogProbDU[i] - dQdU
                let se = actorSample.sigma[i] * actorSample.eps[i]
                // ∂/∂μ: through u. ∂/∂ log σ: −α (the −log σ term) plus through u = μ + σ ε.
                let dMean = dLdU
                let dLogStd = -alpha + dLdU * se
                let th = fastTanh(actorSample.raw[i])
                actorOutputGradient.scalars[k * 2 * a + j] = dMean / Float(b)
                actorOutputGradient.scalars[k * 2 * a + a + j] = dLogStd * span * (1 - th * th) / Float(b)
            }
        }
        actorOptimizer.zeroGradients()
        _ = actor.backward(actorOutputGradient)
        actorOptimizer.update()
        return (loss / Float(b), meanLogProb / Float(b))
    }

    /// Copies of the actor's (weight, bias) per linear layer, in storage of their own: sharing it, the
    /// optimizer's next in-place update would make the copy inside the training loop.
    func actorWeights() -> [(Tensor, Tensor)] {
        func copy(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, scalars: t.scalars.withUnsafeBufferPointer { Array($0) }) }
        return actor.linearLayers.map { (copy($0.weight.value), copy($0.bias.value)) }
    }

    /// Sets the actor's weights, copied into its existing storage (the optimizer updates them in place).
    func setActorWeights(_ weights: [(Tensor, Tensor)]) {
        for (layer, (w, b)) in zip(actor.linearLayers, weights) {
            precondition(layer.weight.value.shape == w.shape && layer.bias.value.shape == b.shape, "actor weights of another shape")
            layer.weight.value.scalars.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: w.scalars) }
            layer.bias.value.scalars.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: b.scalars) }
        }
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
