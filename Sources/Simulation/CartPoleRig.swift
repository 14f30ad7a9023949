import ReflexCore
#if canImport(Glibc)
import Glibc
#endif

/// A cart-pole as people build it: a DC motor drives the cart through a toothed belt, quadrature
/// encoders count the cart's travel and the pole's angle, and the actuator is a signed PWM duty.
///
/// Dynamics (Lagrange, θ from upright, positive leaning towards +x, pole a uniform rod of half-length l):
///
///     (M + m + J/r²) ẍ + m l cos θ θ̈ − m l sin θ θ̇² = F_motor − b ẋ − F_c tanh(ẋ / v_c)
///     m l cos θ ẍ + (4/3) m l² θ̈ − m g l sin θ = −b_p θ̇
///
/// with the motor quasi-static (its electrical time constant is far below the control period):
/// V = duty · V_supply, i = (V − K_e ẋ / r) / R, F_motor = K_t i / r. The duty passes the actuator's
/// saturation, rate limit and deadzone first. Integrated with RK4 at `physics_substeps` per period.
public struct CartPoleRigModel: PlantModel {
    public let description: RobotDescription
    public let gravity: Double, cartMass: Double, poleMass: Double, poleHalfLength: Double
    public let poleDamping: Double, viscousFriction: Double, coulombFriction: Double
    public let supplyVoltage: Double, torqueConstant: Double, backEMFConstant: Double, resistance: Double
    public let motorInertia: Double, pulleyRadius: Double
    public let xThreshold: Double, thetaThreshold: Double
    public let initialPositionRange: Double, initialAngleRange: Double, controlCost: Double
    public let cartEncoder: RawEncoding, poleEncoder: RawEncoding
    public let duty: ActuatorResponse
    /// Integration step, s.
    public let dt: Double
    public let substeps: Int

    /// Speed over which Coulomb friction reaches its full value (smoothed so RK4 stays accurate), m/s.
    static let coulombSpeed = 0.005

    public init(description d: RobotDescription) throws {
        let r = try DescriptionReader(d, simulator: "cartpole-rig")
        try r.expectChannels(sensors: 2...2, actuators: 1, what: "cart encoder, pole encoder")
        description = d
        gravity = try r.physics("gravity")
        cartMass = try r.physics("cart_mass")
        poleMass = try r.physics("pole_mass")
        poleHalfLength = try r.physics("pole_half_length")
        poleDamping = try r.physics("pole_damping")
        viscousFriction = try r.physics("cart_viscous_friction")
        coulombFriction = try r.physics("cart_coulomb_friction")
        supplyVoltage = try r.physics("supply_voltage")
        torqueConstant = try r.physics("motor_torque_constant")
        backEMFConstant = try r.physics("motor_back_emf_constant")
        resistance = try r.physics("motor_resistance")
        motorInertia = try r.physics("motor_inertia")
        pulleyRadius = try r.physics("pulley_radius")
        xThreshold = try r.task("x_threshold")
        thetaThreshold = try r.task("theta_threshold")
        initialPositionRange = try r.task("initial_position_range")
        initialAngleRange = try r.task("initial_angle_range")
        controlCost = try r.task("control_cost")
        cartEncoder = try r.encoder(0, .quadrature, what: "the cart position")
        poleEncoder = try r.encoder(1, .quadrature, what: "the pole angle")
        duty = r.actuatorResponse(0)
        dt = try r.rk4Substep()
        substeps = d.physicsSubsteps
    }

    /// x [m], ẋ [m/s], θ [rad], θ̇ [rad/s], and the duty applied in the last period (for the rate limit).
    public struct State: Sendable, Equatable {
        public var x = 0.0, xDot = 0.0, theta = 0.0, thetaDot = 0.0, duty = 0.0
        public init(x: Double = 0, xDot: Double = 0, theta: Double = 0, thetaDot: Double = 0, duty: Double = 0) {
            (self.x, self.xDot, self.theta, self.thetaDot, self.duty) = (x, xDot, theta, thetaDot, duty)
        }
    }

    public static let stateSize = 5

    public static func store(_ s: State, into out: UnsafeMutablePointer<Double>, stride: Int) {
        out[0] = s.x; out[stride] = s.xDot; out[2 * stride] = s.theta; out[3 * stride] = s.thetaDot; out[4 * stride] = s.duty
    }

