import CBLAS

/// A fully connected layer: `y = x Wᵀ + b` for `x` of shape [batch, inputSize].
///
/// `weight` has shape [outputSize, inputSize] (PyTorch's layout), `bias` [outputSize].
public final class Linear: Layer {
    public let inputSize: Int
    public let outputSize: Int
    public let weight: Parameter
    public let bias: Parameter
    /// The last input (a reference), and workspaces sized on first use and reused: the output, the input gradient.
    private var lastInput = Tensor(zeros: [0, 0])
    private var output = Tensor(zeros: [0, 0])
    private var gradInput = Tensor(zeros: [0, 0])

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

    /// Drops the reference to the last input (backward is no longer possible until the next forward).
    public func releaseInput() {
        lastInput = Self.noInput
    }

    private static let noInput = Tensor(zeros: [0, 0])

    /// Inputs narrower than this take the plain-loop input gradient (see `backward`).
    static let narrowInput = 16

    /// Returns the layer's own output buffer: reused by the next call once the caller has let go of it
    /// (a caller that keeps it gets a copy on the next write, as with any value), so a training loop that
    /// consumes each output before the next call does not allocate.
    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == inputSize, "Linear expects [batch, \(inputSize)], got \(input.shape)")
        let batch = input.shape[0]
        // Kept by reference for backward (no copy); `Sequential` lets go of it before the layer in front writes
        // its buffer again (`releaseInput`), so that write does not have to copy.
        lastInput = input
        output.reshape(rows: batch, columns: outputSize)
        output.scalars.withUnsafeMutableBufferPointer { y in
            bias.value.scalars.withUnsafeBufferPointer { b in
                for row in 0..<batch {
                    for j in 0..<outputSize { y[row * outputSize + j] = b[j] }
                }
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

    /// Returns the layer's own input-gradient buffer (reused like `forward`'s output).
    public func backward(_ gradOutput: Tensor) -> Tensor {
        let batch = lastInput.shape[0]
        precondition(
            gradOutput.rank == 2 && gradOutput.shape[0] == batch && gradOutput.shape[1] == outputSize,
            "gradient shape \(gradOutput.shape) ≠ [\(batch), \(outputSize)]")
        gradInput.reshape(rows: batch, columns: inputSize)
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
            // dX = dY W. For a narrow input (an observation of a few channels) OpenBLAS's small-matrix NN kernels
            // malloc a packing buffer on every call, so that product is a plain loop (it is tiny: batch × out × in).
            weight.value.scalars.withUnsafeBufferPointer { w in
                gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                    if inputSize < Self.narrowInput {
                        let n = inputSize, o = outputSize
                        for row in 0..<batch {
                            let dxRow = dx.baseAddress! + row * n
                            dxRow.update(repeating: 0, count: n)
                            for k in 0..<o {
                                let a = dy[row * o + k]
                                let wRow = w.baseAddress! + k * n
                                for i in 0..<n { dxRow[i] += a * wRow[i] }
                            }
                        }
                    } else {
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(batch), Int32(inputSize), Int32(outputSize),
                            1, dy.baseAddress, Int32(outputSize), w.baseAddress, Int32(inputSize),
                            0, dx.baseAddress, Int32(inputSize))
                    }
                }
            }
        }
        return gradInput
    }
}
