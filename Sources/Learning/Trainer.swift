import PolicyRuntime
import ReflexCore
import Simulation

/// What `reflex train` drives, whatever the algorithm: train with progress reports and a stop request,
/// then export the deployable policy.
public protocol Trainer: AnyObject {
    /// `ppo` or `sac`.
    var algorithm: String { get }
    /// The run's master seed.
    var seed: UInt64 { get }
    /// The mean deterministic return that counts as solved, if any.
    var solvedReturn: Double? { get }
    /// Trains until solved, out of budget, or `shouldStop()` returns true (checked between updates).
    func train(shouldStop: () -> Bool, progress: (TrainingProgress) -> Void) -> TrainingResult
    /// The deployable policy: actor weights, frozen normalizer, channels, action mapping, provenance.
    func policyFile(description: RobotDescription, provenance: Provenance) -> PolicyFile
}

extension PPO: Trainer {
    public var algorithm: String { "ppo" }
    public var solvedReturn: Double? { config.solvedReturn }
}

extension PPOContinuous: Trainer {
    public var algorithm: String { "ppo" }
    public var solvedReturn: Double? { config.solvedReturn }
}

/// Builds the trainer for a robot and an algorithm from the robot's preset and command-line settings.
public enum TrainingSetup {
    public static let algorithms = ["ppo", "sac"]

    /// The trainer for `description` with `algorithm`, configured by the library defaults, then the
    /// robot's preset file, then `overrides` (each later one wins), then `totalSteps` if given.
    public static func make(
        description: RobotDescription, algorithm: String, seed: UInt64, preset: PresetFile,
        overrides: [ConfigSetting], totalSteps: Int?
    ) throws -> CheckpointableTrainer {
        guard algorithms.contains(algorithm) else {
            throw ReflexError(.invalidArgument, "unknown algorithm '\(algorithm)' (known: \(algorithms.joined(separator: ", ")))")
        }
        for setting in overrides where setting.section != algorithm && setting.section != "environment" {
            throw ReflexError(
                .invalidArgument,
                "--set \(setting.section).\(setting.key): this run trains with \(algorithm); settings must start with '\(algorithm).' or 'environment.'")
        }
        let settings = preset.settings + overrides
        var environment = EnvironmentConfig()
        try settings.apply(to: &environment, section: "environment", fields: EnvironmentConfig.fields)
        if environment != EnvironmentConfig() && !plantSimulators.contains(description.simulator) {
            throw ReflexError(
                .invalidArgument,
                "environment settings apply to the plant robots (\(plantSimulators.joined(separator: ", "))), not \(description.name)")
        }
        switch description.simulator {
        case "cartpole":
            let model = try CartPoleModel(description: description)
            guard algorithm == "ppo" else {
                throw ReflexError(.invalidArgument, "\(algorithm) needs continuous actions; \(description.name) has discrete actions (use --algo ppo)")
            }
            var config = PPOConfig.cartpole
            try settings.apply(to: &config, section: "ppo", fields: PPOConfig.fields)
            if let totalSteps { config.totalSteps = totalSteps }
            try check(config)
            return PPO(config: config, seed: seed) { CartPoleVectorEnvironment(model: model, count: $0) }
        case "pendulum":
            let model = try PendulumModel(description: description)
            let make = { (n: Int) -> ContinuousVectorEnvironment in PendulumVectorEnvironment(model: model, count: n) }
            if algorithm == "sac" {
                var config = SACConfig()
                config.solvedReturn = -200
                try settings.apply(to: &config, section: "sac", fields: SACConfig.fields)
                if let totalSteps { config.totalSteps = totalSteps }
                return SAC(config: config, seed: seed, makeEnvironment: make)
            }
            var config = PPOConfig()
            config.solvedReturn = -200
            config.evaluationEpisodes = 10
            try settings.apply(to: &config, section: "ppo", fields: PPOConfig.fields)
            if let totalSteps { config.totalSteps = totalSteps }
            try check(config)
            return PPOContinuous(config: config, seed: seed, makeEnvironment: make)
        case let simulator where plantSimulators.contains(simulator):
            let make = try plantEnvironment(description, environment)
            let trainer: CheckpointableTrainer
            if algorithm == "sac" {
                var config = SACConfig()
                try settings.apply(to: &config, section: "sac", fields: SACConfig.fields)
                if let totalSteps { config.totalSteps = totalSteps }
                trainer = SAC(config: config, seed: seed, makeEnvironment: make)
            } else {
                var config = PPOConfig()
                try settings.apply(to: &config, section: "ppo", fields: PPOConfig.fields)
                if let totalSteps { config.totalSteps = totalSteps }
                try check(config)
                trainer = PPOContinuous(config: config, seed: seed, makeEnvironment: make)
            }
            return PlantTrainer(trainer, environment: environment)
        default:
            throw ReflexError(.invalidArgument, "no trainer for simulator '\(description.simulator)' (robot \(description.name))")
        }
    }

    /// Settings that fit each key alone but not together.
    static func check(_ c: PPOConfig) throws {
        guard c.batchSize % c.minibatches == 0 else {
            throw ReflexError(
                .invalidArgument,
                "ppo: environments × steps_per_rollout = \(c.batchSize) is not divisible by minibatches = \(c.minibatches)")
        }
        guard c.totalSteps >= c.batchSize else {
            throw ReflexError(
                .invalidArgument, "ppo: total_steps \(c.totalSteps) is less than one rollout (environments × steps_per_rollout = \(c.batchSize))")
        }
    }
}
