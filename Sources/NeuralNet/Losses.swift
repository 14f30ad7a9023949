/// Mean squared error and its gradient.
public enum Losses {
    /// `scale · mean((prediction − target)²)` and its gradient with respect to `prediction`.
    public static func meanSquaredError(prediction: Tensor, target: [Float], scale: Float = 1) -> (loss: Float, gradient: Tensor) {
        var grad = Tensor(zeros: [0])
        let loss = meanSquaredError(prediction: prediction, target: target, scale: scale, gradient: &grad)
        return (loss, grad)
    }

    /// The same into a caller-owned gradient buffer (reshaped like `prediction`, reusing its storage).
    public static func meanSquaredError(prediction: Tensor, target: [Float], scale: Float = 1, gradient grad: inout Tensor) -> Float {
        precondition(prediction.count == target.count, "prediction and target sizes differ")
        let n = Float(target.count)
        var loss: Float = 0
        grad.reshape(like: prediction)
        grad.scalars.withUnsafeMutableBufferPointer { g in
            prediction.scalars.withUnsafeBufferPointer { p in
                for i in 0..<target.count {
                    let d = p[i] - target[i]
                    loss += d * d
                    g[i] = scale * 2 * d / n
                }
            }
        }
        return scale * loss / n
    }
}
