/// A trainable tensor and the gradient accumulated for it.
///
/// A reference type so the optimizer and the layer that owns it see the same storage.
public final class Parameter {
    /// Stable name used in policy files (`actor.0.weight`).
    public var name: String
    public var value: Tensor
    /// Same shape as `value`; accumulated by `backward`, cleared by `zeroGradients`.
    public var grad: Tensor

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
    }

    public func zeroGradient() {
        grad.scalars.withUnsafeMutableBufferPointer { g in
            for i in g.indices { g[i] = 0 }
        }
    }
}

/// Something with a forward pass and a backward pass over a batch (`[batch, features]`).
///
/// `forward` keeps what `backward` needs; `backward` takes dLoss/dOutput, accumulates the
/// parameters' gradients and returns dLoss/dInput.
public protocol Layer: AnyObject {
    var parameters: [Parameter] { get }
    func forward(_ input: Tensor) -> Tensor
    func backward(_ gradOutput: Tensor) -> Tensor
}

extension Layer {
    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }
}
