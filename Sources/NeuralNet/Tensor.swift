/// A dense, row-major Float32 array with a shape.
///
/// A value type over `[Float]`: copies are cheap until written (copy-on-write). Layers keep their
/// workspaces as tensors and reuse them between calls so the training loop does not allocate.
public struct Tensor: Equatable, Sendable {
    /// Dimensions, outermost first (`[batch, features]`).
    public var shape: [Int]
    /// Elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) does not match \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.scalars = Array(repeating: 0, count: shape.reduce(1, *))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.shape = shape
        self.scalars = Array(repeating: value, count: shape.reduce(1, *))
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// Reshapes in place when `count` changes, reusing capacity (no allocation when shrinking or
    /// returning to a size seen before).
    public mutating func resize(to newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if n != scalars.count {
            if n < scalars.count {
                scalars.removeLast(scalars.count - n)
            } else {
                scalars.append(contentsOf: repeatElement(0, count: n - scalars.count))
            }
        }
        if shape != newShape { shape = newShape }
    }

    public subscript(_ i: Int, _ j: Int) -> Float {
        get { scalars[i * shape[1] + j] }
        set { scalars[i * shape[1] + j] = newValue }
    }
}
