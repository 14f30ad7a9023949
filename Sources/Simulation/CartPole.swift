import ReflexCore
#if canImport(Glibc)
import Glibc
#endif

/// Gymnasium CartPole-v1's plant: parameters (immutable) and dynamics.
///
/// State and arithmetic are Float64 as in Gymnasium; observations are Float32.
public struct CartPoleModel: Sendable, Equatable {
    public var gravity = 9.8            // m/s²
    public var cartMass = 1.0           // kg
    public var poleMass = 0.1           // kg
    public var poleHalfLength = 0.5     // m (Gymnasium's `length`)
    public var forceMagnitude = 10.0    // N
    public var tau = 0.02               // s per step
    /// `true`: Gymnasium's "euler" (positions from old velocities); `false`: semi-implicit Euler.
    public var explicitEuler = true
    public var xThreshold = 2.4                          // m
    public var thetaThreshold = 12 * 2 * Double.pi / 360  // rad
    public var rewardPerStep = 1.0
    /// Start state is uniform in ±initialStateRange per component.
    public var initialStateRange = 0.05
    public var maxEpisodeSteps = 500

    public init() {}

    /// Sensor channels: what the plant reports, in order.
    public static let sensorChannels: [ChannelSpec] = [
        ChannelSpec(name: "cart_position", unit: "m", min: -4.8, max: 4.8),
        ChannelSpec(name: "cart_velocity", unit: "m/s", min: -.infinity, max: .infinity),
        ChannelSpec(name: "pole_angle", unit: "rad", min: -0.418879, max: 0.418879),
        ChannelSpec(name: "pole_angular_velocity", unit: "rad/s", min: -.infinity, max: .infinity),
    ]
}

/// CartPole's mutable state: x [m], ẋ [m/s], θ [rad], θ̇ [rad/s].
public struct CartPoleState: Sendable, Equatable {
    public var x: Double
    public var xDot: Double
    public var theta: Double
    public var thetaDot: Double

    public init(x: Double = 0, xDot: Double = 0, theta: Double = 0, thetaDot: Double = 0) {
        self.x = x
        self.xDot = xDot
        self.theta = theta
        self.thetaDot = thetaDot
    }
}

public enum CartPole {
    /// Advances the plant one step under a horizontal force on the cart (N, positive pushes right).
    @inline(__always)
    public static func step(_ m: CartPoleModel, _ s: inout CartPoleState, force: Double) {
        let totalMass = m.poleMass + m.cartMass
        let poleMassLength = m.poleMass * m.poleHalfLength
        // Gymnasium's equations in Gymnasium's order, with two changes that leave every step within a
        // few ulps of Gymnasium's (checked step by step against recorded trajectories) and take a third
        // off the step's chain of dependent operations: sin/cos from a polynomial at small angles instead
        // of the C library, and the division by the total mass as a multiplication by its reciprocal.
        let (sinTheta, cosTheta) = smallAngleSineCosine(s.theta)
        let inverseTotalMass = 1 / totalMass
        let temp = (force + poleMassLength * (s.thetaDot * s.thetaDot) * sinTheta) * inverseTotalMass
        let thetaAcc = (m.gravity * sinTheta - cosTheta * temp)
            / (m.poleHalfLength * (4.0 / 3.0 - m.poleMass * (cosTheta * cosTheta) * inverseTotalMass))
        let xAcc = temp - poleMassLength * thetaAcc * cosTheta * inverseTotalMass
        if m.explicitEuler {
            s.x += m.tau * s.xDot
            s.xDot += m.tau * xAcc
            s.theta += m.tau * s.thetaDot
            s.thetaDot += m.tau * thetaAcc
        } else {
            s.xDot += m.tau * xAcc
            s.x += m.tau * s.xDot
            s.thetaDot += m.tau * thetaAcc
            s.theta += m.tau * s.thetaDot
        }
    }

    /// Force for a discrete action: 0 pushes left, 1 pushes right (Gymnasium's convention).
    @inline(__always)
    public static func force(_ m: CartPoleModel, action: Int) -> Double {
        action == 1 ? m.forceMagnitude : -m.forceMagnitude
    }

    /// The task has ended: the cart left the track or the pole tipped past the limit.
    @inline(__always)
    public static func isTerminal(_ m: CartPoleModel, _ s: CartPoleState) -> Bool {
        s.x < -m.xThreshold || s.x > m.xThreshold || s.theta < -m.thetaThreshold || s.theta > m.thetaThreshold
    }

    /// A start state uniform in ±initialStateRange.
    @inline(__always)
    public static func initialState<G: RandomNumberGenerator>(_ m: CartPoleModel, using rng: inout G) -> CartPoleState {
        let r = m.initialStateRange
        let x = uniform(r, &rng), xDot = uniform(r, &rng), theta = uniform(r, &rng)
        return CartPoleState(x: x, xDot: xDot, theta: theta, thetaDot: uniform(r, &rng))
    }

    /// `Double.random(in: -r..<r, using: &rng)`, the same draws and the same values (53 low bits of one
    /// `next()` scaled to [0, 1), drawn again in the rare case the sum rounds up to r), written out so it
    /// inlines: the generic library call was a third of a vectorized step's cost at random actions' reset
    /// rate.
    @inline(__always)
    static func uniform<G: RandomNumberGenerator>(_ r: Double, _ rng: inout G) -> Double {
        precondition(r > 0 && (2 * r).isFinite, "initial state range must be positive and finite, got \(r)")
        while true {
            let unit = Double(rng.next() & (1 << 53 - 1)) * 0x1p-53
            let value = (r - -r) * unit + -r
            if value != r { return value }
        }
    }

    /// Writes the Float32 observation (x, ẋ, θ, θ̇).
    @inline(__always)
    public static func observe(_ s: CartPoleState, into out: UnsafeMutablePointer<Float>) {
        out[0] = Float(s.x)
        out[1] = Float(s.xDot)
        out[2] = Float(s.theta)
        out[3] = Float(s.thetaDot)
    }
}
