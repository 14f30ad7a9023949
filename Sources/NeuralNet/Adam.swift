/// Adam (Kingma & Ba 2015) with bias correction, over a fixed list of parameters.
public final class Adam {
    public let parameters: [Parameter]
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    /// PPO implementations use 1e-5 rather than the paper's 1e-8.
    public var epsilon: Float
    public private(set) var step = 0
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]

    public init(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        secondMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    }

    /// Applies one update from the parameters' current gradients.
    public func update() {
        step += 1
        let correction1 = 1 - powf(beta1, Float(step))
        let correction2 = 1 - powf(beta2, Float(step))
        let stepSize = learningRate / correction1
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        for (k, p) in parameters.enumerated() {
            p.value.scalars.withUnsafeMutableBufferPointer { w in
                p.grad.scalars.withUnsafeBufferPointer { g in
                    firstMoments[k].withUnsafeMutableBufferPointer { m in
                        secondMoments[k].withUnsafeMutableBufferPointer { v in
                            for i in w.indices {
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                let vHat = v[i] / correction2
                                w[i] -= stepSize * m[i] / (vHat.squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The optimizer's state (step count and both moment estimates, one array per parameter), for checkpoints.
    public var state: (step: Int, firstMoments: [[Float]], secondMoments: [[Float]]) {
        (step, firstMoments, secondMoments)
    }

    /// Restores a state taken from an optimizer over parameters of the same shapes.
    public func restore(step: Int, firstMoments m: [[Float]], secondMoments v: [[Float]]) throws {
        guard m.count == parameters.count, v.count == parameters.count,
              zip(parameters, zip(m, v)).allSatisfy({ $0.value.count == $1.0.count && $0.value.count == $1.1.count })
        else {
            throw AdamStateError(message: "optimizer state does not fit \(parameters.count) parameters of sizes \(parameters.map(\.value.count))")
        }
        self.step = step
        firstMoments = m
        secondMoments = v
    }

    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }
}

/// Scales all gradients together so their global L2 norm is at most `maxNorm`; returns the norm before.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var sum: Float = 0
    for p in parameters {
        p.grad.scalars.withUnsafeBufferPointer { g in
            for x in g { sum += x * x }
        }
    }
    let norm = sum.squareRoot()
    if norm > maxNorm {
        let scale = maxNorm / (norm + 1e-6)
        for p in parameters {
            p.grad.scalars.withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] *= scale }
            }
        }
    }
    return norm
}

#if canImport(Glibc)
import Glibc
#endif

/// An optimizer state that does not fit the optimizer's parameters.
public struct AdamStateError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
