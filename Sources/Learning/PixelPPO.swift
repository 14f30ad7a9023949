import Dispatch
import NeuralNet
import ReflexCore
import Simulation

#if canImport(Glibc)
import Glibc
#endif

/// A vector environment that also reports a task figure per finished episode (laps for a line follower).
public protocol ScoredVectorEnvironment: ContinuousVectorEnvironment {
    /// One figure per entry of `finishedEpisodes`, same order.
    var finishedScores: [Double] { get }
}

extension EnvironmentCopies: ScoredVectorEnvironment {}

/// A deterministic evaluation of a pixel policy: returns and the laps of each episode.
public struct LapEvaluation: Sendable, Codable, Equatable {
    public var returns: EvaluationResult
    /// Laps completed in each episode, in episode order.
    public var laps: [Double]

    public init(returns: EvaluationResult, laps: [Double]) {
        self.returns = returns
        self.laps = laps
    }

    /// Fraction of episodes that completed at least one lap.
    public var lapCompletionRate: Double {
        laps.isEmpty ? 0 : Double(laps.filter { $0 >= 1 }.count) / Double(laps.count)
    }
}

/// PPO from camera pixels with continuous actions: `PPOContinuous`'s algorithm (CleanRL's
/// `ppo_continuous_action.py`: GAE, per-minibatch advantage normalization, clipped surrogate, optional value
/// clipping and KL stop, global gradient clipping, Adam with linear annealing, reward scaling by the return's
/// running std) with `PixelActorCritic` in place of the MLPs. Observations are already preprocessed pixels
/// (0…1), so there is no observation normalizer.
///
/// Both cores work on every network pass: the rows of a rollout step or minibatch are split between
/// `threads` replicas of the network, whose gradients are summed into the first before each Adam step and
/// whose weights are copied back from it after, so the result does not depend on the thread count beyond
/// floating-point summation order.
///
/// Success is the line follower's: the fraction of evaluation episodes (on tracks never used in training)
/// that complete a lap.
public final class PixelPPO {
    public let config: PPOConfig
    public let pixels: PixelPPOConfig
    public let seed: UInt64
    let replicas: [PixelActorCritic]
    public let optimizer: Adam
    public internal(set) var returnStatistics = RunningMeanStd(size: 1)
    public internal(set) var counters = TrainingCounters()
    /// Recent training episodes' laps, alongside `counters.recentReturns`.
    public internal(set) var recentLaps: [Double] = []
    public internal(set) var lastLapEvaluation: LapEvaluation?
    let env: ScoredVectorEnvironment
    private let makeEvaluationEnvironment: (Int) throws -> ScoredVectorEnvironment
    var rng: SeededGenerator
    let imageShape: [Int]
    let actionSize: Int
    private let low: [Float]
    private let high: [Float]

