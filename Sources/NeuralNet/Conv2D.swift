import CBLAS

/// A 2-D convolution over `[batch, channels, height, width]` (PyTorch's NCHW layout and weight layout
/// `[filters, channels, kernelH, kernelW]`), computed as im2col + one GEMM per image.
///
/// The column matrix of every image is kept from `forward` for `backward` (dW = dY · colsᵀ) and its
/// storage is reused between calls of the same batch size, so a training loop does not reallocate it.
public final class Conv2D: Layer {
    public let inputChannels: Int
    public let filters: Int
    public let kernel: (height: Int, width: Int)
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter
    private var inputShape: [Int] = [0, 0, 0, 0]
    /// [batch, C·KH·KW, OH·OW]
    private var columns: [Float] = []
    private var columnGradient: [Float] = []
    /// The layer's own output and input-gradient buffers, reused between calls (see `Linear.forward`).
    private var output = Tensor(zeros: [0, 0, 0, 0])
    private var gradInput = Tensor(zeros: [0, 0, 0, 0])

    public init(inputChannels: Int, filters: Int, kernel: (height: Int, width: Int), stride: Int = 1, padding: Int = 0, name: String = "conv") {
        precondition(inputChannels > 0 && filters > 0 && kernel.height > 0 && kernel.width > 0 && stride > 0 && padding >= 0)
        BLAS.configured
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        weight = Parameter(name: "\(name).weight", value: Tensor(zeros: [filters, inputChannels, kernel.height, kernel.width]))
        bias = Parameter(name: "\(name).bias", value: Tensor(zeros: [filters]))
    }

    /// He-style orthogonal weights over the flattened kernel (gain √2 for ReLU networks), zero bias.
    public convenience init<G: RandomNumberGenerator>(
        inputChannels: Int, filters: Int, kernel: (height: Int, width: Int), stride: Int = 1, padding: Int = 0,
        name: String = "conv", gain: Float, using rng: inout G
    ) {
        self.init(inputChannels: inputChannels, filters: filters, kernel: kernel, stride: stride, padding: padding, name: name)
        let fanIn = inputChannels * kernel.height * kernel.width
        let w = Initializers.orthogonal(shape: [filters, fanIn], gain: gain, using: &rng)
        weight.value = Tensor(shape: weight.value.shape, scalars: w.scalars)
    }

    public var parameters: [Parameter] { [weight, bias] }

