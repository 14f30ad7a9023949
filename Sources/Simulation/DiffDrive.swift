import ReflexCore
#if canImport(Glibc)
import Glibc
#endif

/// A two-wheeled line follower: two geared DC motors driven by signed PWM duty, a quadrature encoder
/// on each wheel reporting the counts of the last control period, and a row of reflectance sensors
/// (ADC counts) ahead of the axle, over a dark line on a bright floor: `y = A sin(2π x / λ)` (`task.track: 0`,
/// the default), or a closed `Track` drawn anew for every episode (`task.track: 1`, laps counted).
///
/// Each wheel: J ω̇ = G K_t (u V − G K_e ω) / R − b ω (the robot's mass folded into J, no slip).
/// The body moves as a unicycle: v = r (ω_l + ω_r)/2, ψ̇ = r (ω_r − ω_l)/W. A sensor's spot sees
/// the line's width blurred by a Gaussian (σ = width/4); its reflectance mixes floor and line.
/// Sensors run left to right, spaced evenly and centred on the robot's axis.
public struct DiffDriveModel: PlantModel {
    public let description: RobotDescription
    public let wheelRadius: Double, axleWidth: Double, wheelInertia: Double, wheelDamping: Double
    public let supplyVoltage: Double, torqueConstant: Double, backEMFConstant: Double, resistance: Double
    public let gearRatio: Double
    public let sensorOffset: Double, sensorSpacing: Double
    public let lineWidth: Double, lineAmplitude: Double, lineWavelength: Double
    public let floorReflectance: Double, lineReflectance: Double
    public let maxLineOffset: Double, initialOffsetRange: Double, initialHeadingRange: Double
    public let progressReward: Double, controlCost: Double
    /// Closed tracks (`task.track: 1`): mean radius [m], harmonic wobble [1], tightest bend [m], and the
    /// relative variation of the line width between and along tracks [1].
    public let trackFamily: TrackFamily
    public let trackRadius: Double, trackWobble: Double, trackMinimumBend: Double, lineWidthVariation: Double
    /// Which tracks episodes draw: training and evaluation tracks never coincide (see `TrackSet`).
    public var trackSet: TrackSet = .training
    public let wheelEncoders: (left: RawEncoding, right: RawEncoding)
    public let reflectance: [RawEncoding]
    public let left: ActuatorResponse, right: ActuatorResponse
    public let dt: Double
    public let substeps: Int

    public init(description desc: RobotDescription) throws {
        let r = try DescriptionReader(desc, simulator: "diffdrive")
        try r.expectChannels(sensors: 3...66, actuators: 2, what: "left and right wheel encoders, then 1…64 reflectance sensors")
        description = desc
        wheelRadius = try r.physics("wheel_radius")
        axleWidth = try r.physics("axle_width")
        wheelInertia = try r.physics("wheel_inertia")
        wheelDamping = try r.physics("wheel_damping")
        supplyVoltage = try r.physics("supply_voltage")
        torqueConstant = try r.physics("motor_torque_constant")
        backEMFConstant = try r.physics("motor_back_emf_constant")
        resistance = try r.physics("motor_resistance")
        gearRatio = try r.physics("gear_ratio")
        sensorOffset = try r.physics("sensor_offset")
        sensorSpacing = try r.physics("sensor_spacing")
        lineWidth = try r.physics("line_width")
        lineAmplitude = try r.physics("line_amplitude")
        lineWavelength = try r.physics("line_wavelength")
        floorReflectance = try r.physics("floor_reflectance")
        lineReflectance = try r.physics("line_reflectance")
        maxLineOffset = try r.task("max_line_offset")
        initialOffsetRange = try r.task("initial_offset_range")
        initialHeadingRange = try r.task("initial_heading_range")
        progressReward = try r.task("progress_reward")
        controlCost = try r.task("control_cost")
        let family = desc.task["track"] ?? 0
        guard let known = TrackFamily(rawValue: Int(family)), Double(known.rawValue) == family else {
            throw r.invalid("task.track", "expected 0 (sine line) or 1 (closed tracks), got \(family)")
        }
        trackFamily = known
        trackRadius = desc.task["track_radius"] ?? 0.5
        trackWobble = desc.task["track_wobble"] ?? 0.25
        trackMinimumBend = desc.task["track_min_bend_radius"] ?? 0.15
        lineWidthVariation = desc.task["line_width_variation"] ?? 0
        if known == .closed {
            guard trackRadius > 0, trackRadius.isFinite else { throw r.invalid("task.track_radius", "must be > 0 m, got \(trackRadius)") }
            guard trackWobble >= 0, trackWobble < 1 else { throw r.invalid("task.track_wobble", "must be 0 ≤ wobble < 1, got \(trackWobble)") }
            guard trackMinimumBend >= 0, trackMinimumBend < trackRadius else {
                throw r.invalid("task.track_min_bend_radius", "must be 0 ≤ radius < track_radius (\(trackRadius) m), got \(trackMinimumBend)")
            }
            guard lineWidthVariation >= 0, lineWidthVariation < 1 else {
                throw r.invalid("task.line_width_variation", "must be 0 ≤ variation < 1, got \(lineWidthVariation)")
            }
        }
        wheelEncoders = (
            try r.encoder(0, .quadratureDelta, what: "the left wheel's turn per period"),
            try r.encoder(1, .quadratureDelta, what: "the right wheel's turn per period"))
        reflectance = try (2..<desc.sensors.count).map { try r.encoder($0, .adc, what: "reflectance") }
        left = r.actuatorResponse(0)
        right = r.actuatorResponse(1)
        dt = try r.rk4Substep()
        substeps = desc.physicsSubsteps
    }

