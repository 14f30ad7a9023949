/// The inner product of the policies' affine layers (`MLPPolicy`, `CNNPolicy`).
///
/// Σ a[i]·b[i] with eight independent accumulators: one accumulator would chain every multiply-add
/// behind the previous one (a 64-wide layer: 64 dependent 4-cycle adds per output); eight chains
/// overlap and vectorize.
@inline(__always)
func unrolledDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
    var i = 0
    while i &+ 8 <= count {
        s0 += a[i] * b[i]
        s1 += a[i &+ 1] * b[i &+ 1]
        s2 += a[i &+ 2] * b[i &+ 2]
        s3 += a[i &+ 3] * b[i &+ 3]
        s4 += a[i &+ 4] * b[i &+ 4]
        s5 += a[i &+ 5] * b[i &+ 5]
        s6 += a[i &+ 6] * b[i &+ 6]
        s7 += a[i &+ 7] * b[i &+ 7]
        i &+= 8
    }
    var sum = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    while i < count {
        sum += a[i] * b[i]
        i &+= 1
    }
    return sum
}
