/// The shape of a policy network: what tensors a policy file must hold and how to run them.
///
/// Stored as compact JSON in the policy file's `architecture` metadata entry.
public struct PolicyArchitecture: Codable, Equatable, Hashable, Sendable {
    /// Hidden-layer nonlinearity.
    public enum Activation: String, Codable, Hashable, Sendable {
        case tanh, relu
    }

    /// How the last layer's output becomes an action.
    public enum Head: String, Codable, Hashable, Sendable {
        /// Logits over the discrete action choices; deployment takes the argmax.
        case categorical
        /// The mean of a Gaussian over continuous actions; deployment takes the mean, clipped to the bounds.
        case gaussian
        /// The mean of a tanh-squashed Gaussian (SAC); deployment takes `low + (tanh(mean) + 1)·(high − low)/2`.
        case squashedGaussian = "squashed_gaussian"
    }

    /// Network family; only `"mlp"` exists today.
    public var kind: String
    /// Observation values in (sensor channels).
    public var inputSize: Int
    /// Width of each hidden layer, input side first.
    public var hiddenSizes: [Int]
    /// Logits (categorical) or action means (gaussian) out.
    public var outputSize: Int
    public var activation: Activation
    public var head: Head
    /// Observations stacked per step, newest first: the network reads `frames` × sensor channels values
    /// (`FrameStack`). 1 (the default, and what a file without the key means) reads the sensors alone.
    public var frames: Int

    public init(
        kind: String = "mlp", inputSize: Int, hiddenSizes: [Int], outputSize: Int, activation: Activation, head: Head,
        frames: Int = 1
    ) {
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSizes = hiddenSizes
        self.outputSize = outputSize
        self.activation = activation
        self.head = head
        self.frames = frames
    }

    private enum CodingKeys: String, CodingKey {
        case kind, inputSize, hiddenSizes, outputSize, activation, head, frames
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        inputSize = try c.decode(Int.self, forKey: .inputSize)
        hiddenSizes = try c.decode([Int].self, forKey: .hiddenSizes)
        outputSize = try c.decode(Int.self, forKey: .outputSize)
        activation = try c.decode(Activation.self, forKey: .activation)
        head = try c.decode(Head.self, forKey: .head)
        frames = try c.decodeIfPresent(Int.self, forKey: .frames) ?? 1
    }

    /// Writes `frames` only when it is not 1, so single-frame files read as they always have.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(inputSize, forKey: .inputSize)
        try c.encode(hiddenSizes, forKey: .hiddenSizes)
        try c.encode(outputSize, forKey: .outputSize)
        try c.encode(activation, forKey: .activation)
        try c.encode(head, forKey: .head)
        if frames != 1 { try c.encode(frames, forKey: .frames) }
    }

    /// Widths of every layer boundary: `[inputSize] + hiddenSizes + [outputSize]`.
    public var layerSizes: [Int] { [inputSize] + hiddenSizes + [outputSize] }

    /// Number of affine layers (`hiddenSizes.count + 1`).
    public var layerCount: Int { hiddenSizes.count + 1 }

    /// Name of layer `i`'s weight tensor, shape `[out, in]` (row-major, `y = W x + b`).
    public static func weightName(_ layer: Int) -> String { "actor.\(layer).weight" }
    /// Name of layer `i`'s bias tensor, shape `[out]`.
    public static func biasName(_ layer: Int) -> String { "actor.\(layer).bias" }

    /// Every tensor the architecture needs, with its expected shape, in layer order.
    public var expectedTensors: [(name: String, shape: [Int])] {
        let sizes = layerSizes
        var result: [(name: String, shape: [Int])] = []
        for layer in 0..<layerCount {
            result.append((Self.weightName(layer), [sizes[layer + 1], sizes[layer]]))
            result.append((Self.biasName(layer), [sizes[layer + 1]]))
        }
        return result
    }

    /// Number of trainable scalars.
    public var parameterCount: Int {
        expectedTensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}