    /// Pose x, y [m], heading ψ [rad]; wheel speeds [rad/s] and angles [rad]; wheel angles and x at the
    /// start of the last period (for the per-period encoder counts and the progress reward); duties applied.
    /// On closed tracks also the episode's track, the parameter θ of the nearest track point (unwrapped, rad)
    /// and the distance driven along the track since the start, now and at the start of the last period, m.
    public struct State: Sendable, Equatable {
        public var x = 0.0, y = 0.0, heading = 0.0
        public var leftSpeed = 0.0, rightSpeed = 0.0, leftAngle = 0.0, rightAngle = 0.0
        public var leftAngleBefore = 0.0, rightAngleBefore = 0.0, xBefore = 0.0
        public var leftDuty = 0.0, rightDuty = 0.0
        public var track = Track.none
        public var trackAngle = 0.0, progress = 0.0, progressBefore = 0.0
        public init() {}
    }

    public static let stateSize = 15 + Track.storedSize

    public static func store(_ s: State, into out: UnsafeMutablePointer<Double>, stride: Int) {
        (out[0], out[stride], out[2 * stride]) = (s.x, s.y, s.heading)
        (out[3 * stride], out[4 * stride], out[5 * stride], out[6 * stride]) = (s.leftSpeed, s.rightSpeed, s.leftAngle, s.rightAngle)
        (out[7 * stride], out[8 * stride], out[9 * stride]) = (s.leftAngleBefore, s.rightAngleBefore, s.xBefore)
        (out[10 * stride], out[11 * stride]) = (s.leftDuty, s.rightDuty)
        (out[12 * stride], out[13 * stride], out[14 * stride]) = (s.trackAngle, s.progress, s.progressBefore)
        Track.store(s.track, into: out + 15 * stride, stride: stride)
    }

    public static func load(from v: UnsafePointer<Double>, stride: Int) -> State {
        var s = State()
        (s.x, s.y, s.heading) = (v[0], v[stride], v[2 * stride])
        (s.leftSpeed, s.rightSpeed, s.leftAngle, s.rightAngle) = (v[3 * stride], v[4 * stride], v[5 * stride], v[6 * stride])
        (s.leftAngleBefore, s.rightAngleBefore, s.xBefore) = (v[7 * stride], v[8 * stride], v[9 * stride])
        (s.leftDuty, s.rightDuty) = (v[10 * stride], v[11 * stride])
        (s.trackAngle, s.progress, s.progressBefore) = (v[12 * stride], v[13 * stride], v[14 * stride])
        s.track = Track.load(from: v + 15 * stride, stride: stride)
        return s
    }

    /// The line's lateral position at x, m.
    @inline(__always)
    public func line(_ x: Double) -> Double { lineAmplitude * sin(2 * .pi * x / lineWavelength) }

    /// The line's slope dy/dx at x.
    @inline(__always)
    func lineSlope(_ x: Double) -> Double {
        lineAmplitude * 2 * .pi / lineWavelength * cos(2 * .pi * x / lineWavelength)
    }

    /// Signed distance of a point from the line (positive to its left), m.
    @inline(__always)
    public func distanceFromLine(x: Double, y: Double) -> Double {
        let slope = lineSlope(x)
        return (y - line(x)) / (1 + slope * slope).squareRoot()
    }

    public func initialState(using g: inout SeededGenerator) -> State {
        if trackFamily == .closed { return initialStateOnTrack(using: &g) }
        var s = State()
        s.y = line(0) + (initialOffsetRange > 0 ? g.uniform(-initialOffsetRange, initialOffsetRange) : 0)
        s.heading = atan(lineSlope(0)) + (initialHeadingRange > 0 ? g.uniform(-initialHeadingRange, initialHeadingRange) : 0)
        s.leftDuty = left.safe
        s.rightDuty = right.safe
        return s
    }

