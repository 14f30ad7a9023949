/// tanh for Float32 as a rational function of x (odd polynomial of degree 13 over an even one of
/// degree 6, the minimax fit used by Eigen's fast tanh), accurate to a few ulp over all inputs.
///
/// libm's `tanhf` calls `expm1f` and does not vectorize: it took ~60 % of PPO's training time on
/// CartPole. This form is branch-light, vectorizes, and is used by training and inference alike so
/// a deployed policy computes exactly what was trained.
@inline(__always)
public func fastTanh(_ x: Float) -> Float {
    // Beyond ±7.9 tanh rounds to ±1 in Float32.
    let limit: Float = 7.905_311_107_635_498
    let c = Swift.min(Swift.max(x, -limit), limit)
    let x2 = c * c
    var p: Float = -2.760_768_477_423_55e-16
    p = p * x2 + 2.000_187_904_824_77e-13
    p = p * x2 - 8.604_671_522_137_35e-11
    p = p * x2 + 5.122_297_090_371_14e-08
    p = p * x2 + 1.485_722_357_179_79e-05
    p = p * x2 + 6.372_619_288_754_36e-04
    p = p * x2 + 4.893_524_558_917_86e-03
    var q: Float = 1.198_258_394_667_02e-06
    q = q * x2 + 1.185_347_056_866_54e-04
    q = q * x2 + 2.268_434_632_439_00e-03
    q = q * x2 + 4.893_525_185_543_85e-03
    // Near zero tanh(x) = x to Float32 precision; the rational form would lose the last bits there.
    return Swift.abs(x) < 0.0004 ? x : c * p / q
}
