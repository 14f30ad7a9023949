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

extension PPOContinuous {
    /// The deployable policy: the mean network's weights (log σ and the critic stay behind; deployment
    /// takes the mean), the frozen observation normalizer, the robot's channels and action bounds.
    public func policyFile(description: RobotDescription, provenance: Provenance) -> PolicyFile {
        var weights: [String: Tensor] = [:]
        for (i, layer) in actor.linearLayers.enumerated() {
            weights[PolicyArchitecture.weightName(i)] = layer.weight.value
            weights[PolicyArchitecture.biasName(i)] = layer.bias.value
        }
        let architecture = PolicyArchitecture(
            inputSize: actor.linearLayers[0].inputSize, hiddenSizes: config.hiddenSizes,
            outputSize: actor.linearLayers.last!.outputSize,
            activation: config.activation == "relu" ? .relu : .tanh, head: .gaussian)
        var normalization: ObservationNormalization?
        if config.normalizeObservations {
            normalization = ObservationNormalization(
                mean: observationStatistics.mean.map { Float($0) }, variance: observationStatistics.variance.map { Float($0) },
                epsilon: Self.normalizationEpsilon, clip: config.observationClip)
        }
        return PolicyFile(
            architecture: architecture, weights: weights, observationNormalization: normalization,
            observationChannels: description.sensors, actuatorChannels: description.actuators,
            actionSpace: description.actionSpace, provenance: provenance)
    }
}

extension Evaluation {
    /// Evaluates a deployable continuous policy (its clipped mean action) on `episodes` copies.
    ///
    /// A policy with observation features keeps per-episode state (the previous reading, its frame
    /// stack), so each copy gets its own instance of the policy, fed one raw reading per step as a
    /// device would: `environment` then observes raw readings (`frames` 1, no features), and copy i's
    /// actions come from `policy`'s file alone.
    public static func run(policy: MLPPolicy, environment: ContinuousVectorEnvironment, episodes: Int, seed: UInt64) -> EvaluationResult {
        let size = policy.actuatorCount
        if policy.observationFeatures != nil {
            precondition(
                environment.observationSize == policy.sensorCount,
                "a policy with observation features reads one raw reading of \(policy.sensorCount) values per step; the environment observes \(environment.observationSize)")
            // The file was accepted by `policy`'s own init, so building more instances of it cannot fail.
            let copies = (0..<episodes).map { i in i == 0 ? policy : ((try? MLPPolicy(file: policy.file)) ?? policy) }
            policy.reset()
            let width = policy.sensorCount
            return run(environment: environment, episodes: episodes, seed: seed) { obs, count, actions in
                obs.withUnsafeBufferPointer { o in
                    actions.withUnsafeMutableBufferPointer { a in
                        for e in 0..<count {
                            copies[e].act(
                                observation: UnsafeBufferPointer(rebasing: o[(e * width)..<((e + 1) * width)]),
                                actuators: UnsafeMutableBufferPointer(rebasing: a[(e * size)..<((e + 1) * size)]))
                        }
                    }
                }
            }
        }
        return run(environment: environment, episodes: episodes, seed: seed) { obs, count, actions in
            obs.withUnsafeBufferPointer { o in
                actions.withUnsafeMutableBufferPointer { a in
                    for e in 0..<count {
                        policy.act(
                            observation: UnsafeBufferPointer(rebasing: o[(e * policy.inputSize)..<((e + 1) * policy.inputSize)]),
                            actuators: UnsafeMutableBufferPointer(rebasing: a[(e * size)..<((e + 1) * size)]))
                    }
                }
            }
        }
    }
}

extension SAC: Trainer {
    public var algorithm: String { "sac" }
    public var solvedReturn: Double? { config.solvedReturn }

    /// The deployable policy: the actor's mean rows (its log σ rows and the critics stay behind) under a
    /// squashed Gaussian head, so deployment computes tanh(μ) scaled onto the actuator range. The actor
    /// is `keptActor` when training kept an earlier, better-evaluated one.
    public func policyFile(description: RobotDescription, provenance: Provenance) -> PolicyFile {
        var weights: [String: Tensor] = [:]
        let layers = actor.linearLayers
        let values = keptActor?.weights ?? actorWeights()
        for (i, (layer, (weight, bias))) in zip(layers, values).enumerated() {
            if i == layers.count - 1 {
                let a = actionSize, inputs = layer.inputSize
                weights[PolicyArchitecture.weightName(i)] = Tensor(shape: [a, inputs], scalars: Array(weight.scalars[0..<(a * inputs)]))
                weights[PolicyArchitecture.biasName(i)] = Tensor(shape: [a], scalars: Array(bias.scalars[0..<a]))
            } else {
                weights[PolicyArchitecture.weightName(i)] = weight
                weights[PolicyArchitecture.biasName(i)] = bias
            }
        }
        let architecture = PolicyArchitecture(
            inputSize: layers[0].inputSize, hiddenSizes: config.hiddenSizes, outputSize: actionSize,
            activation: .relu, head: .squashedGaussian)
        return PolicyFile(
            architecture: architecture, weights: weights, observationNormalization: nil,
            observationChannels: description.sensors, actuatorChannels: description.actuators,
            actionSpace: description.actionSpace, provenance: provenance)
    }
}
