#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Eight Float32 lanes: two SSE registers on baseline x86-64 (one where AVX is enabled), two NEON
/// registers on arm64. Eight rather than four gives the out-of-order core two independent dependency
/// chains per iteration to overlap, which a latency-bound step (a division on its critical path) needs.
typealias FloatLanes = SIMD8<Float>
typealias IntLanes = SIMD8<Int32>

/// Small vector math for the vectorized plants: branch-free, so a step loop stays straight-line code.
///
/// Polynomials and reduction constants are the Taylor series and a Cody–Waite split of π/2; accuracy is
/// measured against libm in `CartPoleVectorKernelTests`. Not bit-identical with libm, which is why the
/// vectorized environments are tested against the single ones within a tolerance.
enum SIMDMath {
    /// The largest |x| `smallSinCos` is accurate on (within 1 ulp of Float32 sine and cosine).
    static let smallAngleLimit: Float = 0.3

    /// sin x and cos x for |x| ≤ `smallAngleLimit`: Taylor polynomials to x⁷ and x⁶ in Float32. Their
    /// truncation errors (|x|⁹/9! < 6e-11, |x|⁸/8! < 2e-9) are below Float32's resolution, so what is left
    /// is rounding: within 1 ulp of the correctly rounded value (checked in `CartPoleVectorKernelTests`).
    @inline(__always)
    static func smallSinCos(_ x: FloatLanes) -> (sin: FloatLanes, cos: FloatLanes) {
        let z = x * x
        let s1: Float = -1.0 / 6, s2: Float = 1.0 / 120, s3: Float = -1.0 / 5040
        let c1: Float = -0.5, c2: Float = 1.0 / 24, c3: Float = -1.0 / 720
        let sinV = x + (x * z) * (s1 + z * (s2 + z * s3))
        let cosV = 1 + z * (c1 + z * (c2 + z * c3))
        return (sinV, cosV)
    }

    /// The largest |x| `wideSinCos` reduces in Float32 (the quadrant stays below 2^13, so q·π/2's two
    /// leading 11-bit parts are exact); larger arguments take libm in Float64, lane by lane.
    static let floatReducibleRange: Float = 8192

    /// sin x and cos x for any x in Float32: a Cody–Waite reduction by π/2 in three parts, Taylor
    /// polynomials on [−π/4, π/4] to x⁹ and x¹⁰ (truncation below 2e-9), the quadrant applied with bit
    /// operations; within 1.2e-7 (2⁻²³, absolute) of sine and cosine (checked in `CartPoleVectorKernelTests`;
    /// relative to a result near zero the error can be many ulps, as for any reduction in Float32). For
    /// plants whose angle limit is wide; about twice `smallSinCos`'s cost.
    @inline(__always)
    static func wideSinCos(_ x: FloatLanes) -> (sin: FloatLanes, cos: FloatLanes) {
        typealias Bits = SIMD8<UInt32>
        // Round x·2/π to an integer by adding 1.5·2^23: the sum's low mantissa bits hold the quadrant.
        let magic = FloatLanes(repeating: 0x1.8p23)
        let t = x * Float(2 / Double.pi) + magic
        let q = t - magic
        let quadrant = unsafeBitCast(t, to: Bits.self)
        let p1: Float = 0x1.92p0, p2: Float = 0x1.fb4p-12, p3: Float = 0x1.4442d2p-24
        let r = ((x - q * p1) - q * p2) - q * p3
        let z = r * r
        let s1: Float = -1.0 / 6, s2: Float = 1.0 / 120, s3: Float = -1.0 / 5040, s4: Float = 1.0 / 362_880
        let c2: Float = 1.0 / 24, c3: Float = -1.0 / 720, c4: Float = 1.0 / 40320, c5: Float = -1.0 / 3_628_800
        let sinTail: FloatLanes = s2 + z * (s3 + z * s4)
        let sinR: FloatLanes = r + (r * z) * (s1 + z * sinTail)
        let cosTail: FloatLanes = c2 + z * (c3 + z * (c4 + z * c5))
        let cosR: FloatLanes = 1 + z * (-0.5 + z * cosTail)
        // Quadrant k: sin x = (sin r, cos r, −sin r, −cos r)[k], cos x = (cos r, −sin r, −cos r, sin r)[k].
        let swap = Bits(repeating: 0) &- (quadrant & 1)
        let sinBits = unsafeBitCast(sinR, to: Bits.self), cosBits = unsafeBitCast(cosR, to: Bits.self)
        var sinV = unsafeBitCast(((cosBits & swap) | (sinBits & ~swap)) ^ ((quadrant & 2) &<< 30), to: FloatLanes.self)
        var cosV = unsafeBitCast(((sinBits & swap) | (cosBits & ~swap)) ^ (((quadrant &+ 1) & 2) &<< 30), to: FloatLanes.self)
        let magnitude = unsafeBitCast(unsafeBitCast(x, to: Bits.self) & 0x7FFF_FFFF, to: FloatLanes.self)
        let far = unsafeBitCast(magnitude .> floatReducibleRange, to: SIMD8<Int32>.self)
        if far != .zero {
            // Past the reduction's range (only a plant whose limits allow the pole to spin that far), or NaN.
            for k in 0..<FloatLanes.scalarCount where !(magnitude[k] <= floatReducibleRange) {
                sinV[k] = Float(sin(Double(x[k])))
                cosV[k] = Float(cos(Double(x[k])))
            }
        }
        return (sinV, cosV)
    }
}
