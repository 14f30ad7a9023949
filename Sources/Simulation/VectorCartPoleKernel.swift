/// One CartPole step for a range of copies stored as structure of arrays, in Float32, eight copies per
/// iteration (`FloatLanes`) and no branches in the loop, so it compiles to straight-line packed code on
/// any target: four Float32 lanes per SSE2 or NEON instruction, without ISA-specific build flags.
///
/// Precision: the state is Float32 (as PufferLib's CartPole; the observations were Float32 already), the
/// dynamics are `CartPole.step`'s with the divisions by the total mass as multiplications by its
/// reciprocal (one division per copy-step is left), and sine and cosine are `SIMDMath.smallSinCos` when
/// the angle limit keeps |θ| ≤ 0.3 rad at the start of every step (the default task: 0.21 rad), else
/// `SIMDMath.wideSinCos` (with an argument reduction). Thresholds are compared in Float32. A step agrees with a Float64
/// `CartPole.step` from the same state to a few Float32 ulps; over an episode the unstable pole amplifies
/// that (tested in `CartPoleVectorEnvironmentTests`). Results are deterministic: the same arithmetic in
/// the same order for every copy, whatever thread steps it.
struct VectorCartPoleKernel: Sendable {
    /// The vector environment's arrays, each indexed by copy.
    struct Buffers: @unchecked Sendable {
        let count: Int
        /// [count] each: x [m], ẋ [m/s], θ [rad], θ̇ [rad/s].
        let x, xDot, theta, thetaDot: UnsafeMutablePointer<Float>
        /// [count] steps since the episode began.
        let steps: UnsafeMutablePointer<Int32>
        /// [count] 0 pushes left, 1 pushes right.
        let actions: UnsafePointer<Int32>
        /// [count × 4] Float32 (x, ẋ, θ, θ̇).
        let observations: UnsafeMutablePointer<Float>
        /// [count]
        let terminated: UnsafeMutablePointer<Bool>
        /// [count]
        let truncated: UnsafeMutablePointer<Bool>
    }

    static let width = FloatLanes.scalarCount

    let forceMagnitude, gravity, tau: Float
    /// poleMass · halfLength, and it and the pole mass over the total mass.
    let poleMassLength, poleMassLengthOverTotal, poleMassOverTotal: Float
    let inverseTotalMass, halfLength: Float
    let xThreshold, thetaThreshold: Float
    let explicitEuler: Bool
    let maxSteps: Int32
    /// |θ| at the start of a step stays within `SIMDMath.smallAngleLimit`: a step starts from a state that
    /// did not terminate (|θ| ≤ threshold) or from a start state.
    let smallAngles: Bool

    init(_ m: CartPoleModel) {
        let totalMass = m.poleMass + m.cartMass
        forceMagnitude = Float(m.forceMagnitude)
        gravity = Float(m.gravity)
        tau = Float(m.tau)
        poleMassLength = Float(m.poleMass * m.poleHalfLength)
        poleMassLengthOverTotal = Float(m.poleMass * m.poleHalfLength / totalMass)
        poleMassOverTotal = Float(m.poleMass / totalMass)
        inverseTotalMass = Float(1 / totalMass)
        halfLength = Float(m.poleHalfLength)
        xThreshold = Float(m.xThreshold)
        thetaThreshold = Float(m.thetaThreshold)
        explicitEuler = m.explicitEuler
        maxSteps = Int32(clamping: m.maxEpisodeSteps)
        smallAngles = max(Float(m.thetaThreshold), Float(m.initialStateRange)) <= SIMDMath.smallAngleLimit
    }

    /// Steps copies lo..<hi: states, step counts, observations and both flags. Returns how many episodes
    /// ended, and whether an action was neither 0 nor 1.
    func step(_ b: Buffers, _ lo: Int, _ hi: Int) -> (ended: Int, badAction: Bool) {
        smallAngles ? run(b, lo, hi, small: true) : run(b, lo, hi, small: false)
    }

