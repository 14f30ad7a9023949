/// SAC's hyperparameters. Defaults follow CleanRL's `sac_continuous_action.py` (Haarnoja et al. 2018,
/// with automatic entropy tuning), except the network width, which the presets set per robot.
public struct SACConfig: Codable, Equatable, Sendable {
    /// Environment copies stepped together (one transition each per step).
    public var environments = 1
    /// Budget of environment steps (all copies counted); training stops earlier once solved.
    public var totalSteps = 100_000
    /// Replay buffer capacity in transitions.
    public var bufferSize = 1_000_000
    /// Uniform random actions for this many steps before the policy acts and updates start.
    public var learningStarts = 5_000
    /// Transitions per gradient step.
    public var batchSize = 256
    /// Discount factor γ.
    public var gamma: Float = 0.99
    /// Polyak averaging rate of the target critics: θ' ← τ θ + (1 − τ) θ'.
    public var tau: Float = 0.005
    /// Adam's learning rate for the actor (and the entropy temperature).
    public var policyLearningRate: Float = 3e-4
    /// Adam's learning rate for the twin critics.
    public var qLearningRate: Float = 1e-3
    /// Gradient steps per environment step (after `learningStarts`).
    public var gradientSteps = 1
    /// Update the actor (and α) every this many critic updates (TD3-style delay; CleanRL uses 2, with
    /// that many actor steps to compensate).
    public var policyFrequency = 2
    /// Update the target critics every this many critic updates.
    public var targetNetworkFrequency = 1
    /// Tune the entropy temperature α towards `targetEntropy` (−actuators when nil).
    public var autotune = true
    /// Fixed α when `autotune` is off; the starting α when on.
    public var alpha: Float = 0.2
    public var targetEntropy: Float? = nil
    /// Hidden layer widths of the actor and of each critic.
    public var hiddenSizes = [256, 256]
    /// Bounds of the actor's log σ (squashed into this range with tanh, as CleanRL).
    public var logStdMin: Float = -5
    public var logStdMax: Float = 2
    /// Deterministic evaluation after every `evaluationInterval` steps once the recent training return
    /// reaches `evaluationTrigger` of `solvedReturn` (0: regardless of the training return).
    public var evaluationInterval = 1_000
    public var evaluationTrigger: Double = 0
    /// Mean deterministic return over `evaluationEpisodes` that counts as solved; nil: whole budget.
    public var solvedReturn: Double? = nil
    public var evaluationEpisodes = 10

    public init() {}
}
