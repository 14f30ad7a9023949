#if canImport(Glibc)
import Glibc
#endif

/// Elementwise hyperbolic tangent.
///
/// Output and input gradient are the layer's own buffers, reused between calls (see `Linear.forward`);
/// backward needs only the output, which the layer already owns.
public final class Tanh: Layer {
    private var output = Tensor(zeros: [0])
    private var gradInput = Tensor(zeros: [0])
    public init() {}
    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor) -> Tensor {
        let n = input.count
        output.reshape(like: input)
        output.scalars.withUnsafeMutableBufferPointer { y in
            input.scalars.withUnsafeBufferPointer { x in
                if let xp = x.baseAddress, let yp = y.baseAddress {
                    for i in 0..<n { yp[i] = fastTanh(xp[i]) }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let n = gradOutput.count
        precondition(n == output.count, "Tanh gradient has \(n) values for an output of \(output.count)")
        gradInput.reshape(like: gradOutput)
        gradInput.scalars.withUnsafeMutableBufferPointer { d in
            gradOutput.scalars.withUnsafeBufferPointer { g in
                output.scalars.withUnsafeBufferPointer { y in
                    if let gp = g.baseAddress, let yp = y.baseAddress, let dp = d.baseAddress {
                        for i in 0..<n { dp[i] = gp[i] * (1 - yp[i] * yp[i]) }
                    }
                }
            }
        }
        return gradInput
    }
}

/// Elementwise max(0, x).
public final class ReLU: Layer {
    private var output = Tensor(zeros: [0])
    private var gradInput = Tensor(zeros: [0])
    public init() {}
    public var parameters: [Parameter] { [] }

    // Branch-free loops: a `where` filter compiles to a data-dependent branch per element that mispredicts
    // on half the inputs and does not vectorize (ReLU took ~35 % of SAC's time that way). Backward reads
    // the layer's own output (y > 0 exactly when x > 0), so no copy of the input is kept.
    public func forward(_ input: Tensor) -> Tensor {
        let n = input.count
        output.reshape(like: input)
        output.scalars.withUnsafeMutableBufferPointer { y in
            input.scalars.withUnsafeBufferPointer { x in
                if let xp = x.baseAddress, let yp = y.baseAddress {
                    for i in 0..<n { yp[i] = Swift.max(xp[i], 0) }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let n = gradOutput.count
        precondition(n == output.count, "ReLU gradient has \(n) values for an input of \(output.count)")
        gradInput.reshape(like: gradOutput)
        gradInput.scalars.withUnsafeMutableBufferPointer { d in
            gradOutput.scalars.withUnsafeBufferPointer { g in
                output.scalars.withUnsafeBufferPointer { y in
                    if let gp = g.baseAddress, let yp = y.baseAddress, let dp = d.baseAddress {
                        for i in 0..<n { dp[i] = yp[i] > 0 ? gp[i] : 0 }
                    }
                }
            }
        }
        return gradInput
    }
}