    public static func load(from v: UnsafePointer<Double>, stride: Int) -> State {
        State(x: v[0], xDot: v[stride], theta: v[2 * stride], thetaDot: v[3 * stride], duty: v[4 * stride])
    }

    public func initialState(using g: inout SeededGenerator) -> State {
        let x = initialPositionRange > 0 ? g.uniform(-initialPositionRange, initialPositionRange) : 0
        let theta = initialAngleRange > 0 ? g.uniform(-initialAngleRange, initialAngleRange) : 0
        return State(x: x, theta: theta, duty: duty.safe)
    }

    /// Force of the motor on the cart at duty `u` and cart speed `v`, N.
    @inline(__always)
    public func motorForce(duty u: Double, speed v: Double) -> Double {
        let current = (u * supplyVoltage - backEMFConstant * v / pulleyRadius) / resistance
        return torqueConstant * current / pulleyRadius
    }

    /// (ẍ, θ̈) at a state under a motor force.
    @inline(__always)
    func accelerations(xDot: Double, theta: Double, thetaDot: Double, force: Double) -> (Double, Double) {
        let m = poleMass, l = poleHalfLength
        let sinT = sin(theta), cosT = cos(theta)
        let a11 = cartMass + m + motorInertia / (pulleyRadius * pulleyRadius)
        let a12 = m * l * cosT
        let a22 = (4.0 / 3.0) * m * l * l
        let friction = viscousFriction * xDot + coulombFriction * tanh(xDot / Self.coulombSpeed)
        let b1 = force - friction + m * l * sinT * thetaDot * thetaDot
        let b2 = m * gravity * l * sinT - poleDamping * thetaDot
        let det = a11 * a22 - a12 * a12
        return ((b1 * a22 - a12 * b2) / det, (a11 * b2 - a12 * b1) / det)
    }

    public func step(_ s: inout State, actuators: UnsafePointer<Double>) {
        let u = duty.apply(actuators[0], previous: s.duty)
        s.duty = u
        let h = dt
        for _ in 0..<substeps {
            // RK4 on (x, ẋ, θ, θ̇) with the duty held; the motor force depends on the speed, so it is
            // re-evaluated at every stage.
            func deriv(_ xd: Double, _ th: Double, _ thd: Double) -> (Double, Double) {
                accelerations(xDot: xd, theta: th, thetaDot: thd, force: motorForce(duty: u, speed: xd))
            }
            let (a1, b1) = deriv(s.xDot, s.theta, s.thetaDot)
            let (a2, b2) = deriv(s.xDot + 0.5 * h * a1, s.theta + 0.5 * h * s.thetaDot, s.thetaDot + 0.5 * h * b1)
            let (a3, b3) = deriv(
                s.xDot + 0.5 * h * a2, s.theta + 0.5 * h * (s.thetaDot + 0.5 * h * b1), s.thetaDot + 0.5 * h * b2)
            let (a4, b4) = deriv(s.xDot + h * a3, s.theta + h * (s.thetaDot + 0.5 * h * b2), s.thetaDot + h * b3)
            let xDot2 = s.xDot + 0.5 * h * a1, xDot3 = s.xDot + 0.5 * h * a2, xDot4 = s.xDot + h * a3
            let thDot2 = s.thetaDot + 0.5 * h * b1, thDot3 = s.thetaDot + 0.5 * h * b2, thDot4 = s.thetaDot + h * b3
            s.x += h / 6 * (s.xDot + 2 * xDot2 + 2 * xDot3 + xDot4)
            s.theta += h / 6 * (s.thetaDot + 2 * thDot2 + 2 * thDot3 + thDot4)
            s.xDot += h / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
            s.thetaDot += h / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
        }
    }

    public func observe(_ s: State, into out: UnsafeMutablePointer<Float>) {
        out[0] = Float(cartEncoder.counts(s.x))
        out[1] = Float(poleEncoder.counts(s.theta))
    }

    public func reward(_ s: State, actuators: UnsafePointer<Double>) -> Double {
        1 - controlCost * s.duty * s.duty
    }

    public func isTerminal(_ s: State) -> Bool {
        !(abs(s.x) <= xThreshold && abs(s.theta) <= thetaThreshold)
    }
}

/// The rig as a single environment (continuous PWM duty, or the description's discrete choices).
public typealias CartPoleRigEnvironment = PlantEnvironment<CartPoleRigModel>
/// The rig served as hardware (virtual robot): duty in, encoder counts out.
public typealias CartPoleRigPlant = ModelPlant<CartPoleRigModel>
