import NeuralNet
import PolicyRuntime
import ReflexCore
import Simulation

extension PixelPPO: CheckpointableTrainer {
    public var algorithm: String { "ppo" }
    /// Pixel runs are judged by their lap completion rate, not a return (`pixels.solvedLapRate`).
    public var solvedReturn: Double? { nil }

    /// The deployable CNN policy: the encoder, the shared affine layers and the actor's head (log σ and the
    /// critic stay behind), the camera pipeline it was trained with, the robot's actuators and bounds.
    public func policyFile(description: RobotDescription, provenance: Provenance) -> PolicyFile {
        let preprocessing = description.camera?.preprocessing
            ?? ImagePreprocessing(width: imageShape[2], height: imageShape[1], grayscale: true, frames: imageShape[0])
        let architecture = PolicyArchitecture.cnn(
            image: imageShape, convolutions: pixels.convolutions, hiddenSizes: config.hiddenSizes, outputSize: actionSize,
            activation: .relu, head: .gaussian)
        return PolicyFile(
            architecture: architecture, weights: network.policyWeights, observationNormalization: nil,
            observationChannels: preprocessing.observationChannels, actuatorChannels: description.actuators,
            actionSpace: description.actionSpace, provenance: provenance, imagePreprocessing: preprocessing)
    }

    public func checkpoint() -> Checkpoint {
        var c = Checkpoint()
        c.addCommon(algorithm: "ppo", seed: seed, config: config, counters: counters)
        c.metadata["actions"] = "continuous"
        c.metadata["observations"] = "pixels"
        c.setJSON("pixels", pixels)
        c.add(network.parameters, prefix: "param")
        c.add(optimizer, prefix: "adam")
        c.setJSON("return_statistics", returnStatistics)
        c.setJSON("recent_laps", recentLaps)
        return c
    }

    public func restore(from c: Checkpoint) throws {
        try c.restore(network.parameters, prefix: "param")
        for replica in replicas.dropFirst() { replica.copyValues(from: network) }
        try c.restore(optimizer, prefix: "adam")
        returnStatistics = try c.json("return_statistics")
        recentLaps = (try? c.json("recent_laps")) ?? []
        counters = try c.json("counters")
        rng = Checkpoint.resumedGenerator(seed: seed, update: counters.update)
    }
}
