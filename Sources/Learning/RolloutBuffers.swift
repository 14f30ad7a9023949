import NeuralNet

/// One rollout's samples, laid out [step × copy] (sample i = t · copies + e), and what GAE makes of them.
///
/// Sized once when the trainer is built and rewritten every update, so collecting a rollout and computing
/// its advantages allocate nothing (`TrainingAllocationTests`).
struct RolloutBuffers<Action> {
    let steps: Int
    let copies: Int
    /// [steps × copies × observationSize], as the networks saw them (normalized when normalization is on).
    var observations: [Float]
    /// [steps × copies × actionWidth]: the sampled action (a discrete index, or an unclipped actuator vector).
    var actions: [Action]
    /// [steps × copies] log π(action) at collection time.
    var logProbs: [Float]
    /// [steps × copies], plus γ·V(final observation) where the time limit cut the episode.
    var rewards: [Float]
    /// [steps × copies] V(s) at collection time.
    var values: [Float]
    /// [steps × copies] the episode ended at this step (terminated or truncated).
    var dones: [Bool]
    /// [copies] V of the observation after the last step.
    var lastValues: [Float]
    /// [steps × copies] GAE advantages and returns (`computeAdvantages`).
    var advantages: [Float] = []
    var returns: [Float] = []
    /// [copies] scratch: the copies whose episode the time limit cut at the current step.
    var truncatedCopies: [Int]
    /// [truncated copies, observationSize] scratch: their final observations, for the critic.
    var finals = Tensor(zeros: [0, 0])

    init(steps: Int, copies: Int, observationSize: Int, actionWidth: Int, zero: Action) {
        self.steps = steps
        self.copies = copies
        let samples = steps * copies
        observations = Array(repeating: 0, count: samples * observationSize)
        actions = Array(repeating: zero, count: samples * actionWidth)
        logProbs = Array(repeating: 0, count: samples)
        rewards = logProbs
        values = logProbs
        dones = Array(repeating: false, count: samples)
        lastValues = Array(repeating: 0, count: copies)
        truncatedCopies = Array(repeating: 0, count: copies)
        finals = Tensor(zeros: [copies, observationSize])  // at most every copy; reshaped down in place
    }

    /// Ends the rollout: the critic values `lastObservations` (the copies' observations after the last
    /// step, as the critic reads them) for the bootstrap, then GAE fills `advantages` and `returns`.
    mutating func finish(lastObservations: Tensor, critic: Sequential, gamma: Float, lambda: Float) {
        do {
            let v = critic.forward(lastObservations)
            for e in 0..<copies { lastValues[e] = v.scalars[e] }
        }
        critic.releaseCachedInputs()
        computeAdvantages(gamma: gamma, lambda: lambda)
    }

    /// GAE over the rollout into `advantages` and `returns` (in place).
    mutating func computeAdvantages(gamma: Float, lambda: Float) {
        generalizedAdvantages(
            rewards: rewards, values: values, dones: dones, lastValues: lastValues, steps: steps, envs: copies,
            gamma: gamma, lambda: lambda, advantages: &advantages, returns: &returns)
    }

    /// Step `t`'s rewards and episode ends, and γ·V(final observation) added to the reward of every copy
    /// whose episode the time limit cut, so GAE bootstraps from where the episode would have gone on.
    /// `finalObservations` is [copies × `observationSize`]; `reward(e)` gives copy e's reward as training uses it; `prepare` turns the final observations into
    /// what the critic reads (normalizes them, or nothing). Allocates nothing.
    mutating func storeStep(
        _ t: Int, reward: (Int) -> Float, terminated: [Bool], truncated: [Bool], finalObservations: [Float],
        observationSize width: Int, gamma: Float, critic: Sequential, prepare: (inout Tensor) -> Void
    ) {
        let n = copies
        var count = 0
        for e in 0..<n {
            rewards[t * n + e] = reward(e)
            dones[t * n + e] = terminated[e] || truncated[e]
            if truncated[e] {
                truncatedCopies[count] = e
                count += 1
            }
        }
        guard count > 0 else { return }
        finals.reshape(rows: count, columns: width)
        for k in 0..<count {
            let e = truncatedCopies[k]
            for j in 0..<width { finals.scalars[k * width + j] = finalObservations[e * width + j] }
        }
        prepare(&finals)
        let v = critic.forward(finals)
        for k in 0..<count { rewards[t * n + truncatedCopies[k]] += gamma * v.scalars[k] }
    }

    /// Stores `rows` observations (a [rows, observationSize] tensor) as step `t`'s.
    mutating func storeObservations(_ tensor: Tensor, step t: Int) {
        let width = tensor.count
        observations.withUnsafeMutableBufferPointer { o in
            tensor.scalars.withUnsafeBufferPointer { s in (o.baseAddress! + t * width).update(from: s.baseAddress!, count: width) }
        }
    }
}

extension TrainingCounters {
    /// Adds the returns of episodes that just finished, keeping the last 20, in place (the trainers keep
    /// their running list here, so recording progress shares it instead of copying it).
    mutating func addFinished(_ episodes: [(score: Double, length: Int)]) {
        if !episodes.isEmpty && recentReturns.capacity < 21 { recentReturns.reserveCapacity(21) }
        for episode in episodes {
            recentReturns.append(episode.score)
            if recentReturns.count > 20 { recentReturns.removeFirst() }
        }
    }

    /// Mean of the recent training returns (0 before any episode finished).
    var recentMean: Double {
        recentReturns.isEmpty ? 0 : recentReturns.reduce(0, +) / Double(recentReturns.count)
    }
}