    @inline(__always)
    private func run(_ b: Buffers, _ lo: Int, _ hi: Int, small: Bool) -> (ended: Int, badAction: Bool) {
        let w = Self.width
        var ended = IntLanes(repeating: 0)
        var bad = PushLanes(repeating: 0)
        var i = lo
        while i &+ w <= hi {
            var s = State(
                x: load(b.x, i), xDot: load(b.xDot, i), theta: load(b.theta, i), thetaDot: load(b.thetaDot, i))
            let a = UnsafeRawPointer(b.actions + i).loadUnaligned(as: PushLanes.self)
            bad |= a
            advance(&s, push: a, small: small)
            store(s.x, b.x, i); store(s.xDot, b.xDot, i); store(s.theta, b.theta, i); store(s.thetaDot, b.thetaDot, i)
            let count = UnsafeRawPointer(b.steps + i).loadUnaligned(as: IntLanes.self) &+ 1
            UnsafeMutableRawPointer(b.steps + i).storeBytes(of: count, as: IntLanes.self)
            let (t, tr) = flags(s, count)
            ended &+= t | tr
            UnsafeMutableRawPointer(b.terminated + i).storeBytes(of: lowBytes(t), as: SIMD8<UInt8>.self)
            UnsafeMutableRawPointer(b.truncated + i).storeBytes(of: lowBytes(tr), as: SIMD8<UInt8>.self)
            observe(s, into: b.observations + 4 &* i)
            i &+= w
        }
        if any(bad & ~1) { return (0, true) }
        if i < hi {
            // The last copies: the same code on lanes filled from them (zeros past the end), stored back
            // lane by lane.
            let n = hi - i
            var s = State(x: FloatLanes(), xDot: FloatLanes(), theta: FloatLanes(), thetaDot: FloatLanes())
            var push = PushLanes(repeating: 0)
            var count = IntLanes(repeating: 0)
            for k in 0..<n {
                s.x[k] = b.x[i + k]; s.xDot[k] = b.xDot[i + k]; s.theta[k] = b.theta[i + k]; s.thetaDot[k] = b.thetaDot[i + k]
                let a = b.actions[i + k]
                if a != 0 && a != 1 { return (0, true) }
                push[k] = UInt32(a)
                count[k] = b.steps[i + k] &+ 1
            }
            advance(&s, push: push, small: small)
            let (t, tr) = flags(s, count)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * w) { rows in
                observe(s, into: rows.baseAddress!)
                for k in 0..<n {
                    b.x[i + k] = s.x[k]; b.xDot[i + k] = s.xDot[k]; b.theta[i + k] = s.theta[k]; b.thetaDot[i + k] = s.thetaDot[k]
                    b.steps[i + k] = count[k]
                    b.terminated[i + k] = t[k] != 0
                    b.truncated[i + k] = tr[k] != 0
                    ended[k] &+= t[k] | tr[k]
                    for j in 0..<4 { b.observations[4 * (i + k) + j] = rows[4 * k + j] }
                }
            }
        }
        return (Int(ended.wrappedSum()), false)
    }

    /// The actions' bit patterns.
    typealias PushLanes = SIMD8<UInt32>

    @inline(__always) private func bits(_ m: SIMDMask<IntLanes>) -> IntLanes { unsafeBitCast(m, to: IntLanes.self) }

    struct State {
        var x, xDot, theta, thetaDot: FloatLanes
    }

    @inline(__always) private func load(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> FloatLanes {
        UnsafeRawPointer(p + i).loadUnaligned(as: FloatLanes.self)
    }

    @inline(__always) private func store(_ v: FloatLanes, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: FloatLanes.self)
    }

    /// Each lane's low byte (the lanes hold 0 or 1): a shuffle (`SIMD8<UInt8>(truncatingIfNeeded:)` was left
    /// as a call).
    @inline(__always) private func lowBytes(_ v: IntLanes) -> SIMD8<UInt8> {
        unsafeBitCast(v, to: SIMD32<UInt8>.self).evenHalf.evenHalf
    }

    @inline(__always) private func any(_ v: PushLanes) -> Bool {
        let h = v.lowHalf | v.highHalf
        return (h[0] | h[1] | h[2] | h[3]) != 0
    }

    /// `CartPole.step` on eight lanes; `push` is 1 where the action pushes right, 0 where it pushes left.
    @inline(__always)
    private func advance(_ s: inout State, push: PushLanes, small: Bool) {
        // −F with its sign bit flipped where the cart is pushed right.
        let force = unsafeBitCast(
            unsafeBitCast(FloatLanes(repeating: -forceMagnitude), to: PushLanes.self) ^ (push &<< 31), to: FloatLanes.self)
        let (sinTheta, cosTheta) = small ? SIMDMath.smallSinCos(s.theta) : SIMDMath.wideSinCos(s.theta)
        let temp = (force + poleMassLength * (s.thetaDot * s.thetaDot) * sinTheta) * inverseTotalMass
        let thetaAcc = (gravity * sinTheta - cosTheta * temp)
            / (halfLength * (4.0 / 3.0 - poleMassOverTotal * (cosTheta * cosTheta)))
        let xAcc = temp - poleMassLengthOverTotal * thetaAcc * cosTheta
        if explicitEuler {
            s.x += tau * s.xDot
            s.xDot += tau * xAcc
            s.theta += tau * s.thetaDot
            s.thetaDot += tau * thetaAcc
        } else {
            s.xDot += tau * xAcc
            s.x += tau * s.xDot
            s.thetaDot += tau * thetaAcc
            s.theta += tau * s.thetaDot
        }
    }

    /// Terminated (`CartPole.isTerminal` with Float32 thresholds) and truncated (the step limit, when not
    /// terminated), 1 or 0 per lane.
    @inline(__always)
    private func flags(_ s: State, _ count: IntLanes) -> (IntLanes, IntLanes) {
        // Comparisons as all-ones lanes, combined with integer bit operations (`SIMDMask`'s own operators
        // compile lane by lane).
        let t = bits(s.x .< -xThreshold) | bits(s.x .> xThreshold) | bits(s.theta .< -thetaThreshold) | bits(s.theta .> thetaThreshold)
        // count ≥ maxSteps as the sign of (maxSteps − 1 − count); an integer vector compared with a scalar
        // compiles lane by lane as well. Counts never pass maxSteps (the copy resets there).
        let limit = (IntLanes(repeating: maxSteps &- 1) &- count) &>> 31
        let one = IntLanes(repeating: 1)
        return (t & one, limit & ~t & one)
    }

    /// Writes the eight copies' observation rows (x, ẋ, θ, θ̇), 32 Float32 from copy i's row on.
    @inline(__always)
    private func observe(_ s: State, into out: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(out)
        raw.storeBytes(of: rows(s.x.lowHalf, s.xDot.lowHalf, s.theta.lowHalf, s.thetaDot.lowHalf), as: SIMD16<Float>.self)
        raw.storeBytes(
            of: rows(s.x.highHalf, s.xDot.highHalf, s.theta.highHalf, s.thetaDot.highHalf), toByteOffset: 64, as: SIMD16<Float>.self)
    }

    /// Four copies' columns as four rows: a 4 × 4 transpose by two rounds of interleaving.
    @inline(__always)
    private func rows(_ x: SIMD4<Float>, _ xDot: SIMD4<Float>, _ theta: SIMD4<Float>, _ thetaDot: SIMD4<Float>) -> SIMD16<Float> {
        var p = SIMD8<Float>(), q = SIMD8<Float>(), r = SIMD16<Float>()
        p.evenHalf = x
        p.oddHalf = theta
        q.evenHalf = xDot
        q.oddHalf = thetaDot
        r.evenHalf = p
        r.oddHalf = q
        return r
    }
}
