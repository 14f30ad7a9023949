import ReflexCore

extension PendulumModel {
    /// The model a robot description asks for (`simulator: pendulum`).
    ///
    /// Reads `physics` (gravity, mass, length, max_speed, max_torque), `task` (initial_angle_range,
    /// initial_speed_range), the control period (one integration step per period, Gymnasium's `dt`) and
    /// the episode limit. The plant has three sensor channels (cos θ, sin θ, θ̇) and one torque actuator
    /// whose continuous range must be ±max_torque.
    ///
    /// - Throws: `ReflexError(.invalidDescription, …)` naming the key that is missing or does not fit.
    public init(description d: RobotDescription) throws {
        func invalid(_ path: String, _ problem: String) -> ReflexError {
            ReflexError(.invalidDescription, "robot '\(d.name)': \(path): \(problem)")
        }
        func value(_ section: [String: Double], _ sectionName: String, _ key: String) throws -> Double {
            guard let v = section[key] else { throw invalid("\(sectionName).\(key)", "missing field, required by pendulum") }
            guard v.isFinite else { throw invalid("\(sectionName).\(key)", "must be finite, got \(v)") }
            return v
        }

        self.init()
        guard d.simulator == "pendulum" else {
            throw invalid("simulator", "expected 'pendulum', got '\(d.simulator)'")
        }
        gravity = try value(d.physics, "physics", "gravity")
        mass = try value(d.physics, "physics", "mass")
        length = try value(d.physics, "physics", "length")
        maxSpeed = try value(d.physics, "physics", "max_speed")
        maxTorque = try value(d.physics, "physics", "max_torque")
        initialAngleRange = try value(d.task, "task", "initial_angle_range")
        initialSpeedRange = try value(d.task, "task", "initial_speed_range")
        guard d.integrator == "semi-implicit-euler" else {
            throw invalid("integrator", "pendulum supports semi-implicit-euler, got '\(d.integrator)'")
        }
        guard d.controlPeriod.isFinite, d.controlPeriod > 0 else {
            throw invalid("control_period", "must be > 0, got \(d.controlPeriod)")
        }
        dt = d.controlPeriod
        guard d.maxEpisodeSteps > 0 else { throw invalid("episode.max_steps", "must be > 0, got \(d.maxEpisodeSteps)") }
        maxEpisodeSteps = d.maxEpisodeSteps

        guard d.sensors.count == 3 else {
            throw invalid("sensors", "pendulum reports 3 channels (cos θ, sin θ, θ̇), the description lists \(d.sensors.count)")
        }
        guard d.actuators.count == 1 else {
            throw invalid("actuators", "pendulum takes 1 channel (hinge torque), the description lists \(d.actuators.count)")
        }
        guard case .continuous(let low, let high) = d.actionSpace, low == [-maxTorque], high == [maxTorque] else {
            throw invalid(
                "actions",
                "pendulum's actions are continuous {low: [-\(maxTorque)], high: [\(maxTorque)]} (physics.max_torque), got \(d.actionSpace)")
        }
    }
}
