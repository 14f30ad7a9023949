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

    /// Makes this tensor [rows, columns] in place: the scalars keep their capacity and a rank-2 shape array is
    /// rewritten element by element, so returning to a size seen before allocates nothing. Contents are
    /// unspecified afterwards (callers overwrite them).
    public mutating func reshape(rows: Int, columns: Int) {
        if shape.count == 2 {
            if shape[0] != rows { shape[0] = rows }
            if shape[1] != columns { shape[1] = columns }
        } else {
            shape = [rows, columns]
        }
        setCount(rows * columns)
    }

    /// Makes this tensor [a, b, c, d] in place, like `reshape(rows:columns:)`.
    public mutating func reshape(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        if shape.count == 4 {
            if shape[0] != a { shape[0] = a }
            if shape[1] != b { shape[1] = b }
            if shape[2] != c { shape[2] = c }
            if shape[3] != d { shape[3] = d }
        } else {
            shape = [a, b, c, d]
        }
        setCount(a * b * c * d)
    }

    /// Takes `other`'s shape in place (element by element, never sharing its shape array, so neither
    /// tensor's later in-place reshape has to copy); contents are unspecified afterwards.
    public mutating func reshape(like other: Tensor) {
        if shape.count == other.shape.count {
            for i in 0..<shape.count where shape[i] != other.shape[i] { shape[i] = other.shape[i] }
        } else {
            shape = other.shape
        }
        setCount(other.count)
    }

    /// Sets every scalar to zero without reallocating.
    public mutating func zero() {
        scalars.withUnsafeMutableBufferPointer { s in
            if let p = s.baseAddress { p.update(repeating: 0, count: s.count) }
        }
    }

    private mutating func setCount(_ n: Int) {
        if n < scalars.count {
            scalars.removeLast(scalars.count - n)
        } else if n > scalars.count {
            scalars.append(contentsOf: repeatElement(0, count: n - scalars.count))
        }
    }

    public subscript(_ i: Int, _ j: Int) -> Float {
        get { scalars[i * shape[1] + j] }
        set { scalars[i * shape[1] + j] = newValue }
    }
}
