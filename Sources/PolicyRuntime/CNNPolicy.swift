import NeuralNet
import ReflexCore

/// The deployed, deterministic form of a CNN policy file: preprocessed camera pixels in, actuator values out.
///
/// The observation is `ImagePreprocessing`'s output (`[channels, height, width]`, frames newest first),
/// which `Vision`'s preprocessor produces from camera frames with the pipeline the file records
/// (`imagePreprocessing`). Each convolution unfolds its input into a column buffer (im2col) and
/// accumulates `filters` rows of `out[f][p] += W[f][k] · col[k][p]` with `p` innermost, so the loops run
/// over contiguous memory and vectorize; the head is `MLPPolicy`'s affine stack. Heads map outputs to
/// actuator values as in `MLPPolicy`.
///
/// Weights and every workspace live in one block laid out at init, so `act` does not allocate and can run
/// every control tick. An instance keeps scratch state: use one per thread.
public final class CNNPolicy: Policy {
    public let file: PolicyFile
    public let observationChannels: [ChannelSpec]
    public let actuatorChannels: [ChannelSpec]
    public var architecture: PolicyArchitecture { file.architecture }
    /// The camera pipeline the policy was trained with (deployment must run the same one).
    public let preprocessing: ImagePreprocessing
    /// Observation values per call (`preprocessing.observationCount`).
    public let inputSize: Int
    public let outputSize: Int
    public let actuatorCount: Int
    public var isCategorical: Bool { head.isCategorical }
    public var isSquashed: Bool { head.isSquashed }

    /// Per convolution: input channels, height, width; filters, kernel, stride; output height, width;
    /// offsets of its weights `[filters, inC·k·k]` and bias `[filters]` in `storage`.
    private struct ConvolutionPlan {
        var inputChannels: Int, height: Int, width: Int
        var filters: Int, kernel: Int, stride: Int
        var outputHeight: Int, outputWidth: Int
        var weightOffset: Int, biasOffset: Int
        var rows: Int { inputChannels * kernel * kernel }
        var positions: Int { outputHeight * outputWidth }
    }

    private let plans: [ConvolutionPlan]
    private let plansPointer: UnsafeMutablePointer<ConvolutionPlan>
    private let convolutionCount: Int
    private let usesTanh: Bool
    /// Affine head: widths (`headLayerCount + 1`) and each layer's weight offset (its bias follows).
    private let headSizes: UnsafeMutablePointer<Int>
    private let headOffsets: UnsafeMutablePointer<Int>
    private let headLayerCount: Int
    private let storage: UnsafeMutablePointer<Float>
    private let storageCount: Int
    /// im2col workspace, the largest `rows × positions` of any convolution.
    private let columns: UnsafeMutablePointer<Float>
    /// Ping-pong activations, each as large as the largest feature map or hidden layer.
    private let bufferA: UnsafeMutablePointer<Float>
    private let bufferB: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<Float>
    /// Outputs to actuator values, as in `MLPPolicy` (tables in `storage`).
    private let head: ActionHead

