import ReflexCore
#if canImport(Glibc)
import Glibc
#endif

/// A rotary inverted pendulum (Furuta pendulum) with a DC motor driving the arm directly, as on the
/// Quanser QUBE-Servo 2: motor voltage in, arm and pendulum encoder counts out.
///
/// Derived with Lagrange's equations. θ is the arm angle about the vertical motor axis; α is the
/// pendulum angle in the plane perpendicular to the arm, 0 hanging straight down, π upright. The
/// pendulum is a uniform rod of mass m_p and length L_p hinged at the arm's tip (distance L_r from the
/// axis); the arm has inertia J_r = m_r L_r² / 12 about the axis (the courseware's value). A point at
/// distance s along the pendulum moves with |v|² = L_r² θ̇² + 2 L_r s cos α θ̇ α̇ + s² α̇² + s² sin² α θ̇²;
/// integrating over the rod (∫s dm = m_p L_p/2, ∫s² dm = m_p L_p²/3) gives, with
/// a = J_r + m_p L_r², b = m_p L_p²/3, c = m_p L_r L_p/2, d = m_p g L_p/2:
///
///     T = ½ (a + b sin² α) θ̇² + c cos α θ̇ α̇ + ½ b α̇²,   V = −d cos α
///     (a + b sin² α) θ̈ + c cos α α̈ = τ − D_r θ̇ − 2 b sin α cos α θ̇ α̇ + c sin α α̇²
///     c cos α θ̈ + b α̈ = −D_p α̇ + b sin α cos α θ̇² − d sin α
///
/// and the motor τ = K_t (V − K_m θ̇) / R_m. With τ = D_r = D_p = 0 the energy T + V is conserved
/// (checked in the tests).
public struct FurutaModel: PlantModel {
    public let description: RobotDescription
    public let gravity: Double, armMass: Double, armLength: Double, pendulumMass: Double, pendulumLength: Double
    public let armDamping: Double, pendulumDamping: Double
    public let resistance: Double, torqueConstant: Double, backEMFConstant: Double
    public let startAngle: Double, startRange: Double, fallAngle: Double, armLimit: Double
    public let armCost: Double, controlCost: Double
    public let armEncoder: RawEncoding, pendulumEncoder: RawEncoding
    public let voltage: ActuatorResponse
    public let dt: Double
    public let substeps: Int
    /// Coefficients of the equations above: a = J_r + m_p L_r² [kg·m²], b = m_p L_p²/3 [kg·m²],
    /// c = m_p L_r L_p/2 [kg·m²], d = m_p g L_p/2 [J].
    public let a: Double, b: Double, c: Double, d: Double

    public init(description desc: RobotDescription) throws {
        let r = try DescriptionReader(desc, simulator: "furuta")
        try r.expectChannels(sensors: 2...2, actuators: 1, what: "arm encoder, pendulum encoder")
        description = desc
        gravity = try r.physics("gravity")
        armMass = try r.physics("arm_mass")
        armLength = try r.physics("arm_length")
        pendulumMass = try r.physics("pendulum_mass")
        pendulumLength = try r.physics("pendulum_length")
        armDamping = try r.physics("arm_damping")
        pendulumDamping = try r.physics("pendulum_damping")
        resistance = try r.physics("motor_resistance")
        torqueConstant = try r.physics("motor_torque_constant")
        backEMFConstant = try r.physics("motor_back_emf_constant")
        startAngle = try r.task("start_angle")
        startRange = try r.task("start_range")
        fallAngle = try r.task("fall_angle")
        armLimit = try r.task("arm_limit")
        armCost = try r.task("arm_cost")
        controlCost = try r.task("control_cost")
        armEncoder = try r.encoder(0, .quadrature, what: "the arm angle")
        pendulumEncoder = try r.encoder(1, .quadrature, what: "the pendulum angle")
        voltage = r.actuatorResponse(0)
        dt = try r.rk4Substep()
        substeps = desc.physicsSubsteps
        let armInertia = armMass * armLength * armLength / 12
        a = armInertia + pendulumMass * armLength * armLength
        b = pendulumMass * pendulumLength * pendulumLength / 3
        c = pendulumMass * armLength * pendulumLength / 2
        d = pendulumMass * gravity * pendulumLength / 2
    }

    /// θ [rad], θ̇ [rad/s], α [rad, 0 hanging], α̇ [rad/s], and the voltage applied in the last period.
    public struct State: Sendable, Equatable {
        public var theta = 0.0, thetaDot = 0.0, alpha = 0.0, alphaDot = 0.0, voltage = 0.0
        public init(theta: Double = 0, thetaDot: Double = 0, alpha: Double = 0, alphaDot: Double = 0, voltage: Double = 0) {
            (self.theta, self.thetaDot, self.alpha, self.alphaDot, self.voltage) = (theta, thetaDot, alpha, alphaDot, voltage)
        }
    }

    public static let stateSize = 5

    public static func store(_ s: State, into out: UnsafeMutablePointer<Double>, stride: Int) {
        out[0] = s.theta; out[stride] = s.thetaDot; out[2 * stride] = s.alpha; out[3 * stride] = s.alphaDot
        out[4 * stride] = s.voltage
    }