    /// Output height and width for an input of `height × width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding - kernel.height) / stride + 1, (width + 2 * padding - kernel.width) / stride + 1)
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == inputChannels, "Conv2D expects [batch, \(inputChannels), H, W], got \(input.shape)")
        let batch = input.shape[0], h = input.shape[2], w = input.shape[3]
        let (oh, ow) = outputSize(height: h, width: w)
        precondition(oh > 0 && ow > 0, "input \(h)×\(w) is smaller than the kernel")
        for i in 0..<4 where inputShape[i] != input.shape[i] { inputShape[i] = input.shape[i] }
        let rows = inputChannels * kernel.height * kernel.width, cols = oh * ow
        resize(&columns, batch * rows * cols)
        output.reshape(batch, filters, oh, ow)
        input.scalars.withUnsafeBufferPointer { x in
            columns.withUnsafeMutableBufferPointer { c in
                for b in 0..<batch {
                    im2col(x.baseAddress! + b * inputChannels * h * w, h, w, oh, ow, into: c.baseAddress! + b * rows * cols)
                }
            }
        }
        output.scalars.withUnsafeMutableBufferPointer { y in
            bias.value.scalars.withUnsafeBufferPointer { bv in
                for b in 0..<batch {
                    for f in 0..<filters {
                        let base = (b * filters + f) * cols
                        for k in 0..<cols { y[base + k] = bv[f] }
                    }
                }
            }
            weight.value.scalars.withUnsafeBufferPointer { wv in
                columns.withUnsafeBufferPointer { c in
                    for b in 0..<batch {
                        // Y[b] (F × OHOW) += W (F × rows) · cols[b] (rows × OHOW)
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(filters), Int32(cols), Int32(rows),
                            1, wv.baseAddress, Int32(rows), c.baseAddress! + b * rows * cols, Int32(cols),
                            1, y.baseAddress! + b * filters * cols, Int32(cols))
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let batch = inputShape[0], h = inputShape[2], w = inputShape[3]
        let (oh, ow) = outputSize(height: h, width: w)
        precondition(
            gradOutput.rank == 4 && gradOutput.shape[0] == batch && gradOutput.shape[1] == filters && gradOutput.shape[2] == oh
                && gradOutput.shape[3] == ow,
            "gradient shape \(gradOutput.shape) ≠ [\(batch), \(filters), \(oh), \(ow)]")
        let rows = inputChannels * kernel.height * kernel.width, cols = oh * ow
        resize(&columnGradient, rows * cols)
        gradInput.reshape(batch, inputChannels, h, w)
        gradInput.zero()
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            bias.grad.scalars.withUnsafeMutableBufferPointer { db in
                for b in 0..<batch {
                    for f in 0..<filters {
                        let base = (b * filters + f) * cols
                        var sum: Float = 0
                        for k in 0..<cols { sum += dy[base + k] }
                        db[f] += sum
                    }
                }
            }
            weight.grad.scalars.withUnsafeMutableBufferPointer { dw in
                weight.value.scalars.withUnsafeBufferPointer { wv in
                    columns.withUnsafeBufferPointer { c in
                        columnGradient.withUnsafeMutableBufferPointer { dc in
                            gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                                for b in 0..<batch {
                                    let dyb = dy.baseAddress! + b * filters * cols
                                    // dW (F × rows) += dY[b] (F × OHOW) · cols[b]ᵀ
                                    cblas_sgemm(
                                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(filters), Int32(rows), Int32(cols),
                                        1, dyb, Int32(cols), c.baseAddress! + b * rows * cols, Int32(cols),
                                        1, dw.baseAddress, Int32(rows))
                                    // dCols (rows × OHOW) = Wᵀ · dY[b]
                                    cblas_sgemm(
                                        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(cols), Int32(filters),
                                        1, wv.baseAddress, Int32(rows), dyb, Int32(cols),
                                        0, dc.baseAddress, Int32(cols))
                                    col2im(dc.baseAddress!, h, w, oh, ow, into: dx.baseAddress! + b * inputChannels * h * w)
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }

    /// Unfolds one image [C, H, W] into columns [C·KH·KW, OH·OW]; padding reads as zero.
    private func im2col(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int, _ oh: Int, _ ow: Int, into c: UnsafeMutablePointer<Float>) {
        var row = 0
        for ch in 0..<inputChannels {
            for ky in 0..<kernel.height {
                for kx in 0..<kernel.width {
                    let out = c + row * oh * ow
                    for oy in 0..<oh {
                        let iy = oy * stride - padding + ky
                        for ox in 0..<ow {
                            let ix = ox * stride - padding + kx
                            out[oy * ow + ox] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? x[(ch * h + iy) * w + ix] : 0
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Adds columns [C·KH·KW, OH·OW] back onto an image gradient [C, H, W] (the adjoint of im2col).
    private func col2im(_ c: UnsafePointer<Float>, _ h: Int, _ w: Int, _ oh: Int, _ ow: Int, into dx: UnsafeMutablePointer<Float>) {
        var row = 0
        for ch in 0..<inputChannels {
            for ky in 0..<kernel.height {
                for kx in 0..<kernel.width {
                    let src = c + row * oh * ow
                    for oy in 0..<oh {
                        let iy = oy * stride - padding + ky
                        guard iy >= 0 && iy < h else { continue }
                        for ox in 0..<ow {
                            let ix = ox * stride - padding + kx
                            if ix >= 0 && ix < w { dx[(ch * h + iy) * w + ix] += src[oy * ow + ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Resizes keeping capacity, so alternating batch sizes (rollout, minibatch) stop allocating once both were seen.
    private func resize(_ buffer: inout [Float], _ count: Int) {
        if count < buffer.count {
            buffer.removeLast(buffer.count - count)
        } else if count > buffer.count {
            buffer.append(contentsOf: repeatElement(0, count: count - buffer.count))
        }
    }
}

/// Flattens `[batch, …]` to `[batch, features]` (and back in `backward`).
///
/// Returns the input's storage under the flat shape (no copy); the shape arrays are the layer's own and
/// are reused, so the pass allocates nothing once sizes repeat.
public final class Flatten: Layer {
    private var inputShape: [Int] = []
    private var flatShape: [Int] = [0, 0]
    public init() {}
    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor) -> Tensor {
        if inputShape.count == input.rank {
            for i in 0..<input.rank where inputShape[i] != input.shape[i] { inputShape[i] = input.shape[i] }
        } else {
            inputShape = Array(input.shape[...])
        }
        let batch = input.shape[0], features = input.count / max(input.shape[0], 1)
        if flatShape[0] != batch || flatShape[1] != features { flatShape = [batch, features] }
        var y = input
        y.shape = flatShape
        return y
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        var dx = gradOutput
        dx.shape = inputShape
        return dx
    }
}
