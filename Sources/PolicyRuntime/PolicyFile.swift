import NeuralNet
import ReflexCore

/// Everything needed to act, as one immutable value: network weights, observation normalization, channel
/// specs, action space and provenance. Saved as one safetensors file (`PolicyFile+Storage.swift`).
public struct PolicyFile: Equatable, Sendable {
    /// The `format` metadata tag that marks a Reflex policy file.
    public static let formatTag = "reflex-policy"
    /// The newest `format_version` this code reads and the one it writes.
    public static let formatVersion = 1

    public var architecture: PolicyArchitecture
    /// The network's tensors by name: `actor.<i>.weight` `[out, in]` and `actor.<i>.bias` `[out]`.
    public var weights: [String: Tensor]
    /// Applied to raw sensor values before the network; nil when the policy reads them directly.
    public var observationNormalization: ObservationNormalization?
    /// Sensor channels the policy reads, in observation order.
    public var observationChannels: [ChannelSpec]
    /// Actuator channels the policy drives, in action order.
    public var actuatorChannels: [ChannelSpec]
    /// How the network's output becomes actuator values (discrete choices or continuous bounds).
    public var actionSpace: ActionSpace
    public var provenance: Provenance
    /// How camera frames become the observation (crop, resize, grayscale, scaling, frame stack), for a
    /// policy trained from pixels; deployment runs this same pipeline. nil for a policy on plain sensors.
    /// Its `observationChannels` are then exactly the policy's observation channels.
    public var imagePreprocessing: ImagePreprocessing?
    /// Derived values (cos/sin of encoder angles, wrap-aware velocities) computed from each raw reading
    /// before normalization and frame stacking, as training computed them (`FeatureVectorEnvironment`);
    /// nil when the network reads the sensor values as they are. The network then reads
    /// `features.outputCount × frames` values; the observation channels stay the raw sensors.
    public var observationFeatures: [ObservationFeature]?

    public init(
        architecture: PolicyArchitecture, weights: [String: Tensor], observationNormalization: ObservationNormalization?,
        observationChannels: [ChannelSpec], actuatorChannels: [ChannelSpec], actionSpace: ActionSpace, provenance: Provenance,
        imagePreprocessing: ImagePreprocessing? = nil, observationFeatures: [ObservationFeature]? = nil
    ) {
        self.architecture = architecture
        self.weights = weights
        self.observationNormalization = observationNormalization
        self.observationChannels = observationChannels
        self.actuatorChannels = actuatorChannels
        self.actionSpace = actionSpace
        self.provenance = provenance
        self.imagePreprocessing = imagePreprocessing
        self.observationFeatures = observationFeatures
    }

    /// The checked feature map over the observation channels; nil without `observationFeatures`.
    /// Throws `.invalidPolicyFile` naming the entry and the problem.
    public func featureMap() throws -> ObservationFeatureMap? {
        guard let features = observationFeatures else { return nil }
        do {
            return try ObservationFeatureMap(features: features, channels: observationChannels)
        } catch let error as ObservationFeatureError {
            throw ReflexError(.invalidPolicyFile, "policy: \(error.message)")
        }
    }

    /// Values per frame the network reads: the feature count, or the observation channel count.
    func frameWidth() -> Result<Int, ObservationFeatureError> {
        guard let features = observationFeatures else { return .success(observationChannels.count) }
        do {
            return .success(try ObservationFeatureMap(features: features, channels: observationChannels).outputCount)
        } catch let error as ObservationFeatureError {
            return .failure(error)
        } catch {
            return .failure(ObservationFeatureError("observation_features: \(error)"))
        }
    }

    /// Checks that the parts agree with each other; throws `.invalidPolicyFile` naming the first problem.
    public func validate() throws {
        if let problem = firstProblem() {
            throw ReflexError(.invalidPolicyFile, "policy: \(problem)")
        }
    }

    /// Refuses a policy trained for a different robot (`reflex eval` and `reflex run` call this).
    public func verify(robot: String) throws {
        guard provenance.robot == robot else {
            throw ReflexError(.policyMismatch, "policy was trained for '\(provenance.robot)', not '\(robot)'")
        }
    }

