import NeuralNet
import PolicyRuntime
import ReflexCore

/// PPO's actor-critic over images: a convolutional encoder and affine layers shared by both, then the
/// actor's linear layer (the Gaussian's means, with a state-independent log σ) and the critic's (the value).
///
/// `trunk` is conv → ReLU … → Flatten → (Linear → ReLU) per hidden size; the policy file stores the
/// convolutions as `encoder.<i>` and the trunk's affine layers followed by `actorHead` as `actor.<i>`.
final class PixelActorCritic {
    let trunk: Sequential
    let actorHead: Linear
    let criticHead: Linear
    let logStd: Parameter
    let imageShape: [Int]

    init<G: RandomNumberGenerator>(
        imageShape: [Int], convolutions: [PolicyArchitecture.Convolution], hiddenSizes: [Int], actions: Int,
        initialLogStd: Float, using rng: inout G
    ) {
        self.imageShape = imageShape
        var layers: [Layer] = []
        var channels = imageShape[0]
        let gain = Float(2).squareRoot()
        for (i, conv) in convolutions.enumerated() {
            layers.append(Conv2D(
                inputChannels: channels, filters: conv.filters, kernel: (conv.kernel, conv.kernel), stride: conv.stride,
                name: "encoder.\(i)", gain: gain, using: &rng))
            layers.append(ReLU())
            channels = conv.filters
        }
        layers.append(Flatten())
        let architecture = PolicyArchitecture.cnn(
            image: imageShape, convolutions: convolutions, hiddenSizes: hiddenSizes, outputSize: actions, head: .gaussian)
        var width = architecture.headInputSize
        for (i, hidden) in hiddenSizes.enumerated() {
            layers.append(Linear(inputSize: width, outputSize: hidden, name: "actor.\(i)", gain: gain, using: &rng))
            layers.append(ReLU())
            width = hidden
        }
        trunk = Sequential(layers)
        actorHead = Linear(inputSize: width, outputSize: actions, name: "actor.\(hiddenSizes.count)", gain: 0.01, using: &rng)
        criticHead = Linear(inputSize: width, outputSize: 1, name: "critic.head", gain: 1, using: &rng)
        logStd = Parameter(name: "actor.log_std", value: Tensor(repeating: initialLogStd, shape: [actions]))
    }

    /// Every trainable parameter, in a fixed order (checkpoints and the optimizer rely on it).
    var parameters: [Parameter] { trunk.parameters + actorHead.parameters + [logStd] + criticHead.parameters }

    /// Means [rows, actions] and values [rows, 1] for `rows` images laid out [rows, C, H, W].
    func forward(_ images: Tensor) -> (means: Tensor, values: Tensor) {
        let features = trunk.forward(images)
        return (actorHead.forward(features), criticHead.forward(features))
    }

    /// Accumulates the gradients of a loss with dLoss/dMeans and dLoss/dValues (after `forward` of the same rows).
    func backward(means dMeans: Tensor, values dValues: Tensor) {
        var dFeatures = actorHead.backward(dMeans)
        let fromCritic = criticHead.backward(dValues)
        dFeatures.scalars.withUnsafeMutableBufferPointer { d in
            fromCritic.scalars.withUnsafeBufferPointer { c in
                for i in 0..<d.count { d[i] += c[i] }
            }
        }
        _ = trunk.backward(dFeatures)
    }

    /// Copies every parameter's value from `other` (same architecture).
    func copyValues(from other: PixelActorCritic) {
        for (mine, theirs) in zip(parameters, other.parameters) { mine.value = theirs.value }
    }

    /// The deployable policy's tensors: convolutions as `encoder.<i>`, affine layers and the actor's head as `actor.<i>`.
    var policyWeights: [String: Tensor] {
        var weights: [String: Tensor] = [:]
        var convolution = 0
        var affine = 0
        for layer in trunk.layers {
            if let conv = layer as? Conv2D {
                weights[PolicyArchitecture.convolutionWeightName(convolution)] = conv.weight.value
                weights[PolicyArchitecture.convolutionBiasName(convolution)] = conv.bias.value
                convolution += 1
            } else if let linear = layer as? Linear {
                weights[PolicyArchitecture.weightName(affine)] = linear.weight.value
                weights[PolicyArchitecture.biasName(affine)] = linear.bias.value
                affine += 1
            }
        }
        weights[PolicyArchitecture.weightName(affine)] = actorHead.weight.value
        weights[PolicyArchitecture.biasName(affine)] = actorHead.bias.value
        return weights
    }
}
