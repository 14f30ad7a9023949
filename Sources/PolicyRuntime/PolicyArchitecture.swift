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

    /// One convolution of a `"cnn"` encoder: `filters` output channels, a square `kernel`, `stride`, no
    /// padding, followed by the architecture's activation.
    public struct Convolution: Codable, Hashable, Sendable {
        public var filters: Int
        public var kernel: Int
        public var stride: Int
        public init(filters: Int, kernel: Int, stride: Int) {
            self.filters = filters
            self.kernel = kernel
            self.stride = stride
        }
    }

    /// Network family: `"mlp"` (affine layers over the observation) or `"cnn"` (convolutions over an image
    /// observation `imageShape`, flattened, then the same affine layers as the head).
    public var kind: String
    /// Observation values in (sensor channels; for a CNN, `channels × height × width`).
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
    /// CNN only: the encoder's convolutions, input side first (empty for an MLP).
    public var convolutions: [Convolution]
    /// CNN only: the observation as an image `[channels, height, width]`, channel-major (CHW), as
    /// `ImagePreprocessing` lays it out; nil for an MLP.
    public var imageShape: [Int]?

    public init(
        kind: String = "mlp", inputSize: Int, hiddenSizes: [Int], outputSize: Int, activation: Activation, head: Head,
        frames: Int = 1, convolutions: [Convolution] = [], imageShape: [Int]? = nil
    ) {
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSizes = hiddenSizes
        self.outputSize = outputSize
        self.activation = activation
        self.head = head
        self.frames = frames
        self.convolutions = convolutions
        self.imageShape = imageShape
    }

    /// A CNN over `image` (`[channels, height, width]`): the convolutions, then `hiddenSizes` affine
    /// layers over the flattened features, then `outputSize`.
    public static func cnn(
        image: [Int], convolutions: [Convolution], hiddenSizes: [Int], outputSize: Int, activation: Activation = .relu, head: Head
    ) -> PolicyArchitecture {
        PolicyArchitecture(
            kind: "cnn", inputSize: image.reduce(1, *), hiddenSizes: hiddenSizes, outputSize: outputSize, activation: activation,
            head: head, convolutions: convolutions, imageShape: image)
    }

    private enum CodingKeys: String, CodingKey {
        case kind, inputSize, hiddenSizes, outputSize, activation, head, frames, convolutions, imageShape
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
        convolutions = try c.decodeIfPresent([Convolution].self, forKey: .convolutions) ?? []
        imageShape = try c.decodeIfPresent([Int].self, forKey: .imageShape)
    }

    /// Writes `frames` only when it is not 1, and the CNN keys only for a CNN, so MLP files read and
    /// write as they always have.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(inputSize, forKey: .inputSize)
        try c.encode(hiddenSizes, forKey: .hiddenSizes)
        try c.encode(outputSize, forKey: .outputSize)
        try c.encode(activation, forKey: .activation)
        try c.encode(head, forKey: .head)
        if frames != 1 { try c.encode(frames, forKey: .frames) }
        if !convolutions.isEmpty { try c.encode(convolutions, forKey: .convolutions) }
        if let imageShape { try c.encode(imageShape, forKey: .imageShape) }
    }

    public var isCNN: Bool { kind == "cnn" }

    /// CNN: the shape `[channels, height, width]` after each convolution, in order; nil when a kernel
    /// does not fit its input (or the architecture has no image).
    public var convolutionOutputShapes: [[Int]]? {
        guard let image = imageShape, image.count == 3 else { return nil }
        var (c, h, w) = (image[0], image[1], image[2])
        var shapes: [[Int]] = []
        for conv in convolutions {
            guard conv.kernel > 0, conv.stride > 0, conv.filters > 0, h >= conv.kernel, w >= conv.kernel else { return nil }
            (c, h, w) = (conv.filters, (h - conv.kernel) / conv.stride + 1, (w - conv.kernel) / conv.stride + 1)
            shapes.append([c, h, w])
        }
        return shapes
    }

    /// Values the affine layers read: `inputSize` for an MLP, the flattened last convolution for a CNN.
    public var headInputSize: Int {
        guard isCNN else { return inputSize }
        return convolutionOutputShapes?.last?.reduce(1, *) ?? inputSize
    }

    /// Widths of every affine layer boundary: `[headInputSize] + hiddenSizes + [outputSize]`.
    public var layerSizes: [Int] { [headInputSize] + hiddenSizes + [outputSize] }

    /// Number of affine layers (`hiddenSizes.count + 1`).
    public var layerCount: Int { hiddenSizes.count + 1 }

    /// Name of layer `i`'s weight tensor, shape `[out, in]` (row-major, `y = W x + b`).
    public static func weightName(_ layer: Int) -> String { "actor.\(layer).weight" }
    /// Name of layer `i`'s bias tensor, shape `[out]`.
    public static func biasName(_ layer: Int) -> String { "actor.\(layer).bias" }

    /// Name of convolution `i`'s kernel tensor, shape `[filters, inputChannels, kernel, kernel]` (PyTorch's layout).
    public static func convolutionWeightName(_ layer: Int) -> String { "encoder.\(layer).weight" }
    /// Name of convolution `i`'s bias tensor, shape `[filters]`.
    public static func convolutionBiasName(_ layer: Int) -> String { "encoder.\(layer).bias" }

    /// Every tensor the architecture needs, with its expected shape, in layer order (a CNN's
    /// convolutions first).
    public var expectedTensors: [(name: String, shape: [Int])] {
        let sizes = layerSizes
        var result: [(name: String, shape: [Int])] = []
        if isCNN, var channels = imageShape?.first {
            for (i, conv) in convolutions.enumerated() {
                result.append((Self.convolutionWeightName(i), [conv.filters, channels, conv.kernel, conv.kernel]))
                result.append((Self.convolutionBiasName(i), [conv.filters]))
                channels = conv.filters
            }
        }
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