    public static func load(from v: UnsafePointer<Double>, stride: Int) -> State {
        State(theta: v[0], thetaDot: v[stride], alpha: v[2 * stride], alphaDot: v[3 * stride], voltage: v[4 * stride])
    }

    /// The pendulum starts `start_angle` from upright (π: hanging), ± `start_range`, at rest.
    public func initialState(using g: inout SeededGenerator) -> State {
        let jitter = startRange > 0 ? g.uniform(-startRange, startRange) : 0
        return State(alpha: .pi - startAngle + jitter, voltage: voltage.safe)
    }

    /// Kinetic plus potential energy, J (potential 0 at the pivot's height).
    public func energy(_ s: State) -> Double {
        let sa = sin(s.alpha), ca = cos(s.alpha)
        return 0.5 * (a + b * sa * sa) * s.thetaDot * s.thetaDot + c * ca * s.thetaDot * s.alphaDot
            + 0.5 * b * s.alphaDot * s.alphaDot - d * ca
    }

    /// Motor torque on the arm at voltage `v` and arm speed `w`, N·m.
    @inline(__always)
    public func motorTorque(voltage v: Double, armSpeed w: Double) -> Double {
        torqueConstant * (v - backEMFConstant * w) / resistance
    }

    /// (θ̈, α̈).
    @inline(__always)
    func accelerations(alpha: Double, thetaDot: Double, alphaDot: Double, torque: Double) -> (Double, Double) {
        let sa = sin(alpha), ca = cos(alpha)
        let m11 = a + b * sa * sa, m12 = c * ca, m22 = b
        let r1 = torque - armDamping * thetaDot - 2 * b * sa * ca * thetaDot * alphaDot + c * sa * alphaDot * alphaDot
        let r2 = -pendulumDamping * alphaDot + b * sa * ca * thetaDot * thetaDot - d * sa
        let det = m11 * m22 - m12 * m12
        return ((r1 * m22 - m12 * r2) / det, (m11 * r2 - m12 * r1) / det)
    }

    public func step(_ s: inout State, actuators: UnsafePointer<Double>) {
        let v = voltage.apply(actuators[0], previous: s.voltage)
        s.voltage = v
        let h = dt
        for _ in 0..<substeps {
            func deriv(_ al: Double, _ thd: Double, _ ald: Double) -> (Double, Double) {
                accelerations(alpha: al, thetaDot: thd, alphaDot: ald, torque: motorTorque(voltage: v, armSpeed: thd))
            }
            let (p1, q1) = deriv(s.alpha, s.thetaDot, s.alphaDot)
            let thd2 = s.thetaDot + 0.5 * h * p1, ald2 = s.alphaDot + 0.5 * h * q1
            let (p2, q2) = deriv(s.alpha + 0.5 * h * s.alphaDot, thd2, ald2)
            let thd3 = s.thetaDot + 0.5 * h * p2, ald3 = s.alphaDot + 0.5 * h * q2
            let (p3, q3) = deriv(s.alpha + 0.5 * h * ald2, thd3, ald3)
            let thd4 = s.thetaDot + h * p3, ald4 = s.alphaDot + h * q3
            let (p4, q4) = deriv(s.alpha + h * ald3, thd4, ald4)
            s.theta += h / 6 * (s.thetaDot + 2 * thd2 + 2 * thd3 + thd4)
            s.alpha += h / 6 * (s.alphaDot + 2 * ald2 + 2 * ald3 + ald4)
            s.thetaDot += h / 6 * (p1 + 2 * p2 + 2 * p3 + p4)
            s.alphaDot += h / 6 * (q1 + 2 * q2 + 2 * q3 + q4)
        }
    }

    public func observe(_ s: State, into out: UnsafeMutablePointer<Float>) {
        out[0] = Float(armEncoder.counts(s.theta))
        out[1] = Float(pendulumEncoder.counts(s.alpha))
    }

    /// The pendulum's angle from upright, wrapped into −π…π.
    @inline(__always)
    public func angleFromUpright(_ s: State) -> Double {
        let e = s.alpha - .pi
        return e - 2 * .pi * (e / (2 * .pi)).rounded()
    }

    /// (1 + cos(angle from upright)) / 2 — 1 upright, 0 hanging — less arm and voltage costs.
    public func reward(_ s: State, actuators: UnsafePointer<Double>) -> Double {
        let u = s.voltage / Swift.max(abs(voltage.min), abs(voltage.max))
        return 0.5 * (1 - cos(s.alpha)) - armCost * s.theta * s.theta - controlCost * u * u
    }

    /// The arm passed its limit, or the pendulum fell more than `fall_angle` from upright
    /// (`fall_angle` ≥ π: never, for swing-up).
    public func isTerminal(_ s: State) -> Bool {
        !(abs(s.theta) <= armLimit) || (fallAngle < .pi && !(abs(angleFromUpright(s)) <= fallAngle))
    }
}

public typealias FurutaEnvironment = PlantEnvironment<FurutaModel>
public typealias FurutaPlant = ModelPlant<FurutaModel>
