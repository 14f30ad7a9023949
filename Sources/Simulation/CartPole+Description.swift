import ReflexCore

extension CartPoleModel {
    /// The model a robot description asks for (`simulator: cartpole`).
    ///
    /// Reads `physics` (gravity, cart_mass, pole_mass, pole_half_length, force_magnitude), `task`
    /// (x_threshold, theta_threshold, reward_per_step, initial_state_range), the integrator, the control
    /// period (one Euler step per period, Gymnasium's `tau`) and the episode limit. The plant has four
    /// sensor channels and one force actuator, and its discrete actions push with ∓force_magnitude.
    ///
    /// - Throws: `ReflexError(.invalidDescription, …)` naming the key that is missing or does not fit.
    public init(description d: RobotDescription) throws {
        func invalid(_ path: String, _ problem: String) -> ReflexError {
            ReflexError(.invalidDescription, "robot '\(d.name)': \(path): \(problem)")
        }
        func value(_ section: [String: Double], _ sectionName: String, _ key: String) throws -> Double {
            guard let v = section[key] else { throw invalid("\(sectionName).\(key)", "missing field, required by cartpole") }
            guard v.isFinite else { throw invalid("\(sectionName).\(key)", "must be finite, got \(v)") }
            return v
        }

        self.init()
        guard d.simulator == "cartpole" else {
            throw invalid("simulator", "expected 'cartpole', got '\(d.simulator)'")
        }
        gravity = try value(d.physics, "physics", "gravity")
        cartMass = try value(d.physics, "physics", "cart_mass")
        poleMass = try value(d.physics, "physics", "pole_mass")
        poleHalfLength = try value(d.physics, "physics", "pole_half_length")
        forceMagnitude = try value(d.physics, "physics", "force_magnitude")
        xThreshold = try value(d.task, "task", "x_threshold")
        thetaThreshold = try value(d.task, "task", "theta_threshold")
        rewardPerStep = try value(d.task, "task", "reward_per_step")
        initialStateRange = try value(d.task, "task", "initial_state_range")
        switch d.integrator {
        case "euler": explicitEuler = true
        case "semi-implicit-euler": explicitEuler = false
        default: throw invalid("integrator", "cartpole supports euler or semi-implicit-euler, got '\(d.integrator)'")
        }
        guard d.controlPeriod.isFinite, d.controlPeriod > 0 else {
            throw invalid("control_period", "must be > 0, got \(d.controlPeriod)")
        }
        tau = d.controlPeriod
        guard d.maxEpisodeSteps > 0 else { throw invalid("episode.max_steps", "must be > 0, got \(d.maxEpisodeSteps)") }
        maxEpisodeSteps = d.maxEpisodeSteps

        guard d.sensors.count == 4 else {
            throw invalid("sensors", "cartpole reports 4 channels (x, ẋ, θ, θ̇), the description lists \(d.sensors.count)")
        }
        guard d.actuators.count == 1 else {
            throw invalid("actuators", "cartpole takes 1 channel (cart force), the description lists \(d.actuators.count)")
        }
        guard case .discrete(let choices) = d.actionSpace,
              choices == [[-forceMagnitude], [forceMagnitude]]
        else {
            throw invalid(
                "actions",
                "cartpole's actions are discrete [[-\(forceMagnitude)], [\(forceMagnitude)]] (push left, push right; physics.force_magnitude), got \(d.actionSpace)")
        }
    }
}
