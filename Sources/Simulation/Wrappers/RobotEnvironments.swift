import ReflexCore

/// Builds the environment for any bundled simulator from its description, optionally with everything
/// the description says about the hardware: domain randomization, actuator latency, sensor noise,
/// quantization and latency.
public enum RobotEnvironments {
    /// What to add on top of the plant's own dynamics.
    public struct Options: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Per-episode domain randomization from `randomization:`.
        public static let randomization = Options(rawValue: 1)
        /// Sensor noise, quantization and latency from the sensor channels.
        public static let sensorModels = Options(rawValue: 2)
        /// Actuator latency from the actuator channels.
        public static let actuatorLatency = Options(rawValue: 4)

        /// The plant alone: the nominal parameters, ideal sensors, no delays.
        public static let nominal: Options = []
        /// Everything the description declares.
        public static let faithful: Options = [.randomization, .sensorModels, .actuatorLatency]
    }

    /// Simulators this factory knows.
    public static let simulators = ["cartpole", "cartpole-rig", "diffdrive", "furuta", "pendulum"]

    /// The bare environment for a description (nominal parameters, ideal sensors).
    ///
    /// - Throws: `ReflexError(.invalidDescription, …)` when the plant refuses the description,
    ///   `ReflexError(.unknownRobot, …)` for a simulator without an environment.
    public static func plain(_ description: RobotDescription, seed: UInt64 = 0) throws -> any Environment {
        switch description.simulator {
        case "cartpole": return try CartPoleEnvironment(description: description, seed: seed)
        case "pendulum": return try PendulumEnvironment(description: description, seed: seed)
        case "cartpole-rig": return try CartPoleRigEnvironment(description: description, seed: seed)
        case "furuta": return try FurutaEnvironment(description: description, seed: seed)
        case "diffdrive": return try DiffDriveEnvironment(description: description, seed: seed)
        default:
            throw ReflexError(
                .unknownRobot,
                "no environment for simulator '\(description.simulator)' (known: \(simulators.joined(separator: ", ")))")
        }
    }

    /// The environment for a description with the chosen hardware effects, innermost first: actuator
    /// latency, sensor noise and quantization, sensor latency — and around them per-episode
    /// randomization, which rebuilds all of them from each drawn description.
    public static func make(
        _ description: RobotDescription, seed: UInt64 = 0, options: Options = .faithful
    ) throws -> AnyEnvironment {
        if options.contains(.randomization) && !description.randomization.isEmpty {
            let inner = options.subtracting(.randomization)
            return AnyEnvironment(try RandomizedEnvironment(nominal: description, seed: seed) {
                try hardware(AnyEnvironment(try plain($0, seed: seed)), $0, seed: seed, options: inner)
            })
        }
        return try hardware(AnyEnvironment(try plain(description, seed: seed)), description, seed: seed, options: options)
    }

    /// `env` with the description's actuator latency, sensor noise and quantization, and sensor latency.
    static func hardware(
        _ plant: AnyEnvironment, _ description: RobotDescription, seed: UInt64, options: Options
    ) throws -> AnyEnvironment {
        var env = plant
        if options.contains(.actuatorLatency) {
            let latencies = Set(description.actuatorModels.map(\.latencyTicks))
            if latencies.count > 1 {
                throw ReflexError(
                    .invalidDescription,
                    "robot '\(description.name)': actuators: latency_ticks must be the same on every actuator (one command frame), got \(latencies.sorted())")
            }
            if let latency = latencies.first, latency > 0 {
                env = AnyEnvironment(ActuatorLatency(env, latency: latency))
            }
        }
        if options.contains(.sensorModels) {
            let models = description.sensorModels
            if models.contains(where: { $0.noise > 0 || $0.resolution != nil }) {
                env = AnyEnvironment(SensorNoise(env, sensorModels: models, seed: seed))
            }
            if models.contains(where: { $0.latencyTicks > 0 }) {
                env = AnyEnvironment(SensorLatency(env, latency: models.map(\.latencyTicks)))
            }
        }
        return env
    }

    /// The plant served as hardware (virtual robot) for a description of a plant model simulator.
    public static func plant(_ description: RobotDescription) throws -> any SimulatedPlant {
        switch description.simulator {
        case "cartpole":
            return CartPolePlant(model: try CartPoleModel(description: description), sensors: description.sensors, actuators: description.actuators)
        case "pendulum":
            return PendulumPlant(model: try PendulumModel(description: description), sensors: description.sensors, actuators: description.actuators)
        case "cartpole-rig": return CartPoleRigPlant(model: try CartPoleRigModel(description: description))
        case "furuta": return FurutaPlant(model: try FurutaModel(description: description))
        case "diffdrive": return DiffDrivePlant(model: try DiffDriveModel(description: description))
        default:
            throw ReflexError(
                .unknownRobot,
                "no plant for simulator '\(description.simulator)' (known: \(simulators.joined(separator: ", ")))")
        }
    }
}
