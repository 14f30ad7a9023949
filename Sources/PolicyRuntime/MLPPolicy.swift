import NeuralNet
import ReflexCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The deployed, deterministic form of an MLP policy file.
///
/// Categorical head: the argmax of the logits selects `choices[argmax]`. Gaussian head: the mean, clamped to
/// the action space's `low…high`; squashed Gaussian head: tanh of the mean, scaled onto `low…high`. All weights and workspaces are laid out once at init in one block of memory,
/// so `act` does not allocate and can run every control tick. An instance keeps scratch state: use one per
/// thread.
public final class MLPPolicy: Policy {
    /// The policy file this was built from.
    public let file: PolicyFile
    public let observationChannels: [ChannelSpec]
    public let actuatorChannels: [ChannelSpec]
    public var architecture: PolicyArchitecture { file.architecture }
    /// Observation values per call (`architecture.inputSize`).
    public let inputSize: Int
    /// Logits or means per call (`architecture.outputSize`).
    public let outputSize: Int
    /// Actuator values per call.
    public let actuatorCount: Int
    public var isCategorical: Bool { head.isCategorical }
    /// Squashed Gaussian head (SAC): the mean passes through tanh and is scaled onto the bounds.
    public var isSquashed: Bool { head.isSquashed }
    /// Observations the network reads per step (`architecture.frames`); values per frame are
    /// `inputSize / frames`.
    public let frames: Int
    /// Sensor values per reading (the observation channels).
    public let sensorCount: Int
    /// The file's observation features (cos/sin of angles, velocities), computed from each reading before
    /// stacking and normalization; nil when the network reads the sensor values as they are.
    public let observationFeatures: ObservationFeatureMap?
    /// Values per stacked frame: the feature count, or `sensorCount`.
    private let frameWidth: Int

    private let layerCount: Int
    private let usesTanh: Bool
    /// Layer widths, `layerCount + 1` entries.
    private let sizes: UnsafeMutablePointer<Int>
    /// Start of each layer's weight block `[out, in]` in `storage`; its bias `[out]` follows directly.
    private let layerOffsets: UnsafeMutablePointer<Int>
    /// Weights, normalizer, action tables and workspaces, all Float32.
    private let storage: UnsafeMutablePointer<Float>
    private let storageCount: Int
    private let hasNormalization: Bool
    private let clip: Float
    /// Per observation channel: mean and sqrt(var + epsilon).
    private let normMean: UnsafeMutablePointer<Float>
    private let normStd: UnsafeMutablePointer<Float>
    /// Outputs to actuator values (tables in `storage`).
    private let head: ActionHead
    /// Ping-pong hidden activations, each `maxWidth` long, and the network output.
    private let scratchA: UnsafeMutablePointer<Float>
    private let scratchB: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<Float>
    /// Frame-stacked policies fed one frame at a time: the last `frames` observations, newest first.
    private let stack: UnsafeMutablePointer<Float>
    private var stackFilled = false
    /// Features of the current reading (`frameWidth`) and the previous reading (`sensorCount`), for
    /// velocities; `featuresStarted` is false until the first reading after init or `reset()`.
    private let featureValues: UnsafeMutablePointer<Float>
    private let previousReading: UnsafeMutablePointer<Float>
    private var featuresStarted = false

