#if canImport(Glibc)
import Glibc
#endif

/// Elementwise hyperbolic tangent.
public final class Tanh: Layer {
    private var lastOutput = Tensor(zeros: [0])
    public init() {}
    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor) -> Tensor {
        var y = input
        y.scalars.withUnsafeMutableBufferPointer { v in
            for i in v.indices { v[i] = fastTanh(v[i]) }
        }
        lastOutput = y
        return y
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        var dx = gradOutput
        dx.scalars.withUnsafeMutableBufferPointer { g in
            lastOutput.scalars.withUnsafeBufferPointer { y in
                for i in g.indices { g[i] *= 1 - y[i] * y[i] }
            }
        }
        return dx
    }
}

/// Elementwise max(0, x).
public final class ReLU: Layer {
    private var lastInput = Tensor(zeros: [0])
    public init() {}
    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor) -> Tensor {
        lastInput = input
        var y = input
        y.scalars.withUnsafeMutableBufferPointer { v in
            for i in v.indices where v[i] < 0 { v[i] = 0 }
        }
        return y
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        var dx = gradOutput
        dx.scalars.withUnsafeMutableBufferPointer { g in
            lastInput.scalars.withUnsafeBufferPointer { x in
                for i in g.indices where x[i] <= 0 { g[i] = 0 }
            }
        }
        return dx
    }
}
