#if canImport(Glibc)
import Glibc
#endif

/// Layer normalization over the features of each row of `[batch, features]` (Ba et al. 2016):
/// `y = (x − mean) / sqrt(var + ε) · γ + β`, with learned `γ` (init 1) and `β` (init 0).
public final class LayerNorm: Layer {
    public let features: Int
    public let epsilon: Float
    public let gamma: Parameter
    public let beta: Parameter
    /// x̂ of the last forward, [batch, features], and 1/σ per row: reused between calls.
    private var normalized = Tensor(zeros: [0, 0])
    private var inverseStd: [Float] = []
    /// The layer's own output and input-gradient buffers, reused between calls (see `Linear.forward`).
    private var output = Tensor(zeros: [0, 0])
    private var gradInput = Tensor(zeros: [0, 0])

    public init(features: Int, epsilon: Float = 1e-5, name: String = "layer_norm") {
        self.features = features
        self.epsilon = epsilon
        gamma = Parameter(name: "\(name).weight", value: Tensor(repeating: 1, shape: [features]))
        beta = Parameter(name: "\(name).bias", value: Tensor(zeros: [features]))
    }

    public var parameters: [Parameter] { [gamma, beta] }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == features, "LayerNorm expects [batch, \(features)], got \(input.shape)")
        let batch = input.shape[0], d = features
        normalized.reshape(rows: batch, columns: d)
        if inverseStd.count > batch {
            inverseStd.removeLast(inverseStd.count - batch)
        } else if inverseStd.count < batch {
            inverseStd.append(contentsOf: repeatElement(0, count: batch - inverseStd.count))
        }
        output.reshape(rows: batch, columns: d)
        for r in 0..<batch {
            var mean: Float = 0
            for j in 0..<d { mean += input.scalars[r * d + j] }
            mean /= Float(d)
            var variance: Float = 0
            for j in 0..<d {
                let c = input.scalars[r * d + j] - mean
                variance += c * c
            }
            variance /= Float(d)
            let inv = 1 / (variance + epsilon).squareRoot()
            inverseStd[r] = inv
            for j in 0..<d {
                let xhat = (input.scalars[r * d + j] - mean) * inv
                normalized.scalars[r * d + j] = xhat
                output.scalars[r * d + j] = xhat * gamma.value.scalars[j] + beta.value.scalars[j]
            }
        }
        return output
    }

    /// dx = (1/σ) (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), dx̂ = dy · γ.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        let batch = normalized.shape[0], d = features
        gradInput.reshape(rows: batch, columns: d)
        for r in 0..<batch {
            var meanD: Float = 0, meanDX: Float = 0
            for j in 0..<d {
                let dy = gradOutput.scalars[r * d + j]
                let xhat = normalized.scalars[r * d + j]
                gamma.grad.scalars[j] += dy * xhat
                beta.grad.scalars[j] += dy
                let dxhat = dy * gamma.value.scalars[j]
                meanD += dxhat
                meanDX += dxhat * xhat
            }
            meanD /= Float(d)
            meanDX /= Float(d)
            for j in 0..<d {
                let dxhat = gradOutput.scalars[r * d + j] * gamma.value.scalars[j]
                gradInput.scalars[r * d + j] = inverseStd[r] * (dxhat - meanD - normalized.scalars[r * d + j] * meanDX)
            }
        }
        return gradInput
    }
}
