/// Mean squared error and its gradient.
public enum Losses {
    /// `scale · mean((prediction − target)²)` and its gradient with respect to `prediction`.
    public static func meanSquaredError(prediction: Tensor, target: [Float], scale: Float = 1) -> (loss: Float, gradient: Tensor) {
        precondition(prediction.count == target.count, "prediction and target sizes differ")
        let n = Float(target.count)
        var loss: Float = 0
        var grad = Tensor(zeros: prediction.shape)
        for i in 0..<target.count {
            let d = prediction.scalars[i] - target[i]
            loss += d * d
            grad.scalars[i] = scale * 2 * d / n
        }
        return (scale * loss / n, grad)
    }
}
