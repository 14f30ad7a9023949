/// PPO's hyperparameters. Defaults are CleanRL's `ppo.py` (Huang et al. 2022, "The 37 implementation
/// details of PPO"); `cartpole` holds the tuned preset for the bundled CartPole.
public struct PPOConfig: Codable, Equatable, Sendable {
    /// Environment copies stepped together; one rollout collects `environments × stepsPerRollout` steps.
    public var environments = 4
    /// Steps per copy per rollout (CleanRL's `num_steps`).
    public var stepsPerRollout = 128
    /// Budget of environment steps (all copies counted); training stops earlier once solved.
    public var totalSteps = 500_000
    /// Adam's initial learning rate.
    public var learningRate: Float = 2.5e-4
    /// Anneal the learning rate linearly to 0 over the budget.
    public var annealLearningRate = true
    /// Discount factor γ.
    public var gamma: Float = 0.99
    /// GAE's λ.
    public var gaeLambda: Float = 0.95
    /// Minibatches per epoch; minibatch size = rollout size / minibatches.
    public var minibatches = 4
    /// Passes over each rollout.
    public var epochs = 4
    /// Normalize advantages per minibatch (mean 0, std 1).
    public var normalizeAdvantages = true
    /// Surrogate clipping ε.
    public var clipCoefficient: Float = 0.2
    /// Clip the value loss around the old values as well.
    public var clipValueLoss = true
    /// Entropy bonus coefficient.
    public var entropyCoefficient: Float = 0.01
    /// Value loss coefficient.
    public var valueCoefficient: Float = 0.5
    /// Global gradient-norm limit.
    public var maxGradientNorm: Float = 0.5
    /// Adam's ε (PPO implementations use 1e-5).
    public var adamEpsilon: Float = 1e-5
    /// Hidden layer widths of both the actor and the critic.
    public var hiddenSizes = [64, 64]
    /// Hidden activation: `tanh` or `relu`.
    public var activation = "tanh"
    /// Evaluate the deterministic policy after each update once the recent training return reaches
    /// this fraction of `solvedReturn` (evaluation costs time, so not before); 0: after every update
    /// (the bundled CartPole and Pendulum presets, whose evaluations are cheap and whose deterministic
    /// policies solve long before the sampled ones' training returns come near the threshold).
    public var evaluationTrigger: Double = 0.9
    /// Mean deterministic return over `evaluationEpisodes` that counts as solved; nil: train the whole budget.
    public var solvedReturn: Double? = 475
    /// Episodes per evaluation.
    public var evaluationEpisodes = 100
    /// Stop an update's epochs early once the mean approximate KL of an epoch exceeds this (CleanRL's
    /// `target_kl`); nil: always run every epoch.
    public var targetKL: Float? = nil
    /// Continuous actions: initial log σ of the state-independent Gaussian.
    public var initialLogStd: Float = 0
    /// Continuous actions: normalize observations with running statistics (frozen and saved into the
    /// policy file at the end), clipped to ±observationClip.
    public var normalizeObservations = false
    public var observationClip: Float = 10
    /// Continuous actions: divide rewards by the running standard deviation of the discounted return
    /// (SB3's VecNormalize `norm_reward`), clipped to ±rewardClip.
    public var normalizeRewards = false
    public var rewardClip: Float = 10

    public init() {}

    /// Samples per rollout.
    public var batchSize: Int { environments * stepsPerRollout }
    public var minibatchSize: Int { batchSize / minibatches }

    /// Tuned for the bundled CartPole: rl-baselines3-zoo's CartPole-v1 settings (8 copies × 32 steps,
    /// 20 epochs over one 256-sample minibatch, lr 1e-3 annealed, γ 0.98, λ 0.8, no entropy bonus),
    /// which solve CartPole in far fewer environment steps than CleanRL's general defaults, with an
    /// evaluation after every update (presets/cartpole.yaml says why).
    public static var cartpole: PPOConfig {
        var c = PPOConfig()
        c.environments = 8
        c.stepsPerRollout = 32
        c.totalSteps = 100_000
        c.learningRate = 1e-3
        c.gamma = 0.98
        c.gaeLambda = 0.8
        c.minibatches = 1
        c.epochs = 20
        c.entropyCoefficient = 0
        c.evaluationTrigger = 0
        return c
    }
}