    /// Builds the runtime form of `file`; throws `.invalidPolicyFile` if its parts disagree or it is not a CNN.
    public init(file: PolicyFile) throws {
        try file.validate()
        let arch = file.architecture
        guard arch.isCNN, let image = arch.imageShape, let shapes = arch.convolutionOutputShapes,
              let preprocessing = file.imagePreprocessing
        else {
            throw ReflexError(.invalidPolicyFile, "policy: architecture kind '\(arch.kind)' is not a cnn (use MLPPolicy, or PolicyFile.makePolicy())")
        }
        self.file = file
        self.preprocessing = preprocessing
        observationChannels = file.observationChannels
        actuatorChannels = file.actuatorChannels
        inputSize = arch.inputSize
        outputSize = arch.outputSize
        actuatorCount = file.actuatorChannels.count
        usesTanh = arch.activation == .tanh

        var count = 0
        var plans: [ConvolutionPlan] = []
        var (c, h, w) = (image[0], image[1], image[2])
        var largestColumns = 0, largestActivation = inputSize
        for (i, conv) in arch.convolutions.enumerated() {
            let out = shapes[i]
            let plan = ConvolutionPlan(
                inputChannels: c, height: h, width: w, filters: conv.filters, kernel: conv.kernel, stride: conv.stride,
                outputHeight: out[1], outputWidth: out[2], weightOffset: count,
                biasOffset: count + conv.filters * c * conv.kernel * conv.kernel)
            count = plan.biasOffset + conv.filters
            largestColumns = Swift.max(largestColumns, plan.rows * plan.positions)
            largestActivation = Swift.max(largestActivation, out.reduce(1, *))
            plans.append(plan)
            (c, h, w) = (out[0], out[1], out[2])
        }
        self.plans = plans
        convolutionCount = plans.count

        let widths = arch.layerSizes
        headLayerCount = arch.layerCount
        headSizes = .allocate(capacity: widths.count)
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: arch.layerCount)
        headOffsets = offsets
        for (i, width) in widths.enumerated() { headSizes[i] = width }
        for layer in 0..<arch.layerCount {
            offsets[layer] = count
            count += widths[layer + 1] * widths[layer] + widths[layer + 1]
        }
        largestActivation = Swift.max(largestActivation, widths.max() ?? 1)

        let headOffset = count
        count += ActionHead.tableCount(outputSize: outputSize, actuatorCount: actuatorCount)
        let columnsOffset = count
        count += largestColumns
        let bufferOffset = count
        count += 2 * largestActivation + outputSize
        storageCount = count
        let block = UnsafeMutablePointer<Float>.allocate(capacity: count)
        block.initialize(repeating: 0, count: count)
        storage = block

        func copy(_ name: String, to offset: Int) {
            for (i, value) in (file.weights[name]?.scalars ?? []).enumerated() { block[offset + i] = value }
        }
        for (i, plan) in plans.enumerated() {
            copy(PolicyArchitecture.convolutionWeightName(i), to: plan.weightOffset)
            copy(PolicyArchitecture.convolutionBiasName(i), to: plan.biasOffset)
        }
        for layer in 0..<headLayerCount {
            copy(PolicyArchitecture.weightName(layer), to: offsets[layer])
            copy(PolicyArchitecture.biasName(layer), to: offsets[layer] + widths[layer + 1] * widths[layer])
        }
        plansPointer = .allocate(capacity: Swift.max(plans.count, 1))
        plansPointer.initialize(from: plans, count: plans.count)

