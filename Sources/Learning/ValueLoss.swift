import NeuralNet

/// PPO's value loss for one minibatch and its gradient, shared by the discrete and continuous trainers:
/// `c_V · ½ · mean(max((V − R)², (V_clipped − R)²))` with `V_clipped = V_old + clip(V − V_old, ±ε)`
/// (CleanRL's `clip_vloss`), or `c_V · ½ · mean((V − R)²)` when `clip` is nil.
///
/// - Parameters:
///   - values: the critic's output for the minibatch, [mb, 1].
///   - returns: the minibatch's GAE returns, [mb].
///   - oldValues: V at collection time for the whole rollout; row k of the minibatch is `oldValues[rows[k]]`.
/// - Returns: Σ of the squared errors used (the metric is ½ of its mean) and dLoss/dV, [mb, 1].
func ppoValueLoss(
    values: Tensor, returns: [Float], oldValues: [Float], rows: ArraySlice<Int>, clip: Float?, coefficient: Float
) -> (squaredErrors: Float, gradient: Tensor) {
    var gradient = Tensor(zeros: [0, 0])
    let squaredErrors = ppoValueLoss(
        values: values, returns: returns, oldValues: oldValues, rows: rows, clip: clip, coefficient: coefficient,
        gradient: &gradient)
    return (squaredErrors, gradient)
}

/// The same into a caller-owned gradient buffer (reshaped to [mb, 1], reusing its storage); returns Σ of the
/// squared errors.
func ppoValueLoss(
    values: Tensor, returns: [Float], oldValues: [Float], rows: ArraySlice<Int>, clip: Float?, coefficient: Float,
    gradient: inout Tensor
) -> Float {
    let mb = returns.count
    var squaredErrors: Float = 0
    gradient.reshape(rows: mb, columns: 1)
    let scale = coefficient / Float(mb)
    for (k, i) in rows.enumerated() {
        let v = values.scalars[k], target = returns[k]
        let unclippedError = v - target
        guard let clip else {
            squaredErrors += unclippedError * unclippedError
            gradient.scalars[k] = scale * unclippedError
            continue
        }
        let vClipped = oldValues[i] + min(max(v - oldValues[i], -clip), clip)
        let clippedError = vClipped - target
        if unclippedError * unclippedError >= clippedError * clippedError {
            squaredErrors += unclippedError * unclippedError
            gradient.scalars[k] = scale * unclippedError
        } else {
            // The clipped branch depends on V only while V − V_old is inside ±ε.
            squaredErrors += clippedError * clippedError
            gradient.scalars[k] = abs(v - oldValues[i]) < clip ? scale * clippedError : 0
        }
    }
    return squaredErrors
}
