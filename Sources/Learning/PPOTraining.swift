import NeuralNet
import ReflexCore

/// The outer loop `PPO` and `PPOContinuous` share: linear learning-rate annealing, one update per
/// iteration, an evaluation of the deterministic policy once the recent training return comes near the
/// target, progress after every update, and a final evaluation when training ends unsolved.
protocol PPOTraining: AnyObject {
    var config: PPOConfig { get }
    var seed: UInt64 { get }
    var optimizer: Adam { get }
    var counters: TrainingCounters { get set }
    /// Brings the environment to where `counters` say training stands, with room in the action history
    /// for `envSteps` more steps.
    func prepareEnvironment(envSteps: Int)
    /// Collects one rollout and optimizes on it.
    func update() -> UpdateMetrics
    func evaluate(episodes: Int, seed: UInt64) -> EvaluationResult
}

extension PPOTraining {
    func trainingLoop(shouldStop: () -> Bool, progress: (TrainingProgress) -> Void) -> TrainingResult {
        let c = config
        let batch = c.batchSize
        let updates = max(1, c.totalSteps / batch)
        let start = MonotonicClock.now()
        var lastEvaluation = counters.lastEvaluation
        let secondsBefore = counters.seconds
        var solved = false

        prepareEnvironment(envSteps: updates * batch)
        for update in stride(from: counters.update + 1, through: updates, by: 1) {
            if shouldStop() { break }
            if c.annealLearningRate {
                optimizer.learningRate = c.learningRate * (1 - Float(update - 1) / Float(updates))
            }
            let metrics = self.update()
            if let target = c.solvedReturn, counters.recentReturns.count >= 5,
               PPOContinuous.reached(counters.recentMean, target, fraction: c.evaluationTrigger) {
                let evaluation = evaluate(episodes: c.evaluationEpisodes, seed: seed &+ 1_000_003 &* UInt64(update))
                lastEvaluation = evaluation
                if evaluation.mean >= target { solved = true }
            }
            let elapsed = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
            progress(counters.record(
                update: update, of: updates, envSteps: counters.envSteps, totalSteps: updates * batch, seconds: elapsed,
                recentReturns: counters.recentReturns, lastEvaluation: lastEvaluation, metrics: metrics))
            if solved { break }
        }
        if lastEvaluation == nil || !solved {
            lastEvaluation = evaluate(episodes: c.evaluationEpisodes, seed: seed &+ 7_777)
            solved = c.solvedReturn.map { lastEvaluation!.mean >= $0 } ?? false
        }
        let wall = secondsBefore + Double(MonotonicClock.now() - start) / 1e9
        return TrainingResult(envSteps: counters.envSteps, wallSeconds: wall, evaluation: lastEvaluation!, solved: solved)
    }
}
