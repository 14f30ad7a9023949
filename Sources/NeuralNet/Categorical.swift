#if canImport(Glibc)
import Glibc
#endif

/// A categorical distribution per row of a logits matrix [batch, classes].
///
/// Computes log-probabilities, entropy and sampling, and the gradients of a loss written in terms
/// of per-row log-probabilities and entropies back onto the logits.
public struct Categorical {
    public private(set) var batch: Int
    public private(set) var classes: Int
    /// log softmax of the logits, [batch, classes].
    public private(set) var logProbabilities: [Float]

    public init(logits: Tensor) {
        batch = 0
        classes = 0
        logProbabilities = []
        recompute(logits: logits)
    }

    /// Recomputes the distribution for new logits in place, reusing this value's storage: a trainer that
    /// keeps one `Categorical` as a workspace does not allocate per minibatch once sizes repeat.
    public mutating func recompute(logits: Tensor) {
        precondition(logits.rank == 2, "logits must be [batch, classes]")
        batch = logits.shape[0]
        classes = logits.shape[1]
        let c = classes, n = batch * classes
        if logProbabilities.count > n {
            logProbabilities.removeLast(logProbabilities.count - n)
        } else if logProbabilities.count < n {
            logProbabilities.append(contentsOf: repeatElement(0, count: n - logProbabilities.count))
        }
        let rows = batch
        logProbabilities.withUnsafeMutableBufferPointer { lp in
            logits.scalars.withUnsafeBufferPointer { z in
                for row in 0..<rows {
                    let base = row * c
                    var maxLogit = -Float.infinity
                    for j in 0..<c { maxLogit = max(maxLogit, z[base + j]) }
                    var sum: Float = 0
                    for j in 0..<c { sum += expf(z[base + j] - maxLogit) }
                    let logZ = maxLogit + logf(sum)
                    for j in 0..<c { lp[base + j] = z[base + j] - logZ }
                }
            }
        }
    }

    /// log p(action) for row `row`.
    public func logProbability(row: Int, action: Int) -> Float {
        logProbabilities[row * classes + action]
    }

    /// Entropy of row `row`, in nats.
    public func entropy(row: Int) -> Float {
        var h: Float = 0
        for j in 0..<classes {
            let lp = logProbabilities[row * classes + j]
            h -= expf(lp) * lp
        }
        return h
    }

    /// The most probable class of row `row` (the deterministic action).
    public func mode(row: Int) -> Int {
        var best = 0
        for j in 1..<classes where logProbabilities[row * classes + j] > logProbabilities[row * classes + best] {
            best = j
        }
        return best
    }

    /// Draws a class for row `row` by inverse transform sampling.
    public func sample<G: RandomNumberGenerator>(row: Int, using rng: inout G) -> Int {
        let u = Float.random(in: 0..<1, using: &rng)
        var cumulative: Float = 0
        for j in 0..<classes {
            cumulative += expf(logProbabilities[row * classes + j])
            if u < cumulative { return j }
        }
        return classes - 1
    }

    /// dLoss/dLogits for a loss whose partial derivatives are `dLogProb[row]` with respect to
    /// log p(actions[row]) and `dEntropy[row]` with respect to the row's entropy.
    public func gradient(actions: [Int32], dLogProb: [Float], dEntropy: [Float]) -> Tensor {
        var grad = Tensor(zeros: [batch, classes])
        gradient(actions: actions, dLogProb: dLogProb, dEntropy: dEntropy, into: &grad)
        return grad
    }

    /// The same into a caller-owned buffer, reshaped to [batch, classes] reusing its storage.
    public func gradient(actions: [Int32], dLogProb: [Float], dEntropy: [Float], into grad: inout Tensor) {
        grad.reshape(rows: batch, columns: classes)
        let c = classes, rows = batch
        grad.scalars.withUnsafeMutableBufferPointer { g in
            logProbabilities.withUnsafeBufferPointer { lp in
                for row in 0..<rows {
                    let base = row * c
                    var h: Float = 0
                    for j in 0..<c { h -= expf(lp[base + j]) * lp[base + j] }
                    let a = Int(actions[row])
                    for j in 0..<c {
                        let p = expf(lp[base + j])
                        // d log p_a / d z_j = [j == a] − p_j ;  d H / d z_j = −p_j (log p_j + H)
                        let dLog = (j == a ? 1 : 0) - p
                        let dH = -p * (lp[base + j] + h)
                        g[base + j] = dLogProb[row] * dLog + dEntropy[row] * dH
                    }
                }
            }
        }
    }
}
