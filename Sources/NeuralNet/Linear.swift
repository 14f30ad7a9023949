import CBLAS

/// A fully connected layer: `y = x Wᵀ + b` for `x` of shape [batch, inputSize].
///
/// `weight` has shape [outputSize, inputSize] (PyTorch's layout), `bias` [outputSize].
public final class Linear: Layer {
    public let inputSize: Int
    public let outputSize: Int
    public let weight: Parameter
    public let bias: Parameter
    private var lastInput = Tensor(zeros: [0, 0])

    public init(inputSize: Int, outputSize: Int, name: String = "linear") {
        BLAS.configured
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = Parameter(name: "\(name).weight", value: Tensor(zeros: [outputSize, inputSize]))
        bias = Parameter(name: "\(name).bias", value: Tensor(zeros: [outputSize]))
    }

    /// Orthogonal weights scaled by `gain`, zero bias (the standard PPO initialization).
    public convenience init<G: RandomNumberGenerator>(
        inputSize: Int, outputSize: Int, name: String = "linear", gain: Float, using rng: inout G
    ) {
        self.init(inputSize: inputSize, outputSize: outputSize, name: name)
        weight.value = Initializers.orthogonal(shape: [outputSize, inputSize], gain: gain, using: &rng)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == inputSize, "Linear expects [batch, \(inputSize)], got \(input.shape)")
        lastInput = input
        let batch = input.shape[0]
        var output = Tensor(zeros: [batch, outputSize])
        output.scalars.withUnsafeMutableBufferPointer { y in
            let b = bias.value.scalars
            for row in 0..<batch {
                for j in 0..<outputSize { y[row * outputSize + j] = b[j] }
            }
            input.scalars.withUnsafeBufferPointer { x in
                weight.value.scalars.withUnsafeBufferPointer { w in
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), Int32(outputSize), Int32(inputSize),
                        1, x.baseAddress, Int32(inputSize), w.baseAddress, Int32(inputSize),
                        1, y.baseAddress, Int32(outputSize))
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let batch = lastInput.shape[0]
        precondition(gradOutput.shape == [batch, outputSize], "gradient shape \(gradOutput.shape) ≠ [\(batch), \(outputSize)]")
        var gradInput = Tensor(zeros: [batch, inputSize])
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            lastInput.scalars.withUnsafeBufferPointer { x in
                // dW += dYᵀ X
                weight.grad.scalars.withUnsafeMutableBufferPointer { dw in
                    cblas_sgemm(
                        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outputSize), Int32(inputSize), Int32(batch),
                        1, dy.baseAddress, Int32(outputSize), x.baseAddress, Int32(inputSize),
                        1, dw.baseAddress, Int32(inputSize))
                }
            }
            // db += Σ_rows dY
            bias.grad.scalars.withUnsafeMutableBufferPointer { db in
                for row in 0..<batch {
                    for j in 0..<outputSize { db[j] += dy[row * outputSize + j] }
                }
            }
            // dX = dY W
            weight.value.scalars.withUnsafeBufferPointer { w in
                gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(batch), Int32(inputSize), Int32(outputSize),
                        1, dy.baseAddress, Int32(outputSize), w.baseAddress, Int32(inputSize),
                        0, dx.baseAddress, Int32(inputSize))
                }
            }
        }
        return gradInput
    }
}
