import CMath

/// sin x and cos x from one C-library call (`sincos`), bit for bit what `sin(x)` and `cos(x)` return:
/// glibc computes both through the same code as the separate functions, sharing the range reduction.
@inline(__always)
func sineCosine(_ x: Double) -> (sin: Double, cos: Double) {
    var s = 0.0, c = 0.0
    reflex_sincos(x, &s, &c)
    return (s, c)
}

/// The largest |x| `smallAngleSineCosine` computes itself; beyond it, the C library's `sincos`.
let smallAngleLimit = 0.3

/// sin x and cos x within 1 ulp of the C library's (measured in `SineCosineTests`) at a fraction of
/// `sincos`'s latency, for plants whose angle stays small, where a step is a chain of
/// dependent operations and the library call's latency is most of it (CartPole).
///
/// For |x| ≤ `smallAngleLimit`: the Taylor series of sin to x¹³ and of cos to x¹⁴, whose first omitted
/// terms (|x|¹⁵/15! < 1.1e-20, |x|¹⁶/16! < 2.1e-22) are far below an ulp, evaluated in Estrin's scheme
/// (three independent pairs, so the latency is a few multiplies rather than seven). Larger |x| (and 0):
/// `sincos`.
@inline(__always)
func smallAngleSineCosine(_ x: Double) -> (sin: Double, cos: Double) {
    // Zero goes to the library too, which keeps sin(−0) = −0 (the polynomial would give +0).
    guard abs(x) <= smallAngleLimit, x != 0 else { return sineCosine(x) }
    let z = x * x, z2 = z * z, z4 = z2 * z2
    // (−1)ᵏ/(2k+1)! for k = 1…6, and (−1)ᵏ/(2k)! for k = 1…7.
    let s1 = -1.0 / 6, s2 = 1.0 / 120, s3 = -1.0 / 5_040, s4 = 1.0 / 362_880, s5 = -1.0 / 39_916_800, s6 = 1.0 / 6_227_020_800
    let c1 = -0.5, c2 = 1.0 / 24, c3 = -1.0 / 720, c4 = 1.0 / 40_320, c5 = -1.0 / 3_628_800, c6 = 1.0 / 479_001_600
    let c7 = -1.0 / 87_178_291_200
    let sinTail = (s1 + s2 * z) + z2 * (s3 + s4 * z) + z4 * (s5 + s6 * z)
    let cosTail = (c2 + c3 * z) + z2 * (c4 + c5 * z) + z4 * (c6 + c7 * z)
    return (x + (x * z) * sinTail, 1.0 + z * (c1 + z * cosTail))
}
