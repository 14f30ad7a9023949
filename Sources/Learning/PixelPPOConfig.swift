import PolicyRuntime

/// Settings of PPO from pixels beyond `PPOConfig`'s (the preset's `cnn:` section): the convolutional
/// encoder, the task's success figure and how the camera environment is drawn.
///
/// Defaults are a NatureCNN (Mnih et al. 2015) cut down for a 64×64 grayscale image on 2 cores: conv 8×8
/// stride 4 with 16 filters, conv 4×4 stride 2 with 32 filters, then the `ppo.hidden_sizes` affine layers
/// (128), ReLU throughout. Actor and critic share the encoder and its affine layers; each has its own
/// last linear layer (SB3's `CnnPolicy` shares its features extractor the same way).
public struct PixelPPOConfig: Codable, Equatable, Sendable {
    /// Filters of each convolution, input side first; `kernels` and `strides` give their sizes.
    public var filters = [16, 32]
    public var kernels = [8, 4]
    public var strides = [4, 2]
    /// Draw the robot description's randomization (physics, lighting, floor texture, track size) per episode.
    public var randomize = true
    /// Fraction of evaluation episodes that must complete a lap to count as solved (nil: train the whole budget).
    public var solvedLapRate: Double? = 0.9
    /// Updates between screening evaluations of the deterministic policy. The stochastic training
    /// episodes say little about it (the mean action completes laps long before sampled ones do), so it is
    /// evaluated on a schedule instead of when the training return looks good.
    public var evaluationInterval = 5
    /// Episodes of a screening evaluation; when it reaches `solvedLapRate`, `ppo.evaluation_episodes`
    /// more decide whether the run is solved.
    public var screeningEpisodes = 16
    /// Threads for environment steps and for the two halves of every network pass.
    public var threads = 2

    public init() {}

    /// The encoder's convolutions as the policy file records them.
    public var convolutions: [PolicyArchitecture.Convolution] {
        zip(filters, zip(kernels, strides)).map { .init(filters: $0, kernel: $1.0, stride: $1.1) }
    }

    /// Every key a preset or `--set cnn.<key>=…` may change.
    public static let fields: [ConfigField<PixelPPOConfig>] = [
        .sizes("filters", \.filters, "filters of each convolution, e.g. [16, 32]"),
        .sizes("kernels", \.kernels, "square kernel size of each convolution, e.g. [8, 4]"),
        .sizes("strides", \.strides, "stride of each convolution, e.g. [4, 2]"),
        .bool("randomize", \.randomize, "draw the description's randomization (lighting, texture, track size, physics) per episode"),
        .optionalDouble("solved_lap_rate", \.solvedLapRate, "fraction of evaluation episodes completing a lap that counts as solved (none: whole budget)"),
        .count("evaluation_interval", \.evaluationInterval, "updates between screening evaluations of the deterministic policy"),
        .count("screening_episodes", \.screeningEpisodes, "episodes of a screening evaluation (the full one uses ppo.evaluation_episodes)"),
        .count("threads", \.threads, "threads for environment steps and network passes"),
    ]

    /// The preset sections a pixel run reads.
    public static let sections = ["ppo", "cnn"]

    /// PPO settings for the camera line follower when the preset says nothing (the preset overrides them).
    public static var defaultPPO: PPOConfig {
        var c = PPOConfig()
        c.environments = 16
        c.stepsPerRollout = 128
        c.totalSteps = 1_000_000
        c.learningRate = 3e-4
        c.gamma = 0.99
        c.gaeLambda = 0.95
        c.minibatches = 4
        c.epochs = 3
        c.entropyCoefficient = 0
        c.hiddenSizes = [128]
        c.activation = "relu"
        c.initialLogStd = -0.5
        c.normalizeRewards = true
        c.solvedReturn = nil
        c.evaluationEpisodes = 50
        return c
    }

    /// The first problem with the convolutions, or nil.
    func problem(imageWidth: Int, imageHeight: Int, channels: Int) -> String? {
        guard !filters.isEmpty, filters.count == kernels.count, filters.count == strides.count else {
            return "cnn.filters, cnn.kernels and cnn.strides must list one value per convolution (got \(filters.count), \(kernels.count), \(strides.count))"
        }
        let architecture = PolicyArchitecture.cnn(
            image: [channels, imageHeight, imageWidth], convolutions: convolutions, hiddenSizes: [1], outputSize: 1, head: .gaussian)
        guard architecture.convolutionOutputShapes != nil else {
            return "the convolutions \(convolutions.map { "\($0.kernel)×\($0.kernel)/\($0.stride)" }) do not fit a \(imageWidth)×\(imageHeight) image"
        }
        guard threads >= 1 else { return "cnn.threads must be ≥ 1" }
        if let rate = solvedLapRate, !(rate > 0 && rate <= 1) { return "cnn.solved_lap_rate must be in (0, 1], got \(rate)" }
        return nil
    }
}
