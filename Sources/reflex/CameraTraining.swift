import Foundation
import Learning
import PolicyRuntime
import ReflexCore
import Simulation
import Vision

/// `reflex train` and `reflex eval` for robots that see through a camera (`diffdrive-camera`): pixel PPO
/// over `CameraEnvironment` copies, training tracks for training and evaluation tracks (never seen in
/// training) for every evaluation, with laps counted.
enum CameraTraining {
    /// A `diffdrive` description with a camera: the policy reads the camera image, not the other sensors.
    static func handles(_ description: RobotDescription) -> Bool {
        description.camera != nil && description.simulator == "diffdrive"
    }

    /// `count` camera environments on `trackSet`'s tracks, stepped on `threads` threads, laps as their score.
    static func environments(
        _ description: RobotDescription, randomize: Bool, trackSet: TrackSet, threads: Int
    ) -> (Int) throws -> ScoredVectorEnvironment {
        { count in
            try EnvironmentCopies(count: count, threads: threads, score: { Double($0.lapsCompleted) }) { _ in
                try CameraEnvironment(description: description, trackSet: trackSet, randomize: randomize)
            }
        }
    }

    /// The observation as `[channels, height, width]`.
    static func imageShape(_ camera: CameraSpec) -> [Int] {
        let p = camera.preprocessing
        return [p.frames * p.channelsPerFrame, p.height, p.width]
    }

    static func make(
        description: RobotDescription, algorithm: String, seed: UInt64, overrides: [ConfigSetting], totalSteps: Int?
    ) throws -> PixelPPO {
        guard algorithm == "ppo" else {
            throw ReflexError(.invalidArgument, "\(description.name) trains from camera pixels with ppo only (--algo ppo), not \(algorithm)")
        }
        for setting in overrides where !PixelPPOConfig.sections.contains(setting.section) {
            throw ReflexError(
                .invalidArgument,
                "--set \(setting.section).\(setting.key): \(description.name) trains from pixels; settings must start with 'ppo.' or 'cnn.'")
        }
        let preset = try PresetFile.bundled(robot: description.name, knownSections: PixelPPOConfig.sections)
        let settings = preset.settings + overrides
        var config = PixelPPOConfig.defaultPPO
        try settings.apply(to: &config, section: "ppo", fields: PPOConfig.fields)
        if let totalSteps { config.totalSteps = totalSteps }
        var pixels = PixelPPOConfig()
        try settings.apply(to: &pixels, section: "cnn", fields: PixelPPOConfig.fields)
        guard config.totalSteps >= config.batchSize else {
            throw ReflexError(
                .invalidArgument,
                "ppo: total_steps \(config.totalSteps) is less than one rollout (environments × steps_per_rollout = \(config.batchSize))")
        }
        return try build(description: description, config: config, pixels: pixels, seed: seed)
    }

    static func resume(description: RobotDescription, checkpoint c: Checkpoint, totalSteps: Int?) throws -> PixelPPO {
        guard c.metadata["observations"] == "pixels", let seed = c.metadata["seed"].flatMap(UInt64.init) else {
            throw ReflexError(.io, "checkpoint: not a pixel PPO run (no observations: pixels, or no seed)")
        }
        var config: PPOConfig = try c.json("config")
        if let totalSteps { config.totalSteps = totalSteps }
        let pixels: PixelPPOConfig = try c.json("pixels")
        let trainer = try build(description: description, config: config, pixels: pixels, seed: seed)
        try trainer.restore(from: c)
        return trainer
    }

    private static func build(description: RobotDescription, config: PPOConfig, pixels: PixelPPOConfig, seed: UInt64) throws -> PixelPPO {
        guard let camera = description.camera else {
            throw ReflexError(.invalidArgument, "\(description.name) has no camera: block to train from")
        }
        return try PixelPPO(
            config: config, pixels: pixels, seed: seed, imageShape: imageShape(camera),
            makeEnvironment: environments(description, randomize: pixels.randomize, trackSet: .training, threads: pixels.threads),
            makeEvaluationEnvironment: environments(description, randomize: pixels.randomize, trackSet: .evaluation, threads: pixels.threads))
    }

    /// A deployable camera policy on `episodes` episodes on evaluation tracks (never used in training),
    /// under the description's randomization: returns and laps.
    static func evaluate(
        _ policy: CNNPolicy, description: RobotDescription, episodes: Int, seed: UInt64, randomize: Bool = true
    ) throws -> LapEvaluation {
        let copies = min(episodes, 16)
        let env = try environments(description, randomize: randomize, trackSet: .evaluation, threads: 2)(copies)
        var actuators = [Float](repeating: 0, count: policy.actuatorCount)
        return PixelPPO.evaluate(environment: env, episodes: episodes, seed: seed) { obs, rows in
            var out: [Float] = []
            out.reserveCapacity(rows * policy.actuatorCount)
            obs.withUnsafeBufferPointer { o in
                for r in 0..<rows {
                    actuators.withUnsafeMutableBufferPointer {
                        policy.act(observation: UnsafeBufferPointer(rebasing: o[(r * policy.inputSize)..<((r + 1) * policy.inputSize)]), actuators: $0)
                    }
                    out += actuators
                }
            }
            return out
        }
    }
}