    /// Refuses a policy whose channels differ from a device's or robot description's, listing every difference.
    public func verify(sensors: [ChannelSpec], actuators: [ChannelSpec]) throws {
        let lines = ChannelSpec.differences(expected: observationChannels, actual: sensors, kind: "sensors")
            + ChannelSpec.differences(expected: actuatorChannels, actual: actuators, kind: "actuators")
        guard lines.isEmpty else {
            throw ReflexError(.channelMismatch, "policy channels do not match:\n  " + lines.joined(separator: "\n  "))
        }
    }

    /// The first inconsistency between the parts, or nil when the policy can be run.
    func firstProblem() -> String? {
        let arch = architecture
        guard arch.kind == "mlp" || arch.kind == "cnn" else {
            return "unsupported architecture kind '\(arch.kind)' (expected 'mlp' or 'cnn')"
        }
        guard arch.inputSize > 0, arch.outputSize > 0, arch.hiddenSizes.allSatisfy({ $0 > 0 }) else {
            return "architecture has a non-positive layer size: \(arch.layerSizes)"
        }
        if observationFeatures != nil && (arch.isCNN || imagePreprocessing != nil) {
            return "observation_features apply to an mlp policy on sensor channels, not a cnn or camera policy"
        }
        if let problem = imageProblem() { return problem }
        guard arch.frames >= 1 else { return "architecture frames \(arch.frames) must be ≥ 1" }
        if observationFeatures != nil {
            let width: Int
            switch frameWidth() {
            case .success(let w): width = w
            case .failure(let error): return error.message
            }
            guard arch.inputSize == width * arch.frames else {
                return "architecture input size \(arch.inputSize) does not match observation_features' \(width) values per reading × \(arch.frames) frames"
            }
        } else if arch.inputSize != observationChannels.count * arch.frames {
            if arch.frames == 1 {
                return "architecture input size \(arch.inputSize) does not match \(observationChannels.count) observation channels"
            }
            return "architecture input size \(arch.inputSize) does not match \(observationChannels.count) observation channels × \(arch.frames) frames"
        }
        if let problem = actionSpaceProblem() { return problem }

        let expected = arch.expectedTensors
        for (name, shape) in expected {
            guard let tensor = weights[name] else {
                return "missing tensor '\(name)' (expected shape \(shape))"
            }
            guard tensor.shape == shape else {
                return "tensor '\(name)' has shape \(tensor.shape), expected \(shape)"
            }
            if let index = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
                return "tensor '\(name)' holds a non-finite value (\(tensor.scalars[index])) at element \(index)"
            }
        }
        let expectedNames = Set(expected.map(\.name))
        if let extra = weights.keys.sorted().first(where: { !expectedNames.contains($0) }) {
            return "unexpected tensor '\(extra)' for architecture \(arch.layerSizes)"
        }

