/// Fixed observation normalization recorded at the end of training:
/// `normalized = clamp((x − mean) / sqrt(var + epsilon), −clip, clip)`.
///
/// `mean` and `variance` are the tensors `obs_norm.mean` and `obs_norm.var`; `epsilon` and `clip` live in the
/// `obs_norm` metadata entry.
public struct ObservationNormalization: Equatable, Hashable, Sendable {
    /// Per observation channel, in channel units.
    public var mean: [Float]
    /// Per observation channel, in channel units squared; non-negative.
    public var variance: [Float]
    public var epsilon: Float
    public var clip: Float

    public init(mean: [Float], variance: [Float], epsilon: Float = 1e-8, clip: Float = 10) {
        self.mean = mean
        self.variance = variance
        self.epsilon = epsilon
        self.clip = clip
    }

    /// Tensor names in the policy file.
    public static let meanName = "obs_norm.mean"
    public static let varianceName = "obs_norm.var"

    /// The scalar part stored in metadata.
    struct Parameters: Codable, Equatable {
        var epsilon: Float
        var clip: Float
    }
}