    /// - Parameters:
    ///   - imageShape: the observation as `[channels, height, width]` (the environment's preprocessing).
    ///   - makeEnvironment: `config.environments` copies on training tracks.
    ///   - makeEvaluationEnvironment: copies on evaluation tracks (disjoint from the training ones).
    public init(
        config: PPOConfig, pixels: PixelPPOConfig, seed: UInt64, imageShape: [Int],
        makeEnvironment: (Int) throws -> ScoredVectorEnvironment,
        makeEvaluationEnvironment: @escaping (Int) throws -> ScoredVectorEnvironment
    ) throws {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw ReflexError(.invalidArgument, "pixel PPO needs an image shape [channels, height, width], got \(imageShape)")
        }
        if let problem = pixels.problem(imageWidth: imageShape[2], imageHeight: imageShape[1], channels: imageShape[0]) {
            throw ReflexError(.invalidArgument, problem)
        }
        guard config.batchSize % config.minibatches == 0, config.minibatchSize >= pixels.threads else {
            throw ReflexError(
                .invalidArgument,
                "ppo: environments × steps_per_rollout = \(config.batchSize) must split into \(config.minibatches) minibatches of at least \(pixels.threads) rows")
        }
        self.config = config
        self.pixels = pixels
        self.seed = seed
        self.imageShape = imageShape
        env = try makeEnvironment(config.environments)
        guard env.observationSize == imageShape.reduce(1, *) else {
            throw ReflexError(
                .invalidArgument, "the environment observes \(env.observationSize) values, not an image of \(imageShape) (\(imageShape.reduce(1, *)))")
        }
        self.makeEvaluationEnvironment = makeEvaluationEnvironment
        actionSize = env.actionSize
        low = env.actionLow
        high = env.actionHigh
        rng = SeededGenerator(seed: seed)
        var replicas: [PixelActorCritic] = []
        for _ in 0..<pixels.threads {
            replicas.append(PixelActorCritic(
                imageShape: imageShape, convolutions: pixels.convolutions, hiddenSizes: config.hiddenSizes, actions: env.actionSize,
                initialLogStd: config.initialLogStd, using: &rng))
        }
        for r in replicas.dropFirst() { r.copyValues(from: replicas[0]) }
        self.replicas = replicas
        optimizer = Adam(parameters: replicas[0].parameters, learningRate: config.learningRate, epsilon: config.adamEpsilon)
    }

    var network: PixelActorCritic { replicas[0] }

    /// Rows `r`'s replica handles out of `rows`.
    private func share(_ r: Int, of rows: Int) -> Range<Int> {
        (r * rows / replicas.count)..<((r + 1) * rows / replicas.count)
    }

    /// Means and values of `rows` images laid out [rows, C·H·W], the rows split between the replicas.
    func evaluateNetwork(_ images: [Float], rows: Int) -> (means: [Float], values: [Float]) {
        let size = imageShape.reduce(1, *), a = actionSize
        var means = [Float](repeating: 0, count: rows * a)
        var values = [Float](repeating: 0, count: rows)
        var parts = [(means: [Float], values: [Float])](repeating: ([], []), count: replicas.count)
        parts.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: replicas.count) { r in
                let range = share(r, of: rows)
                guard !range.isEmpty else { return }
                let x = Tensor(
                    shape: [range.count] + imageShape, scalars: Array(images[(range.lowerBound * size)..<(range.upperBound * size)]))
                let (m, v) = replicas[r].forward(x)
                out[r] = (m.scalars, v.scalars)
            }
        }
        for r in 0..<replicas.count {
            let range = share(r, of: rows)
            guard !range.isEmpty else { continue }
            means.replaceSubrange((range.lowerBound * a)..<(range.upperBound * a), with: parts[r].means)
            values.replaceSubrange(range, with: parts[r].values)
        }
        return (means, values)
    }

    /// The Gaussian's means (before clipping) for `rows` observations laid out [rows, C·H·W].
    public func means(observations: [Float], rows: Int) -> [Float] {
        evaluateNetwork(observations, rows: rows).means
    }

    /// Trains until the evaluation lap rate reaches `pixels.solvedLapRate` or the step budget is spent;
    /// the deterministic policy is screened every `pixels.evaluationInterval` updates.
    public func train(shouldStop: () -> Bool = { false }, progress: (TrainingProgress) -> Void = { _ in }) -> TrainingResult {
        let c = config
        let n = env.count, steps = c.stepsPerRollout, obsSize = env.observationSize, aSize = actionSize
        let batch = c.batchSize
        let updates = max(1, c.totalSteps / batch)
        let start = MonotonicClock.now()

        var obsBuffer = [Float](repeating: 0, count: batch * obsSize)
        var actionBuffer = [Float](repeating: 0, count: batch * aSize)
        var logProbBuffer = [Float](repeating: 0, count: batch)
        var rewardBuffer = [Float](repeating: 0, count: batch)
        var doneBuffer = [Bool](repeating: false, count: batch)
        var valueBuffer = [Float](repeating: 0, count: batch)
        var envActions = [Float](repeating: 0, count: n * aSize)
        var sampled = [Float](repeating: 0, count: aSize)
        var discountedReturns = [Float](repeating: 0, count: n)
        var recentReturns = counters.recentReturns
        var envSteps = counters.envSteps
        var lastEvaluation = counters.lastEvaluation
        let secondsBefore = counters.seconds
        var solved = false
        var metrics = UpdateMetrics()
        let logStd = network.logStd

        env.reset(seed: counters.update == 0 ? seed : seed &+ 0x5EED_0000 &+ UInt64(counters.update))
        for update in stride(from: counters.update + 1, through: updates, by: 1) {
            if shouldStop() { break }
            if c.annealLearningRate {
                optimizer.learningRate = c.learningRate * (1 - Float(update - 1) / Float(updates))
            }
            for t in 0..<steps {
                let raw = env.observations
                let (means, values) = evaluateNetwork(raw, rows: n)
                let dist = Gaussian(means: Tensor(shape: [n, aSize], scalars: means), logStd: logStd.value.scalars)
                for e in 0..<n {
                    let i = t * n + e
                    sampled.withUnsafeMutableBufferPointer { dist.sample(row: e, using: &rng, into: $0.baseAddress!) }
                    for j in 0..<aSize {
                        actionBuffer[i * aSize + j] = sampled[j]
                        envActions[e * aSize + j] = min(max(sampled[j], low[j]), high[j])
                    }
                    logProbBuffer[i] = sampled.withUnsafeBufferPointer { dist.logProbability(row: e, actions: $0.baseAddress!) }
                    valueBuffer[i] = values[e]
                }
                obsBuffer.replaceSubrange((t * n * obsSize)..<((t + 1) * n * obsSize), with: raw)
                env.step(envActions)
                envSteps += n
                for e in 0..<n {
                    let i = t * n + e
                    var r = env.rewards[e]
                    if c.normalizeRewards {
                        discountedReturns[e] = discountedReturns[e] * c.gamma + r
                        returnStatistics.update([discountedReturns[e]])
                        let std = Float(returnStatistics.variance[0]).squareRoot() + 1e-8
                        r = min(max(r / std, -c.rewardClip), c.rewardClip)
                        if env.terminated[e] || env.truncated[e] { discountedReturns[e] = 0 }
                    }
                    rewardBuffer[i] = r
                    doneBuffer[i] = env.terminated[e] || env.truncated[e]
                }
                let truncatedCopies = (0..<n).filter { env.truncated[$0] && !env.terminated[$0] }
                if !truncatedCopies.isEmpty {
                    var finals = [Float]()
                    for e in truncatedCopies { finals += env.finalObservations[(e * obsSize)..<((e + 1) * obsSize)] }
                    let v = evaluateNetwork(finals, rows: truncatedCopies.count).values
                    for (k, e) in truncatedCopies.enumerated() { rewardBuffer[t * n + e] += c.gamma * v[k] }
                }
                for (k, episode) in env.finishedEpisodes.enumerated() {
                    recentReturns.append(episode.score)
                    if recentReturns.count > 20 { recentReturns.removeFirst() }
                    if k < env.finishedScores.count {
                        recentLaps.append(env.finishedScores[k])
                        if recentLaps.count > 20 { recentLaps.removeFirst() }
                    }
                }
            }
            let lastValues = evaluateNetwork(env.observations, rows: n).values
            let (advantages, returns) = generalizedAdvantages(
                rewards: rewardBuffer, values: valueBuffer, dones: doneBuffer, lastValues: lastValues,
                steps: steps, envs: n, gamma: c.gamma, lambda: c.gaeLambda)
            metrics = optimize(
                observations: obsBuffer, actions: actionBuffer, oldLogProbs: logProbBuffer, advantages: advantages,
                returns: returns, oldValues: valueBuffer)

            if let target = pixels.solvedLapRate, update % pixels.evaluationInterval == 0 {
                // A cheap screening first; only a promising policy pays for the full evaluation.
                let screening = evaluate(episodes: pixels.screeningEpisodes, seed: seed &+ 1_000_003 &* UInt64(update))
                lastLapEvaluation = screening
                lastEvaluation = screening.returns
                if screening.lapCompletionRate >= target {
                    let evaluation = evaluate(episodes: c.evaluationEpisodes, seed: seed &+ 2_000_003 &* UInt64(update))
                    lastLapEvaluation = evaluation
                    lastEvaluation = evaluation.returns
                    if evaluation.lapCompletionRate >= target { solved = true }
                }
            }
            let elapsed = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
            progress(counters.record(
                update: update, of: updates, envSteps: envSteps, totalSteps: updates * batch, seconds: elapsed,
                recentReturns: recentReturns, lastEvaluation: lastEvaluation, metrics: metrics))
            if solved { break }
        }
        if lastLapEvaluation == nil || !solved {
            let evaluation = evaluate(episodes: c.evaluationEpisodes, seed: seed &+ 7_777)
            lastLapEvaluation = evaluation
            lastEvaluation = evaluation.returns
            solved = pixels.solvedLapRate.map { evaluation.lapCompletionRate >= $0 } ?? false
            counters.lastEvaluation = lastEvaluation
        }
        let wall = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
        return TrainingResult(envSteps: envSteps, wallSeconds: wall, evaluation: lastEvaluation!, solved: solved)
    }

    /// The deterministic policy (the mean, clipped to the actuator range) on evaluation tracks: `episodes`
    /// episodes split evenly over up to 16 copies, each copy's first episodes counted.
    public func evaluate(episodes: Int, seed: UInt64) -> LapEvaluation {
        let copies = min(episodes, 16)
        let evalEnv: ScoredVectorEnvironment
        do {
            evalEnv = try makeEvaluationEnvironment(copies)
        } catch {
            // The same factory built the training copies, so it does not fail here.
            preconditionFailure("the evaluation environment could not be built: \(error)")
        }
        return Self.evaluate(environment: evalEnv, episodes: episodes, seed: seed) { obs, rows in
            self.evaluateNetwork(obs, rows: rows).means
        }
    }

    /// Runs `episodes` deterministic episodes on `environment`'s copies (each copy runs `episodes / count`
    /// of them, the first copies one more for the remainder); `means(observations, rows)` gives the actions,
    /// clipped to the bounds.
    public static func evaluate(
        environment env: ScoredVectorEnvironment, episodes: Int, seed: UInt64, means: ([Float], Int) -> [Float]
    ) -> LapEvaluation {
        let n = env.count, a = env.actionSize
        var quota = (0..<n).map { episodes / n + ($0 < episodes % n ? 1 : 0) }
        var returns: [Double] = [], laps: [Double] = []
        var episodeReturn = [Double](repeating: 0, count: n)
        var actions = [Float](repeating: 0, count: n * a)
        env.reset(seed: seed)
        while quota.contains(where: { $0 > 0 }) {
            let m = means(env.observations, n)
            for i in 0..<(n * a) { actions[i] = min(max(m[i], env.actionLow[i % a]), env.actionHigh[i % a]) }
            env.step(actions)
            // finishedEpisodes/finishedScores list copies in order; match them to the copies that ended.
            var k = 0
            for e in 0..<n {
                episodeReturn[e] += Double(env.rewards[e])
                guard env.terminated[e] || env.truncated[e] else { continue }
                if quota[e] > 0 {
                    returns.append(episodeReturn[e])
                    laps.append(k < env.finishedScores.count ? env.finishedScores[k] : 0)
                    quota[e] -= 1
                }
                episodeReturn[e] = 0
                k += 1
            }
        }
        return LapEvaluation(returns: EvaluationResult(returns: returns), laps: laps)
    }

    /// Several epochs of minibatch updates over one rollout; each minibatch's rows are split between the replicas.
    private func optimize(
        observations: [Float], actions: [Float], oldLogProbs: [Float], advantages: [Float], returns: [Float], oldValues: [Float]
    ) -> UpdateMetrics {
        let c = config
        let batch = c.batchSize, mb = c.minibatchSize, obsSize = env.observationSize, aSize = actionSize
        let parts = replicas.count
        var indices = Array(0..<batch)
        var metrics = UpdateMetrics()
        var mbAdvantages = [Float](repeating: 0, count: mb)
        var count = 0
        // Per replica: its rows' images, actions, advantages, returns, old values and old log-probs.
        let shares = (0..<parts).map { share($0, of: mb) }
        var images = shares.map { [Float](repeating: 0, count: $0.count * obsSize) }
        var partActions = shares.map { [Float](repeating: 0, count: $0.count * aSize) }
        var losses = [(policy: Float, value: Float, kl: Float, clipped: Float)](repeating: (0, 0, 0, 0), count: parts)
        epochs: for _ in 0..<c.epochs {
            indices.shuffle(using: &rng)
            var epochKL: Float = 0
            var epochMinibatches = 0
            for start in stride(from: 0, to: batch, by: mb) {
                for k in 0..<mb { mbAdvantages[k] = advantages[indices[start + k]] }
                if c.normalizeAdvantages {
                    let mean = mbAdvantages.reduce(0, +) / Float(mb)
                    var variance: Float = 0
                    for a in mbAdvantages { variance += (a - mean) * (a - mean) }
                    let std = (variance / Float(max(mb - 1, 1))).squareRoot()
                    for k in 0..<mb { mbAdvantages[k] = (mbAdvantages[k] - mean) / (std + 1e-8) }
                }
                for r in 0..<parts {
                    images[r].withUnsafeMutableBufferPointer { dst in
                        observations.withUnsafeBufferPointer { src in
                            for (row, k) in shares[r].enumerated() {
                                (dst.baseAddress! + row * obsSize).update(from: src.baseAddress! + indices[start + k] * obsSize, count: obsSize)
                            }
                        }
                    }
                    for (row, k) in shares[r].enumerated() {
                        for j in 0..<aSize { partActions[r][row * aSize + j] = actions[indices[start + k] * aSize + j] }
                    }
                }
                for replica in replicas {
                    for p in replica.parameters { p.zeroGradient() }
                }
                let logStd = network.logStd.value.scalars
                losses.withUnsafeMutableBufferPointer { lossOut in
                    DispatchQueue.concurrentPerform(iterations: parts) { r in
                        let rows = shares[r]
                        guard !rows.isEmpty else { return }
                        let net = replicas[r]
                        let (means, values) = net.forward(Tensor(shape: [rows.count] + imageShape, scalars: images[r]))
                        let dist = Gaussian(means: means, logStd: logStd)
                        var dLogProb = [Float](repeating: 0, count: rows.count)
                        var surrogate = PPOMinibatch.Surrogate()
                        partActions[r].withUnsafeBufferPointer { a in
                            for (row, k) in rows.enumerated() {
                                let i = indices[start + k]
                                let logRatio = dist.logProbability(row: row, actions: a.baseAddress! + row * aSize) - oldLogProbs[i]
                                surrogate.add(
                                    row: row, logRatio: logRatio, advantage: mbAdvantages[k], clip: c.clipCoefficient, rows: mb,
                                    dLogProb: &dLogProb)
                            }
                        }
                        let grad = dist.gradient(actions: partActions[r], dLogProb: dLogProb, dEntropy: -c.entropyCoefficient / Float(mb))
                        let rowIndices = rows.map { indices[start + $0] }
                        // ppoValueLoss scales by 1/(its rows); this share's rows are a fraction of the minibatch.
                        let (squaredErrors, dValue) = ppoValueLoss(
                            values: values, returns: rowIndices.map { returns[$0] }, oldValues: oldValues,
                            rows: rowIndices[...], clip: c.clipValueLoss ? c.clipCoefficient : nil,
                            coefficient: c.valueCoefficient * Float(rows.count) / Float(mb))
                        net.backward(means: grad.means, values: dValue)
                        for j in 0..<aSize { net.logStd.grad.scalars[j] += grad.logStd[j] }
                        lossOut[r] = (surrogate.loss, squaredErrors, surrogate.approxKL, surrogate.clipped)
                    }
                }
                let main = network.parameters
                for replica in replicas.dropFirst() {
                    for (target, source) in zip(main, replica.parameters) {
                        target.grad.scalars.withUnsafeMutableBufferPointer { t in
                            source.grad.scalars.withUnsafeBufferPointer { s in
                                for i in 0..<t.count { t[i] += s[i] }
                            }
                        }
                    }
                }
                clipGradientNorm(main, maxNorm: c.maxGradientNorm)
                optimizer.update()
                for replica in replicas.dropFirst() { replica.copyValues(from: network) }

                let total = losses.reduce((policy: Float(0), value: Float(0), kl: Float(0), clipped: Float(0))) {
                    ($0.policy + $1.policy, $0.value + $1.value, $0.kl + $1.kl, $0.clipped + $1.clipped)
                }
                metrics.policyLoss += total.policy / Float(mb)
                metrics.valueLoss += 0.5 * total.value / Float(mb)
                metrics.entropy += Gaussian(means: Tensor(zeros: [1, aSize]), logStd: network.logStd.value.scalars).entropy
                metrics.approxKL += total.kl / Float(mb)
                metrics.clipFraction += total.clipped / Float(mb)
                epochKL += total.kl / Float(mb)
                epochMinibatches += 1
                count += 1
            }
            if let target = c.targetKL, epochKL / Float(max(epochMinibatches, 1)) > target { break epochs }
        }
        metrics = metrics.averaged(over: count)
        metrics.gradientSteps = count
        return metrics
    }
}
