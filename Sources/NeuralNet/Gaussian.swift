#if canImport(Glibc)
import Glibc
#endif

/// A diagonal Gaussian per row of a mean matrix [batch, dims] with one state-independent log standard
/// deviation per dimension (CleanRL's `ppo_continuous_action.py`, SB3's `DiagGaussianDistribution`).
///
/// Computes log-probabilities, entropy and sampling, and the gradients of a loss written in terms of
/// per-row log-probabilities and the entropy back onto the means and the log standard deviations.
public struct Gaussian {
    public let batch: Int
    public let dims: Int
    /// [batch, dims]
    public let means: [Float]
    /// [dims], natural log of σ.
    public let logStd: [Float]

    /// ½ log(2π)
    public static let halfLogTwoPi: Float = 0.918_938_533_204_672_7

    public init(means: Tensor, logStd: [Float]) {
        precondition(means.rank == 2 && means.shape[1] == logStd.count, "means must be [batch, \(logStd.count)]")
        batch = means.shape[0]
        dims = means.shape[1]
        self.means = means.scalars
        self.logStd = logStd
    }

    /// log p(actions[row]) where `actions` is laid out [batch, dims].
    public func logProbability(row: Int, actions: UnsafePointer<Float>) -> Float {
        var sum: Float = 0
        for j in 0..<dims {
            let z = (actions[j] - means[row * dims + j]) * expf(-logStd[j])
            sum -= 0.5 * z * z + logStd[j] + Self.halfLogTwoPi
        }
        return sum
    }

    /// Entropy of every row (it does not depend on the mean), in nats: Σ_j (½ + ½ log 2π + log σ_j).
    public var entropy: Float {
        var h: Float = 0
        for j in 0..<dims { h += 0.5 + Self.halfLogTwoPi + logStd[j] }
        return h
    }

    /// Draws an action for `row` into `out[0..<dims]`.
    public func sample<G: RandomNumberGenerator>(row: Int, using rng: inout G, into out: UnsafeMutablePointer<Float>) {
        for j in 0..<dims {
            out[j] = means[row * dims + j] + expf(logStd[j]) * standardNormal(using: &rng)
        }
    }

    /// dLoss/dMeans [batch, dims] and dLoss/dLogStd [dims] for a loss whose partial derivatives are
    /// `dLogProb[row]` with respect to log p(actions[row]) and `dEntropy` with respect to the entropy
    /// summed over rows (i.e. each row's entropy carries weight `dEntropy`).
    ///
    /// ∂ log p / ∂μ_j = (a_j − μ_j) / σ_j²;  ∂ log p / ∂ log σ_j = (a_j − μ_j)² / σ_j² − 1;  ∂H / ∂ log σ_j = 1.
    public func gradient(actions: [Float], dLogProb: [Float], dEntropy: Float) -> (means: Tensor, logStd: [Float]) {
        var dMeans = Tensor(zeros: [batch, dims])
        var dLogStd = [Float](repeating: 0, count: dims)
        gradient(actions: actions, dLogProb: dLogProb, dEntropy: dEntropy, means: &dMeans, logStd: &dLogStd)
        return (dMeans, dLogStd)
    }

    /// The same into caller-owned buffers: `dMeans` is reshaped to [batch, dims] reusing its storage and
    /// `dLogStd` (at least `dims` long) is overwritten.
    public func gradient(actions: [Float], dLogProb: [Float], dEntropy: Float, means dMeans: inout Tensor, logStd dLogStd: inout [Float]) {
        precondition(actions.count == batch * dims && dLogProb.count >= batch && dLogStd.count >= dims)
        dMeans.reshape(rows: batch, columns: dims)
        for j in 0..<dims {
            let inverseVariance = expf(-2 * logStd[j])
            var sumLogStd: Float = 0
            for row in 0..<batch {
                let i = row * dims + j
                let diff = actions[i] - means[i]
                dMeans.scalars[i] = dLogProb[row] * diff * inverseVariance
                sumLogStd += dLogProb[row] * (diff * diff * inverseVariance - 1)
            }
            dLogStd[j] = sumLogStd + dEntropy * Float(batch)
        }
    }
}

/// One standard normal sample (Box–Muller, one of the pair).
@inline(__always)
public func standardNormal<G: RandomNumberGenerator>(using rng: inout G) -> Float {
    var u1 = Float.random(in: 0..<1, using: &rng)
    while u1 <= .leastNormalMagnitude { u1 = Float.random(in: 0..<1, using: &rng) }
    let u2 = Float.random(in: 0..<1, using: &rng)
    return (-2 * logf(u1)).squareRoot() * cosf(2 * .pi * u2)
}