        if let norm = observationNormalization {
            guard norm.mean.count == arch.inputSize else {
                return "tensor '\(ObservationNormalization.meanName)' has shape [\(norm.mean.count)], expected [\(arch.inputSize)]"
            }
            guard norm.variance.count == arch.inputSize else {
                return "tensor '\(ObservationNormalization.varianceName)' has shape [\(norm.variance.count)], expected [\(arch.inputSize)]"
            }
            if let index = norm.mean.firstIndex(where: { !$0.isFinite }) {
                return "tensor '\(ObservationNormalization.meanName)' holds a non-finite value at element \(index)"
            }
            if let index = norm.variance.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                return "tensor '\(ObservationNormalization.varianceName)' holds \(norm.variance[index]) at element \(index) (must be finite and ≥ 0)"
            }
            guard norm.epsilon.isFinite, norm.epsilon >= 0 else { return "obs_norm epsilon \(norm.epsilon) must be finite and ≥ 0" }
            guard norm.clip > 0 else { return "obs_norm clip \(norm.clip) must be positive" }
            if let index = norm.variance.firstIndex(where: { !(($0 + norm.epsilon).squareRoot() > 0) }) {
                return "obs_norm variance + epsilon is zero at element \(index); normalization would divide by zero"
            }
        }
        return nil
    }

    /// A CNN's convolutions must fit its image, and a pixel policy's preprocessing must describe exactly
    /// its observation.
    private func imageProblem() -> String? {
        let arch = architecture
        if arch.isCNN {
            guard let image = arch.imageShape, image.count == 3, image.allSatisfy({ $0 > 0 }) else {
                return "a cnn architecture needs image_shape [channels, height, width] of positive sizes, got \(arch.imageShape.map { "\($0)" } ?? "none")"
            }
            guard arch.inputSize == image.reduce(1, *) else {
                return "architecture input size \(arch.inputSize) does not match image_shape \(image) (\(image.reduce(1, *)) values)"
            }
            guard !arch.convolutions.isEmpty else { return "a cnn architecture needs at least one convolution" }
            for (i, conv) in arch.convolutions.enumerated() where conv.filters <= 0 || conv.kernel <= 0 || conv.stride <= 0 {
                return "convolution \(i) has filters \(conv.filters), kernel \(conv.kernel), stride \(conv.stride); each must be positive"
            }
            guard arch.convolutionOutputShapes != nil else {
                return "the convolutions \(arch.convolutions.map { "\($0.kernel)×\($0.kernel)/\($0.stride)" }) do not fit a \(image[1])×\(image[2]) image"
            }
            guard arch.frames == 1 else { return "a cnn architecture stacks frames in its image preprocessing, so frames must be 1, not \(arch.frames)" }
            guard observationNormalization == nil else {
                return "a cnn policy reads preprocessed pixels; obs_norm must be null (scale pixels in image_preprocessing instead)"
            }
            guard imagePreprocessing != nil else { return "a cnn policy needs its image_preprocessing (the camera pipeline it was trained with)" }
        } else {
            guard arch.convolutions.isEmpty, arch.imageShape == nil else {
                return "an mlp architecture has no convolutions or image_shape"
            }
        }
        guard let pre = imagePreprocessing else { return nil }
        guard pre.width > 0, pre.height > 0, pre.frames > 0 else {
            return "image_preprocessing size \(pre.width)×\(pre.height) × \(pre.frames) frames must be positive"
        }
        guard pre.scale.isFinite, pre.scale != 0, pre.offset.isFinite else {
            return "image_preprocessing scale \(pre.scale) and offset \(pre.offset) must be finite, scale non-zero"
        }
        if let crop = pre.crop, crop.x < 0 || crop.y < 0 || crop.width <= 0 || crop.height <= 0 {
            return "image_preprocessing crop \(crop.x),\(crop.y) \(crop.width)×\(crop.height) must lie at non-negative coordinates with a positive size"
        }
        if arch.isCNN, let image = arch.imageShape, image != [pre.frames * pre.channelsPerFrame, pre.height, pre.width] {
            return "architecture image_shape \(image) does not match image_preprocessing (\(pre.frames) frames × \(pre.channelsPerFrame) channels × \(pre.height) × \(pre.width))"
        }
        guard observationChannels.count == pre.observationCount else {
            return "\(observationChannels.count) observation channels do not match image_preprocessing's \(pre.observationCount) values"
        }
        if observationChannels != pre.observationChannels {
            return "observation channels are not the camera[f,c,y,x] channels image_preprocessing describes"
        }
        return nil
    }

    private func actionSpaceProblem() -> String? {
        let arch = architecture
        switch actionSpace {
        case .discrete(let choices):
            guard arch.head == .categorical else { return "a discrete action space needs a categorical head, not \(arch.head.rawValue)" }
            guard choices.count == arch.outputSize else {
                return "architecture output size \(arch.outputSize) does not match \(choices.count) discrete choices"
            }
            for (index, choice) in choices.enumerated() {
                guard choice.count == actuatorChannels.count else {
                    return "discrete choice \(index) has \(choice.count) values for \(actuatorChannels.count) actuator channels"
                }
                guard choice.allSatisfy(\.isFinite) else { return "discrete choice \(index) holds a non-finite value" }
            }
        case .continuous(let low, let high):
            guard arch.head == .gaussian || arch.head == .squashedGaussian else {
                return "a continuous action space needs a gaussian or squashed_gaussian head, not \(arch.head.rawValue)"
            }
            guard low.count == actuatorChannels.count, high.count == actuatorChannels.count else {
                return "continuous bounds have \(low.count)/\(high.count) values for \(actuatorChannels.count) actuator channels"
            }
            guard arch.outputSize == actuatorChannels.count else {
                return "architecture output size \(arch.outputSize) does not match \(actuatorChannels.count) actuator channels"
            }
            for index in low.indices where !(low[index] <= high[index]) {
                return "continuous bounds of actuator \(index) are not ordered: \(low[index]) … \(high[index])"
            }
        }
        return nil
    }
}
