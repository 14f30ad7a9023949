#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Two Float64 lanes: the SSE2 register every x86-64 build has, so vectorized plants compile to packed
/// instructions without target flags (wider types are split or scalarized by the baseline target).
typealias Lanes = SIMD2<Double>
/// The lanes' bit patterns, for branch-free selection and sign flips.
typealias LaneBits = SIMD2<UInt64>
/// Eight Float32 lanes: two SSE registers on baseline x86-64 (one where AVX is enabled), two NEON
/// registers on arm64. Eight rather than four gives the out-of-order core two independent dependency
/// chains per iteration to overlap, which a latency-bound step (a division on its critical path) needs.
typealias FloatLanes = SIMD8<Float>
typealias IntLanes = SIMD8<Int32>

/// Small vector math for the vectorized plants: branch-free, so a step loop stays straight-line code.
///
/// Sine and cosine evaluate fdlibm's minimax polynomials on [−π/4, π/4] (`__kernel_sin`, `__kernel_cos`
/// coefficients) after a Cody–Waite reduction by π/2. Measured against glibc over ±1e5 rad: at most 1 ulp
/// apart, equal in about 89 % of cases — close to libm, not bit-identical with it, which is why the
/// vectorized environments are tested against the single ones within a tolerance.
enum SIMDMath {
    @inline(__always) static func bits(_ v: Lanes) -> LaneBits { unsafeBitCast(v, to: LaneBits.self) }
    @inline(__always) static func lanes(_ v: LaneBits) -> Lanes { unsafeBitCast(v, to: Lanes.self) }
    /// All ones where the comparison holds, zero elsewhere.
    @inline(__always) static func mask(_ m: SIMDMask<SIMD2<Int64>>) -> LaneBits { unsafeBitCast(m, to: LaneBits.self) }
    /// `a` where `m` is all ones, `b` where it is zero.
    @inline(__always) static func select(_ m: LaneBits, _ a: Lanes, _ b: Lanes) -> Lanes {
        lanes((bits(a) & m) | (bits(b) & ~m))
    }

    /// The largest |x| `sinCos(_:reduce: true)` reduces accurately (the quadrant times π/2's leading part
    /// stays exact below 2^20 quadrants); callers check larger arguments themselves.
    static let reducibleRange = 1.0e5

    /// sin x and cos x per lane. With `reduce: false` the caller guarantees |x| ≤ π/4 and the reduction
    /// is skipped (about a third of the work).
    @inline(__always)
    static func sinCos(_ x: Lanes, reduce: Bool) -> (sin: Lanes, cos: Lanes) {
        var r = x
        var quadrant = LaneBits(repeating: 0)
        if reduce {
            // Round x·2/π to an integer by adding 1.5·2^52: the sum's low mantissa bits hold the quadrant.
            let magic = Lanes(repeating: 0x1.8p52)
            let t = x * (2 / Double.pi) + magic
            let q = t - magic
            quadrant = bits(t)
            // π/2 = 1.57079632673412561417 (33 bits, so q·it is exact) + 6.07710050650619224932e-11.
            let pio2High = 1.57079632673412561417e+00, pio2Low = 6.07710050650619224932e-11
            r = (x - q * pio2High) - q * pio2Low
        }
        let z = r * r
        let s1 = -1.66666666666666324348e-01, s2 = 8.33333333332248946124e-03, s3 = -1.98412698298579493134e-04
        let s4 = 2.75573137070700676789e-06, s5 = -2.50507602534068634195e-08, s6 = 1.58969099521155010221e-10
        let sinTail: Lanes = s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)))
        let sinR: Lanes = r + (z * r) * (s1 + z * sinTail)
        let c1 = 4.16666666666666019037e-02, c2 = -1.38888888888741095749e-03, c3 = 2.48015872894767294178e-05
        let c4 = -2.75573143513906633035e-07, c5 = 2.08757232129817482790e-09, c6 = -1.13596475577881948265e-11
        let w = z * z
        let cosHead: Lanes = z * (c1 + z * (c2 + z * c3))
        let cosTail: Lanes = cosHead + w * w * (c4 + z * (c5 + z * c6))
        // 1 − z/2 + tail, with the rounding error of 1 − z/2 added back (fdlibm's k_cos).
        let half = 0.5 * z
        let one = Lanes(repeating: 1)
        let head = one - half
        let cosR: Lanes = head + (((one - head) - half) + z * cosTail)
        guard reduce else { return (sinR, cosR) }
        // Quadrant k: sin x = (sin r, cos r, −sin r, −cos r)[k], cos x = (cos r, −sin r, −cos r, sin r)[k].
        let swap = LaneBits(repeating: 0) &- (quadrant & 1)
        let sinV = select(swap, cosR, sinR)
        let cosV = select(swap, sinR, cosR)
        return (lanes(bits(sinV) ^ ((quadrant & 2) &<< 62)), lanes(bits(cosV) ^ (((quadrant &+ 1) & 2) &<< 62)))
    }

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

    /// sin x and cos x for any x, rounded to Float32: the Float64 `sinCos` two lanes at a time (libm past
    /// `reducibleRange`). For plants whose angle is not bounded; about five times `smallSinCos`'s cost.
    @inline(__always)
    static func wideSinCos(_ x: FloatLanes) -> (sin: FloatLanes, cos: FloatLanes) {
        var sinV = FloatLanes(), cosV = FloatLanes()
        for k in stride(from: 0, to: FloatLanes.scalarCount, by: 2) {
            let pair = Lanes(Double(x[k]), Double(x[k + 1]))
            var (s, c) = sinCos(pair, reduce: true)
            for j in 0..<2 where !(pair[j].magnitude <= reducibleRange) {
                s[j] = sin(pair[j])
                c[j] = cos(pair[j])
            }
            sinV[k] = Float(s[0]); sinV[k + 1] = Float(s[1])
            cosV[k] = Float(c[0]); cosV[k + 1] = Float(c[1])
        }
        return (sinV, cosV)
    }
}
