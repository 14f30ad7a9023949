import ReflexCore
#if canImport(Glibc)
import Glibc
#endif

/// Gymnasium Pendulum-v1's plant: a rod hinged at one end, torque at the hinge; swing it up and hold it.
///
/// θ = 0 is upright, θ grows counter-clockwise. State and arithmetic are Float64 as in Gymnasium; the
/// torque is Float32 (Gymnasium's action dtype) and observations are Float32 (cos θ, sin θ, θ̇).
public struct PendulumModel: Sendable, Equatable {
    public var gravity = 10.0           // m/s²
    public var mass = 1.0               // kg
    public var length = 1.0             // m
    public var dt = 0.05                // s per step
    public var maxSpeed = 8.0           // rad/s; θ̇ is clipped to ±maxSpeed after each step
    public var maxTorque = 2.0          // N·m; the torque is clipped to ±maxTorque
    /// Start state: θ uniform in ±initialAngleRange, θ̇ uniform in ±initialSpeedRange.
    public var initialAngleRange = Double.pi  // rad
    public var initialSpeedRange = 1.0        // rad/s
    public var maxEpisodeSteps = 200

    public init() {}

    /// Sensor channels: what the plant reports, in order.
    public static let sensorChannels: [ChannelSpec] = [
        ChannelSpec(name: "cos_theta", unit: "1", min: -1, max: 1),
        ChannelSpec(name: "sin_theta", unit: "1", min: -1, max: 1),
        ChannelSpec(name: "angular_velocity", unit: "rad/s", min: -8, max: 8),
    ]
}

/// The pendulum's mutable state: θ [rad] (0 upright, not wrapped), θ̇ [rad/s].
public struct PendulumState: Sendable, Equatable {
    public var theta: Double
    public var thetaDot: Double

    public init(theta: Double = 0, thetaDot: Double = 0) {
        self.theta = theta
        self.thetaDot = thetaDot
    }
}

public enum Pendulum {
    /// Advances one step under `torque` (N·m, clipped to ±maxTorque) and returns the step's reward,
    /// −(θ_normalized² + 0.1 θ̇² + 0.001 u²), computed on the state before the step as Gymnasium does.
    ///
    /// Gymnasium multiplies the Float32 torque by Python floats in Float32 (NumPy 2's promotion rules)
    /// and the rest in Float64; the same mix here keeps parity bit-identical.
    @inline(__always)
    @discardableResult
    public static func step(_ m: PendulumModel, _ s: inout PendulumState, torque: Float) -> Double {
        let limit = Float(m.maxTorque)
        let u: Float = torque.isNaN ? 0 : Swift.min(Swift.max(torque, -limit), limit)
        let wrapped = normalizeAngle(s.theta)
        let cost = wrapped * wrapped + 0.1 * (s.thetaDot * s.thetaDot) + Double(Float(0.001) * (u * u))
        let torqueTerm = Double(Float(3.0 / (m.mass * m.length * m.length)) * u)
        var newThetaDot = s.thetaDot + (3 * m.gravity / (2 * m.length) * sin(s.theta) + torqueTerm) * m.dt
        newThetaDot = Swift.min(Swift.max(newThetaDot, -m.maxSpeed), m.maxSpeed)
        s.theta += newThetaDot * m.dt
        s.thetaDot = newThetaDot
        return -cost
    }

    /// θ wrapped into [−π, π), as Gymnasium's `angle_normalize` (Python's floored modulo).
    @inline(__always)
    public static func normalizeAngle(_ x: Double) -> Double {
        let period = 2 * Double.pi
        let shifted = x + Double.pi
        var r = fmod(shifted, period)
        if r != 0 && (r < 0) != (period < 0) { r += period }
        return r - Double.pi
    }

    /// A start state: θ uniform in ±initialAngleRange, θ̇ uniform in ±initialSpeedRange.
    public static func initialState<G: RandomNumberGenerator>(_ m: PendulumModel, using rng: inout G) -> PendulumState {
        let a = m.initialAngleRange, v = m.initialSpeedRange
        return PendulumState(
            theta: a > 0 ? Double.random(in: -a..<a, using: &rng) : 0,
            thetaDot: v > 0 ? Double.random(in: -v..<v, using: &rng) : 0)
    }

    /// Writes the Float32 observation (cos θ, sin θ, θ̇).
    @inline(__always)
    public static func observe(_ s: PendulumState, into out: UnsafeMutablePointer<Float>) {
        let (sine, cosine) = sineCosine(s.theta)
        out[0] = Float(cosine)
        out[1] = Float(sine)
        out[2] = Float(s.thetaDot)
    }
}
