#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One CartPole step for a range of copies stored as structure of arrays, two copies per packed Float64
/// operation and no branches in the loop, so it compiles to straight-line SSE2 code.
///
/// The arithmetic is `CartPole.step`'s, operation for operation (no reciprocals, no fused multiply-adds),
/// so a lane differs from the single environment only through `SIMDMath.sinCos`.
struct VectorCartPoleKernel: Sendable {
    /// The vector environment's arrays, each indexed by copy.
    struct Buffers: @unchecked Sendable {
        let count: Int
        /// [4 × count]: x [m], ẋ [m/s], θ [rad], θ̇ [rad/s].
        let states: UnsafeMutablePointer<Double>
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

    let totalMass, poleMassLength, poleMass, halfLength, gravity, forceMagnitude, tau: Double
    let xThreshold, thetaThreshold: Double
    let explicitEuler: Bool
    let maxSteps: Int32
    /// θ at the start of a step can exceed π/4 (thresholds or start range wider than the default task),
    /// so sine and cosine need the argument reduction.
    let reduce: Bool

    init(_ m: CartPoleModel) {
        totalMass = m.poleMass + m.cartMass
        poleMassLength = m.poleMass * m.poleHalfLength
        poleMass = m.poleMass
        halfLength = m.poleHalfLength
        gravity = m.gravity
        forceMagnitude = m.forceMagnitude
        tau = m.tau
        xThreshold = m.xThreshold
        thetaThreshold = m.thetaThreshold
        explicitEuler = m.explicitEuler
        maxSteps = Int32(clamping: m.maxEpisodeSteps)
        // A step starts from a state that did not terminate (|θ| ≤ threshold) or from a start state.
        reduce = !(max(m.thetaThreshold, m.initialStateRange) <= Double.pi / 4)
    }

    /// Steps copies lo..<hi: states, step counts, observations and both flags. Returns how many episodes
    /// ended, and whether an action was neither 0 nor 1.
    func step(_ b: Buffers, _ lo: Int, _ hi: Int) -> (ended: Int, badAction: Bool) {
        reduce ? run(b, lo, hi, reduce: true) : run(b, lo, hi, reduce: false)
    }

    @inline(__always)
    private func run(_ b: Buffers, _ lo: Int, _ hi: Int, reduce: Bool) -> (ended: Int, badAction: Bool) {
        let n = b.count
        let xs = UnsafeMutableRawPointer(b.states), xds = UnsafeMutableRawPointer(b.states + n)
        let ths = UnsafeMutableRawPointer(b.states + 2 * n), thds = UnsafeMutableRawPointer(b.states + 3 * n)
        let steps = UnsafeMutableRawPointer(b.steps), actions = UnsafeRawPointer(b.actions)
        let term = UnsafeMutableRawPointer(b.terminated), trunc = UnsafeMutableRawPointer(b.truncated)
        var ended = LaneBits(repeating: 0)
        var bad = SIMD2<UInt32>(repeating: 0)
        var i = lo
        while i &+ 1 < hi {
            let at = i &* 8
            var s = (x: xs.loadUnaligned(fromByteOffset: at, as: Lanes.self),
                     xDot: xds.loadUnaligned(fromByteOffset: at, as: Lanes.self),
                     theta: ths.loadUnaligned(fromByteOffset: at, as: Lanes.self),
                     thetaDot: thds.loadUnaligned(fromByteOffset: at, as: Lanes.self))
            let a = actions.loadUnaligned(fromByteOffset: i &* 4, as: SIMD2<UInt32>.self)
            bad |= a
            advance(&s, push: LaneBits(truncatingIfNeeded: a), reduce: reduce)
            xs.storeBytes(of: s.x, toByteOffset: at, as: Lanes.self)
            xds.storeBytes(of: s.xDot, toByteOffset: at, as: Lanes.self)
            ths.storeBytes(of: s.theta, toByteOffset: at, as: Lanes.self)
            thds.storeBytes(of: s.thetaDot, toByteOffset: at, as: Lanes.self)
            let count = steps.loadUnaligned(fromByteOffset: i &* 4, as: SIMD2<Int32>.self) &+ 1
            steps.storeBytes(of: count, toByteOffset: i &* 4, as: SIMD2<Int32>.self)
            let (t, tr) = flags(s, count)
            ended &+= (t | tr) & 1
            // Two bytes per flag array: lane 0 in the low byte.
            term.storeBytes(of: UInt16(truncatingIfNeeded: t[0] & 1 | (t[1] & 1) << 8), toByteOffset: i, as: UInt16.self)
            trunc.storeBytes(of: UInt16(truncatingIfNeeded: tr[0] & 1 | (tr[1] & 1) << 8), toByteOffset: i, as: UInt16.self)
            let row = UnsafeMutableRawPointer(b.observations + i &* 4)
            row.storeBytes(of: observation(s, lane: 0), as: SIMD4<Float>.self)
            row.storeBytes(of: observation(s, lane: 1), toByteOffset: 16, as: SIMD4<Float>.self)
            i &+= 2
        }
        var endedCount = Int(truncatingIfNeeded: ended[0] &+ ended[1])
        if (bad[0] | bad[1]) & ~1 != 0 { return (0, true) }
        if i < hi {
            // An odd copy out: the same code with the lane duplicated, lane 0 kept.
            var s = (x: Lanes(repeating: b.states[i]), xDot: Lanes(repeating: b.states[n + i]),
                     theta: Lanes(repeating: b.states[2 * n + i]), thetaDot: Lanes(repeating: b.states[3 * n + i]))
            let a = UInt32(bitPattern: b.actions[i])
            if a > 1 { return (0, true) }
            advance(&s, push: LaneBits(repeating: UInt64(a)), reduce: reduce)
            b.states[i] = s.x[0]
            b.states[n + i] = s.xDot[0]
            b.states[2 * n + i] = s.theta[0]
            b.states[3 * n + i] = s.thetaDot[0]
            let count = b.steps[i] &+ 1
            b.steps[i] = count
            let (t, tr) = flags(s, SIMD2(repeating: count))
            b.terminated[i] = t[0] != 0
            b.truncated[i] = tr[0] != 0
            if t[0] | tr[0] != 0 { endedCount += 1 }
            UnsafeMutableRawPointer(b.observations + i &* 4).storeBytes(of: observation(s, lane: 0), as: SIMD4<Float>.self)
        }
        return (endedCount, false)
    }