        head = ActionHead(file: file, tables: storage + headOffset)
        columns = storage + columnsOffset
        bufferA = storage + bufferOffset
        bufferB = bufferA + largestActivation
        output = bufferB + largestActivation
    }

    /// Loads, verifies and builds the policy at `path`.
    public convenience init(path: String) throws {
        try self.init(file: PolicyFile.load(path: path))
    }

    deinit {
        storage.deinitialize(count: storageCount)
        storage.deallocate()
        plansPointer.deinitialize(count: plans.count)
        plansPointer.deallocate()
        headSizes.deallocate()
        headOffsets.deallocate()
    }

    /// Deterministic actuator values for one preprocessed image (`inputSize` values). Does not allocate.
    /// A gaussian mean that is NaN becomes the actuator's safe value (clamped to the bounds).
    public func act(observation: UnsafeBufferPointer<Float>, actuators: UnsafeMutableBufferPointer<Float>) {
        precondition(observation.count >= inputSize, "observation has \(observation.count) values, policy reads \(inputSize)")
        precondition(actuators.count >= actuatorCount, "actuator buffer has \(actuators.count) values, policy writes \(actuatorCount)")
        guard let source = observation.baseAddress, let target = actuators.baseAddress else { return }
        forward(source, into: output)
        head.write(output, into: target)
    }

    /// Network outputs (logits or means) for one observation, as a new array (tests and tools; allocates).
    public func outputs(observation: [Float]) -> [Float] {
        precondition(observation.count >= inputSize, "observation has \(observation.count) values, policy reads \(inputSize)")
        observation.withUnsafeBufferPointer { forward($0.baseAddress!, into: output) }
        return Array(UnsafeBufferPointer(start: output, count: outputSize))
    }

    // MARK: - Forward pass

    private func forward(_ observation: UnsafePointer<Float>, into result: UnsafeMutablePointer<Float>) {
        var source = observation
        var useA = true
        for i in 0..<convolutionCount {
            let target = useA ? bufferA : bufferB
            convolve(plansPointer[i], source, into: target)
            source = UnsafePointer(target)
            useA.toggle()
        }
        for layer in 0..<headLayerCount {
            let inCount = headSizes[layer], outCount = headSizes[layer + 1]
            let weight = UnsafePointer(storage + headOffsets[layer])
            let bias = weight + outCount * inCount
            let isLast = layer == headLayerCount - 1
            let target = isLast ? result : (useA ? bufferA : bufferB)
            for o in 0..<outCount {
                let y = unrolledDot(weight + o * inCount, source, inCount) + bias[o]
                target[o] = isLast ? y : activate(y)
            }
            source = UnsafePointer(target)
            useA.toggle()
        }
    }

    @inline(__always)
    private func activate(_ y: Float) -> Float {
        usesTanh ? fastTanh(y) : Swift.max(y, 0)
    }

    /// One convolution and its activation: im2col into `columns` [rows, positions], then per filter
    /// `out[p] = b + Σ_k W[k]·col[k][p]`, four filters at a time so each column row is read once per four.
    private func convolve(_ plan: ConvolutionPlan, _ input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let rows = plan.rows, positions = plan.positions
        let k = plan.kernel, s = plan.stride, h = plan.height, w = plan.width
        let ow = plan.outputWidth, oh = plan.outputHeight
        var row = 0
        for ch in 0..<plan.inputChannels {
            let plane = input + ch * h * w
            for ky in 0..<k {
                for kx in 0..<k {
                    let dst = columns + row * positions
                    for oy in 0..<oh {
                        let src = plane + (oy * s + ky) * w + kx
                        let line = dst + oy * ow
                        for ox in 0..<ow { line[ox] = src[ox * s] }
                    }
                    row += 1
                }
            }
        }
        let weights = UnsafePointer(storage + plan.weightOffset)
        let bias = UnsafePointer(storage + plan.biasOffset)
        var f = 0
        while f < plan.filters {
            let block = Swift.min(4, plan.filters - f)
            if block == 4 {
                let o0 = out + f * positions, o1 = o0 + positions, o2 = o1 + positions, o3 = o2 + positions
                let w0 = weights + f * rows, w1 = w0 + rows, w2 = w1 + rows, w3 = w2 + rows
                let (b0, b1, b2, b3) = (bias[f], bias[f + 1], bias[f + 2], bias[f + 3])
                for p in 0..<positions { o0[p] = b0; o1[p] = b1; o2[p] = b2; o3[p] = b3 }
                for r in 0..<rows {
                    let col = UnsafePointer(columns + r * positions)
                    let (a0, a1, a2, a3) = (w0[r], w1[r], w2[r], w3[r])
                    for p in 0..<positions {
                        let x = col[p]
                        o0[p] += a0 * x
                        o1[p] += a1 * x
                        o2[p] += a2 * x
                        o3[p] += a3 * x
                    }
                }
            } else {
                for g in f..<(f + block) {
                    let o = out + g * positions, wg = weights + g * rows, b = bias[g]
                    for p in 0..<positions { o[p] = b }
                    for r in 0..<rows {
                        let col = UnsafePointer(columns + r * positions)
                        let a = wg[r]
                        for p in 0..<positions { o[p] += a * col[p] }
                    }
                }
            }
            f += block
        }
        let count = plan.filters * positions
        if usesTanh {
            for i in 0..<count { out[i] = fastTanh(out[i]) }
        } else {
            for i in 0..<count { out[i] = Swift.max(out[i], 0) }
        }
    }
}