    /// Builds the runtime form of `file`; throws `.invalidPolicyFile` if its parts disagree.
    public init(file: PolicyFile) throws {
        try file.validate()
        guard !file.architecture.isCNN else {
            throw ReflexError(.invalidPolicyFile, "policy: a cnn policy runs as CNNPolicy, not MLPPolicy (PolicyFile.makePolicy() picks the right one)")
        }
        self.file = file
        let arch = file.architecture
        observationChannels = file.observationChannels
        actuatorChannels = file.actuatorChannels
        inputSize = arch.inputSize
        outputSize = arch.outputSize
        actuatorCount = file.actuatorChannels.count
        usesTanh = arch.activation == .tanh
        layerCount = arch.layerCount
        frames = arch.frames
        sensorCount = file.observationChannels.count
        observationFeatures = try file.featureMap()
        frameWidth = arch.inputSize / max(arch.frames, 1)
        stack = .allocate(capacity: max(arch.inputSize, 1))
        stack.initialize(repeating: 0, count: max(arch.inputSize, 1))
        featureValues = .allocate(capacity: max(frameWidth, 1))
        featureValues.initialize(repeating: 0, count: max(frameWidth, 1))
        previousReading = .allocate(capacity: max(sensorCount, 1))
        previousReading.initialize(repeating: 0, count: max(sensorCount, 1))

        let widths = arch.layerSizes
        let maxWidth = widths.max() ?? 1
        sizes = .allocate(capacity: widths.count)
        layerOffsets = .allocate(capacity: layerCount)
        var count = 0
        for (index, width) in widths.enumerated() { sizes[index] = width }
        for layer in 0..<layerCount {
            layerOffsets[layer] = count
            count += widths[layer + 1] * widths[layer] + widths[layer + 1]
        }
        let normOffset = count
        count += 2 * inputSize
        let headOffset = count
        count += ActionHead.tableCount(outputSize: outputSize, actuatorCount: actuatorCount)
        let scratchOffset = count
        count += 2 * maxWidth + outputSize
        storageCount = count
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0, count: count)

        for layer in 0..<layerCount {
            let base = storage + layerOffsets[layer]
            let weight = file.weights[PolicyArchitecture.weightName(layer)]?.scalars ?? []
            let bias = file.weights[PolicyArchitecture.biasName(layer)]?.scalars ?? []
            for (i, value) in weight.enumerated() { base[i] = value }
            for (i, value) in bias.enumerated() { base[weight.count + i] = value }
        }

        normMean = storage + normOffset
        normStd = storage + normOffset + inputSize
        if let norm = file.observationNormalization {
            hasNormalization = true
            clip = norm.clip
            for i in 0..<inputSize {
                normMean[i] = norm.mean[i]
                normStd[i] = (norm.variance[i] + norm.epsilon).squareRoot()
            }
        } else {
            hasNormalization = false
            clip = .infinity
        }

        head = ActionHead(file: file, tables: storage + headOffset)