    typealias State = (x: Lanes, xDot: Lanes, theta: Lanes, thetaDot: Lanes)

    /// `CartPole.step` on two lanes; `push` is 1 (push right) or 0 (push left) per lane.
    @inline(__always)
    private func advance(_ s: inout State, push: LaneBits, reduce: Bool) {
        let force = SIMDMath.select(LaneBits(repeating: 0) &- push, Lanes(repeating: forceMagnitude), Lanes(repeating: -forceMagnitude))
        var (sinTheta, cosTheta) = SIMDMath.sinCos(s.theta, reduce: reduce)
        if reduce {
            let large = SIMDMath.mask(s.theta .> SIMDMath.reducibleRange) | SIMDMath.mask(s.theta .< -SIMDMath.reducibleRange)
            if large != .zero {
                // Beyond the reduction's range (only a plant whose thresholds allow it spins that far): libm.
                for k in 0..<2 where large[k] != 0 {
                    sinTheta[k] = sin(s.theta[k])
                    cosTheta[k] = cos(s.theta[k])
                }
            }
        }
        let temp = (force + poleMassLength * (s.thetaDot * s.thetaDot) * sinTheta) / totalMass
        let thetaAcc = (gravity * sinTheta - cosTheta * temp)
            / (halfLength * (4.0 / 3.0 - poleMass * (cosTheta * cosTheta) / totalMass))
        let xAcc = temp - poleMassLength * thetaAcc * cosTheta / totalMass
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

    /// Terminated (`CartPole.isTerminal`) and truncated (the step limit, when not terminated), as lane masks.
    @inline(__always)
    private func flags(_ s: State, _ count: SIMD2<Int32>) -> (LaneBits, LaneBits) {
        let t = SIMDMath.mask(s.x .< -xThreshold) | SIMDMath.mask(s.x .> xThreshold)
            | SIMDMath.mask(s.theta .< -thetaThreshold) | SIMDMath.mask(s.theta .> thetaThreshold)
        let limit = LaneBits(truncatingIfNeeded: unsafeBitCast(count .>= maxSteps, to: SIMD2<Int32>.self))
        return (t, limit & ~t)
    }

    @inline(__always)
    private func observation(_ s: State, lane k: Int) -> SIMD4<Float> {
        SIMD4<Float>(SIMD4<Double>(lowHalf: Lanes(s.x[k], s.xDot[k]), highHalf: Lanes(s.theta[k], s.thetaDot[k])))
    }
}