    /// Wheel acceleration at duty `u` and wheel speed `w`, rad/s².
    @inline(__always)
    func wheelAcceleration(duty u: Double, speed w: Double) -> Double {
        let current = (u * supplyVoltage - gearRatio * backEMFConstant * w) / resistance
        return (gearRatio * torqueConstant * current - wheelDamping * w) / wheelInertia
    }

    /// d/dt of (x, y, ψ, ω_l, ω_r, φ_l, φ_r) under duties (ul, ur).
    @inline(__always)
    func derivative(_ q: SIMD8<Double>, _ ul: Double, _ ur: Double) -> SIMD8<Double> {
        let v = wheelRadius * (q[3] + q[4]) / 2
        return SIMD8(
            v * cos(q[2]), v * sin(q[2]), wheelRadius * (q[4] - q[3]) / axleWidth,
            wheelAcceleration(duty: ul, speed: q[3]), wheelAcceleration(duty: ur, speed: q[4]), q[3], q[4], 0)
    }

    public func step(_ s: inout State, actuators: UnsafePointer<Double>) {
        let ul = left.apply(actuators[0], previous: s.leftDuty)
        let ur = right.apply(actuators[1], previous: s.rightDuty)
        (s.leftDuty, s.rightDuty) = (ul, ur)
        (s.leftAngleBefore, s.rightAngleBefore, s.xBefore) = (s.leftAngle, s.rightAngle, s.x)
        var q = SIMD8(s.x, s.y, s.heading, s.leftSpeed, s.rightSpeed, s.leftAngle, s.rightAngle, 0)
        let h = dt
        for _ in 0..<substeps {
            let k1 = derivative(q, ul, ur)
            let k2 = derivative(q + (0.5 * h) * k1, ul, ur)
            let k3 = derivative(q + (0.5 * h) * k2, ul, ur)
            let k4 = derivative(q + h * k3, ul, ur)
            q += (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
        }
        (s.x, s.y, s.heading, s.leftSpeed, s.rightSpeed, s.leftAngle, s.rightAngle) = (q[0], q[1], q[2], q[3], q[4], q[5], q[6])
        if trackFamily == .closed { advanceAlongTrack(&s) }
    }

    /// Reflectance (0…1) seen by a sensor centred `distance` from the line's centre.
    @inline(__always)
    public func reflectance(distance: Double) -> Double {
        reflectance(distance: distance, width: lineWidth)
    }

    /// Reflectance (0…1) seen by a sensor centred `distance` from the centre of a line `width` wide.
    @inline(__always)
    public func reflectance(distance: Double, width: Double) -> Double {
        let sigma = width / 4
        let half = width / 2
        let coverage = 0.5 * (erf((distance + half) / (sigma * 2.0.squareRoot())) - erf((distance - half) / (sigma * 2.0.squareRoot())))
        return floorReflectance + (lineReflectance - floorReflectance) * coverage
    }

    public func observe(_ s: State, into out: UnsafeMutablePointer<Float>) {
        out[0] = Float(wheelEncoders.left.counts(s.leftAngle) - wheelEncoders.left.counts(s.leftAngleBefore))
        out[1] = Float(wheelEncoders.right.counts(s.rightAngle) - wheelEncoders.right.counts(s.rightAngleBefore))
        let c = cos(s.heading), sn = sin(s.heading)
        let n = reflectance.count
        for k in 0..<n {
            // Left to right: the leftmost sensor is furthest along the robot's +y axis.
            let lateral = (Double(n - 1) / 2 - Double(k)) * sensorSpacing
            let px = s.x + sensorOffset * c - lateral * sn
            let py = s.y + sensorOffset * sn + lateral * c
            let seen: Double
            if trackFamily == .closed {
                let near = s.track.nearest(x: px, y: py, guess: s.trackAngle)
                seen = reflectance(distance: near.distance, width: s.track.lineWidth(near.theta))
            } else {
                seen = reflectance(distance: distanceFromLine(x: px, y: py))
            }
            out[2 + k] = Float(reflectance[k].counts(seen))
        }
    }

    /// Progress along the line's direction (+x), or along a closed track, this period, less a cost on the duties.
    public func reward(_ s: State, actuators: UnsafePointer<Double>) -> Double {
        let progress = trackFamily == .closed ? s.progress - s.progressBefore : s.x - s.xBefore
        return progressReward * progress - controlCost * 0.5 * (s.leftDuty * s.leftDuty + s.rightDuty * s.rightDuty)
    }

    /// The robot's centre is further than `max_line_offset` from the line.
    public func isTerminal(_ s: State) -> Bool {
        !(abs(lineOffset(s)) <= maxLineOffset)
    }
}

public typealias DiffDriveEnvironment = PlantEnvironment<DiffDriveModel>
public typealias DiffDrivePlant = ModelPlant<DiffDriveModel>