        scratchA = storage + scratchOffset
        scratchB = scratchA + maxWidth
        output = scratchB + maxWidth
    }

    /// Loads, verifies and builds the policy at `path`.
    public convenience init(path: String) throws {
        try self.init(file: PolicyFile.load(path: path))
    }

    deinit {
        storage.deinitialize(count: storageCount)
        storage.deallocate()
        stack.deallocate()
        featureValues.deallocate()
        previousReading.deallocate()
        sizes.deallocate()
        layerOffsets.deallocate()
    }

    /// Deterministic actuator values for one observation. Does not allocate.
    ///
    /// A gaussian mean that is NaN becomes the actuator's safe value (clamped to the bounds).
    ///
    /// A frame-stacked policy (`frames` > 1) takes either the whole stack (`inputSize` values, as the
    /// training environment laid it out) or one frame of sensor values (`sensorCount`, as a device
    /// reports them); then it keeps the stack itself: the first frame after init or `reset()` fills
    /// every slot, as `FrameStack` does at an episode's start.
    ///
    /// A policy with `observationFeatures` always takes one reading (`sensorCount` values) per call, as a
    /// device reports it: it computes the features (velocities against the previous call's reading; 0 at
    /// the first call after init or `reset()`, as `FeatureVectorEnvironment` does at an episode's start),
    /// stacks them when `frames` > 1, then normalizes.
    public func act(observation: UnsafeBufferPointer<Float>, actuators: UnsafeMutableBufferPointer<Float>) {
        let featured = observationFeatures != nil
        let stacking = frames > 1 && (featured || observation.count < inputSize)
        let reads = featured || stacking ? sensorCount : inputSize
        precondition(observation.count >= reads, "observation has \(observation.count) values, policy reads \(reads)")
        precondition(actuators.count >= actuatorCount, "actuator buffer has \(actuators.count) values, policy writes \(actuatorCount)")
        guard var source = observation.baseAddress, let target = actuators.baseAddress else { return }
        if let map = observationFeatures {
            map.apply(source, previous: previousReading, first: !featuresStarted, into: featureValues)
            featuresStarted = true
            source = UnsafePointer(featureValues)
        }
        if stacking {
            let width = frameWidth
            if stackFilled {
                (stack + width).update(from: stack, count: inputSize - width)
                stack.update(from: source, count: width)
            } else {
                for k in 0..<frames { (stack + k * width).update(from: source, count: width) }
                stackFilled = true
            }
            source = UnsafePointer(stack)
        }
        forward(source, into: output)
        head.write(output, into: target)
    }

    /// Forgets the kept frames and the previous reading (a new episode): the next single frame fills the
    /// whole stack, and its velocities are 0.
    public func reset() {
        stackFilled = false
        featuresStarted = false
    }

    /// The index of the discrete choice the policy takes (argmax of the logits; the first on ties) for one
    /// network input (`inputSize` values, as `logits` reads them).
    public func actionIndex(observation: UnsafeBufferPointer<Float>) -> Int {
        precondition(isCategorical, "actionIndex needs a categorical policy")
        precondition(observation.count >= inputSize, "observation has \(observation.count) values, policy reads \(inputSize)")
        guard let source = observation.baseAddress else { return 0 }
        forward(source, into: output)
        return ActionHead.argmax(output, count: outputSize)
    }

    /// `actionIndex` for an array observation.
    public func actionIndex(observation: [Float]) -> Int {
        observation.withUnsafeBufferPointer { actionIndex(observation: $0) }
    }

    /// Network outputs (logits or means) for `count` network inputs laid out row-major `[count, inputSize]`
    /// (already featured and stacked: observation features are not applied here),
    /// written to `into` as `[count, outputSize]`. Does not allocate.
    public func logits(observations: UnsafeBufferPointer<Float>, count: Int, into outputs: UnsafeMutableBufferPointer<Float>) {
        precondition(count >= 0 && observations.count >= count * inputSize, "observations hold fewer than \(count) rows of \(inputSize)")
        precondition(outputs.count >= count * outputSize, "output buffer holds fewer than \(count) rows of \(outputSize)")
        guard count > 0, let source = observations.baseAddress, let target = outputs.baseAddress else { return }
        for row in 0..<count {
            forward(source + row * inputSize, into: target + row * outputSize)
        }
    }

    /// Network outputs for one observation, as a new array (convenience for tests and tools; allocates).
    public func outputs(observation: [Float]) -> [Float] {
        var result = [Float](repeating: 0, count: outputSize)
        observation.withUnsafeBufferPointer { obs in
            result.withUnsafeMutableBufferPointer { out in logits(observations: obs, count: 1, into: out) }
        }
        return result
    }

    // MARK: - Forward pass

    /// Normalizes `observation` and runs every layer; the last layer has no activation.
    @inline(__always)
    private func forward(_ observation: UnsafePointer<Float>, into result: UnsafeMutablePointer<Float>) {
        if hasNormalization {
            let upper = clip, lower = -clip
            for i in 0..<inputSize {
                let z = (observation[i] - normMean[i]) / normStd[i]
                scratchA[i] = Swift.min(Swift.max(z, lower), upper)
            }
        } else {
            scratchA.update(from: observation, count: inputSize)
        }
        var source = UnsafePointer(scratchA)
        for layer in 0..<layerCount {
            let inCount = sizes[layer], outCount = sizes[layer + 1]
            let weight = UnsafePointer(storage + layerOffsets[layer])
            let bias = weight + outCount * inCount
            let isLast = layer == layerCount - 1
            let target = isLast ? result : (layer % 2 == 0 ? scratchB : scratchA)
            for o in 0..<outCount {
                let y = unrolledDot(weight + o * inCount, source, inCount) + bias[o]
                if isLast {
                    target[o] = y
                } else if usesTanh {
                    target[o] = fastTanh(y)
                } else {
                    target[o] = y > 0 ? y : 0
                }
            }
            source = UnsafePointer(target)
        }
    }
}
