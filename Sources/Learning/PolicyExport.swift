import NeuralNet
import PolicyRuntime
import ReflexCore
import Simulation

extension PPO {
    /// The deployable policy: the actor's weights (the critic stays behind), the robot's channels and
    /// action mapping, and where it came from.
    public func policyFile(description: RobotDescription, provenance: Provenance) -> PolicyFile {
        var weights: [String: Tensor] = [:]
        for (i, layer) in actor.linearLayers.enumerated() {
            weights[PolicyArchitecture.weightName(i)] = layer.weight.value
            weights[PolicyArchitecture.biasName(i)] = layer.bias.value
        }
        let architecture = PolicyArchitecture(
            inputSize: actor.linearLayers[0].inputSize, hiddenSizes: config.hiddenSizes,
            outputSize: actor.linearLayers.last!.outputSize,
            activation: config.activation == "relu" ? .relu : .tanh, head: .categorical)
        return PolicyFile(
            architecture: architecture, weights: weights, observationNormalization: nil,
            observationChannels: description.sensors, actuatorChannels: description.actuators,
            actionSpace: description.actionSpace, provenance: provenance)
    }
}

extension Evaluation {
    /// Evaluates a deployable discrete policy on `episodes` copies of `environment` (one episode each).
    public static func run(policy: MLPPolicy, environment: VectorEnvironment, episodes: Int, seed: UInt64) -> EvaluationResult {
        let classes = policy.outputSize
        var logits = [Float](repeating: 0, count: episodes * classes)
        return run(environment: environment, episodes: episodes, seed: seed) { obs, count, actions in
            obs.withUnsafeBufferPointer { o in
                logits.withUnsafeMutableBufferPointer { policy.logits(observations: o, count: count, into: $0) }
            }
            for e in 0..<count {
                var best = 0
                for j in 1..<classes where logits[e * classes + j] > logits[e * classes + best] { best = j }
                actions[e] = Int32(best)
            }
        }
    }
}
