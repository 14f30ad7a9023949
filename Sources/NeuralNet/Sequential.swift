/// Layers applied in order.
public final class Sequential: Layer {
    public let layers: [Layer]
    /// Every layer's parameters in order, gathered once (training loops read them every step).
    public let parameters: [Parameter]

    public init(_ layers: [Layer]) {
        self.layers = layers
        parameters = layers.flatMap(\.parameters)
    }

    /// Each layer writes its own output buffer; the layers' references to their inputs are let go first, so
    /// those writes happen in place and a training loop allocates nothing (see `Linear.forward`).
    public func forward(_ input: Tensor) -> Tensor {
        releaseCachedInputs()
        var x = input
        for layer in layers { x = layer.forward(x) }
        return x
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        var g = gradOutput
        for layer in layers.reversed() { g = layer.backward(g) }
        releaseCachedInputs()
        return g
    }

    /// Lets go of the inputs the layers keep for backward (a forward-only caller that reuses its input
    /// buffer calls this so its next write need not copy).
    public func releaseCachedInputs() {
        for layer in layers { (layer as? Linear)?.releaseInput() }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { forward(input) }

    /// The `Linear` layers in order (the weights a policy file stores).
    public var linearLayers: [Linear] { layers.compactMap { $0 as? Linear } }

    /// An MLP: Linear → activation for each hidden size, then a final Linear; orthogonal init with
    /// gain √2 on hidden layers and `outputGain` on the last, as in CleanRL's PPO.
    public static func mlp<G: RandomNumberGenerator>(
        inputSize: Int, hiddenSizes: [Int], outputSize: Int, activation: String = "tanh",
        outputGain: Float, namePrefix: String, using rng: inout G
    ) -> Sequential {
        var layers: [Layer] = []
        var width = inputSize
        for (i, hidden) in hiddenSizes.enumerated() {
            layers.append(Linear(inputSize: width, outputSize: hidden, name: "\(namePrefix).\(i)", gain: Float(2).squareRoot(), using: &rng))
            layers.append(activation == "relu" ? ReLU() as Layer : Tanh())
            width = hidden
        }
        layers.append(Linear(inputSize: width, outputSize: outputSize, name: "\(namePrefix).\(hiddenSizes.count)", gain: outputGain, using: &rng))
        return Sequential(layers)
    }
}
