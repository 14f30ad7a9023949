#if canImport(Glibc)
import Glibc
#endif

/// Elementwise hyperbolic tangent.
public final class Tanh: Layer {
    private var lastOutput = Tensor(zeros: [0])
    public init() {}
    public var parameters: [Parameter] { [] }

    // Both passes write a fresh buffer rather than mutating a copy of the argument (which copies it first).
    public func forward(_ input: Tensor) -> Tensor {
        let n = input.count
        let scalars = input.scalars.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: n) { y, initialized in
                if let xp = x.baseAddress, let yp = y.baseAddress {
                    for i in 0..<n { yp[i] = fastTanh(xp[i]) }
                }
                initialized = n
            }
        }
        let y = Tensor(shape: input.shape, scalars: scalars)
        lastOutput = y
        return y
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let n = gradOutput.count
        precondition(n == lastOutput.count, "Tanh gradient has \(n) values for an output of \(lastOutput.count)")
        let scalars = gradOutput.scalars.withUnsafeBufferPointer { g in
            lastOutput.scalars.withUnsafeBufferPointer { y in
                [Float](unsafeUninitializedCapacity: n) { d, initialized in
                    if let gp = g.baseAddress, let yp = y.baseAddress, let dp = d.baseAddress {
                        for i in 0..<n { dp[i] = gp[i] * (1 - yp[i] * yp[i]) }
                    }
                    initialized = n
                }
            }
        }
        return Tensor(shape: gradOutput.shape, scalars: scalars)
    }
}

/// Elementwise max(0, x).
public final class ReLU: Layer {
    private var lastInput = Tensor(zeros: [0])
    public init() {}
    public var parameters: [Parameter] { [] }

    // Branch-free loops that write a fresh buffer: a `where` filter compiles to a data-dependent branch per
    // element that mispredicts on half the inputs and does not vectorize (ReLU took ~35 % of SAC's time
    // that way), and mutating a copy of the argument first copies it.
    public func forward(_ input: Tensor) -> Tensor {
        lastInput = input
        let n = input.count
        let scalars = input.scalars.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: n) { y, initialized in
                if let xp = x.baseAddress, let yp = y.baseAddress {
                    for i in 0..<n { yp[i] = Swift.max(xp[i], 0) }
                }
                initialized = n
            }
        }
        return Tensor(shape: input.shape, scalars: scalars)
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let n = gradOutput.count
        precondition(n == lastInput.count, "ReLU gradient has \(n) values for an input of \(lastInput.count)")
        let scalars = gradOutput.scalars.withUnsafeBufferPointer { g in
            lastInput.scalars.withUnsafeBufferPointer { x in
                [Float](unsafeUninitializedCapacity: n) { d, initialized in
                    if let gp = g.baseAddress, let xp = x.baseAddress, let dp = d.baseAddress {
                        for i in 0..<n { dp[i] = xp[i] > 0 ? gp[i] : 0 }
                    }
                    initialized = n
                }
            }
        }
        return Tensor(shape: gradOutput.shape, scalars: scalars)
    }
}
