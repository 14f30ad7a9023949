import CMath

/// sin x and cos x from one C-library call (`sincos`), bit for bit what `sin(x)` and `cos(x)` return:
/// glibc computes both through the same code as the separate functions, sharing the range reduction.
/// The plants that need both use it, CartPole above all, whose Gymnasium parity is bitwise.
@inline(__always)
func sineCosine(_ x: Double) -> (sin: Double, cos: Double) {
    var s = 0.0, c = 0.0
    reflex_sincos(x, &s, &c)
    return (s, c)
}
