/// Losses of one update, averaged over its minibatches (CleanRL's `losses/*` metrics).
public struct UpdateMetrics: Sendable, Equatable {
    public var policyLoss: Float = 0
    public var valueLoss: Float = 0
    public var entropy: Float = 0
    public var approxKL: Float = 0
    public var clipFraction: Float = 0
    /// Minibatch gradient steps the update took (fewer than epochs × minibatches after a KL early stop).
    public var gradientSteps = 0

    public init() {}

    /// Adds another step's losses (to be `averaged` afterwards).
    mutating func add(_ other: UpdateMetrics) {
        policyLoss += other.policyLoss; valueLoss += other.valueLoss; entropy += other.entropy
        approxKL += other.approxKL; clipFraction += other.clipFraction
    }

    func averaged(over n: Int) -> UpdateMetrics {
        guard n > 0 else { return self }
        var m = self
        let s = 1 / Float(n)
        m.policyLoss *= s; m.valueLoss *= s; m.entropy *= s; m.approxKL *= s; m.clipFraction *= s
        return m
    }
}

/// Where training stands after an update.
public struct TrainingProgress: Sendable {
    public var update: Int
    public var updates: Int
    public var envSteps: Int
    public var totalSteps: Int
    public var elapsedSeconds: Double
    /// Mean return of the last (up to 20) finished training episodes.
    public var recentMeanReturn: Double?
    public var lastEvaluation: EvaluationResult?
    public var metrics: UpdateMetrics

    public var stepsPerSecond: Double { elapsedSeconds > 0 ? Double(envSteps) / elapsedSeconds : 0 }
}

/// How training ended.
public struct TrainingResult: Sendable {
    public var envSteps: Int
    public var wallSeconds: Double
    /// The last deterministic evaluation.
    public var evaluation: EvaluationResult
    public var solved: Bool
}
