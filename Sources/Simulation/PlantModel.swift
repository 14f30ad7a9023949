import ReflexCore

/// A plant as the generic environments see it: the model is immutable (`let`, MuJoCo's mjModel), the
/// state is a small value advanced in place, one control period per `step`.
///
/// One conformance gives a single environment (`PlantEnvironment`), a plant served as hardware
/// (`ModelPlant`), domain randomization (`RandomizedEnvironment`) and a vectorized environment
/// (`PlantVectorEnvironment`). Sensor values are what the hardware reports (encoder counts, ADC counts);
/// actuator values are what it accepts, in the units of the description's actuator channels.
public protocol PlantModel: Sendable {
    associatedtype State: Sendable

    /// Builds the model from a description whose `simulator` names this plant.
    ///
    /// - Throws: `ReflexError(.invalidDescription, …)` naming the key that is missing or does not fit.
    init(description: RobotDescription) throws

    /// The description the model was built from (channels, action space, period, episode limit).
    var description: RobotDescription { get }

    /// Number of Float64 components of `State` (the vectorized environment stores them as structure of arrays).
    static var stateSize: Int { get }
    /// Writes the state's components to `out[k * stride]`, k in 0..<stateSize.
    static func store(_ state: State, into out: UnsafeMutablePointer<Double>, stride: Int)
    /// Reads a state written by `store`.
    static func load(from values: UnsafePointer<Double>, stride: Int) -> State

    /// A start state for a new episode.
    func initialState(using generator: inout SeededGenerator) -> State
    /// Advances one control period holding the requested actuator values (`actuators.count` values in
    /// actuator units; the model applies saturation, deadzone and rate limit itself).
    func step(_ state: inout State, actuators: UnsafePointer<Double>)
    /// Writes the sensor values (`sensors.count`) the hardware would report in this state.
    func observe(_ state: State, into out: UnsafeMutablePointer<Float>)
    /// Reward for the step that ended in `state` (after `step` with `actuators`).
    func reward(_ state: State, actuators: UnsafePointer<Double>) -> Double
    /// The task has ended in this state (fell, left the track, lost the line).
    func isTerminal(_ state: State) -> Bool
}

/// Saturation, deadzone and rate limit of one actuator channel, as its description declares them.
public struct ActuatorResponse: Sendable, Equatable {
    public let min: Double
    public let max: Double
    public let safe: Double
    public let deadzone: Double
    /// Largest change per control period; `.infinity` for none.
    public let maxStep: Double

    public init(channel: ChannelSpec, model: ActuatorModel, period: Double) {
        min = channel.min
        max = channel.max
        safe = channel.safeValue ?? 0
        deadzone = model.deadzone
        maxStep = model.rateLimit.map { $0 * period } ?? .infinity
    }

    /// The value the actuator applies for `requested` when it applied `previous` in the last period:
    /// a non-finite command gives the safe value, then saturation, rate limit and deadzone.
    @inline(__always)
    public func apply(_ requested: Double, previous: Double) -> Double {
        var v = requested.isFinite ? requested : safe
        v = Swift.min(Swift.max(v, min), max)
        v = Swift.min(Swift.max(v, previous - maxStep), previous + maxStep)
        if abs(v) < deadzone { v = 0 }
        return v
    }
}

/// Reads physics and task values for a plant's `init(description:)`, with errors that name the key.
struct DescriptionReader {
    let description: RobotDescription
    let simulator: String

    init(_ description: RobotDescription, simulator: String) throws {
        self.description = description
        self.simulator = simulator
        guard description.simulator == simulator else {
            throw invalid("simulator", "expected '\(simulator)', got '\(description.simulator)'")
        }
    }

    func invalid(_ path: String, _ problem: String) -> ReflexError {
        ReflexError(.invalidDescription, "robot '\(description.name)': \(path): \(problem)")
    }

    func physics(_ key: String) throws -> Double { try value(description.physics, "physics", key) }
    func task(_ key: String) throws -> Double { try value(description.task, "task", key) }

    private func value(_ section: [String: Double], _ name: String, _ key: String) throws -> Double {
        guard let v = section[key] else { throw invalid("\(name).\(key)", "missing field, required by \(simulator)") }
        guard v.isFinite else { throw invalid("\(name).\(key)", "must be finite, got \(v)") }
        return v
    }

    /// Sensor `index` must report counts with the given encoding; returns it.
    func encoder(_ index: Int, _ kind: RawEncoding.Kind, what: String) throws -> RawEncoding {
        guard index < description.sensorModels.count, let raw = description.sensorModels[index].raw, raw.kind == kind else {
            throw invalid("sensors[\(index)].raw", "\(simulator) reports \(what) as \(kind.rawValue) counts; give raw.encoding: \(kind.rawValue)")
        }
        return raw
    }

    /// The description lists `sensors` sensor and `actuators` actuator channels.
    func expectChannels(sensors: ClosedRange<Int>, actuators: Int, what: String) throws {
        guard sensors.contains(description.sensors.count) else {
            let count = sensors.count == 1 ? "\(sensors.lowerBound)" : "\(sensors.lowerBound)…\(sensors.upperBound)"
            throw invalid("sensors", "\(simulator) reports \(count) channels (\(what)), the description lists \(description.sensors.count)")
        }
        guard description.actuators.count == actuators else {
            throw invalid("actuators", "\(simulator) takes \(actuators) channel(s), the description lists \(description.actuators.count)")
        }
    }

    /// The description's integrator is `rk4` and its sub-step is positive.
    func rk4Substep() throws -> Double {
        guard description.integrator == "rk4" else {
            throw invalid("integrator", "\(simulator) integrates with rk4, got '\(description.integrator)'")
        }
        guard description.controlPeriod > 0, description.physicsSubsteps >= 1 else {
            throw invalid("control_period", "must be > 0 with physics_substeps ≥ 1")
        }
        return description.controlPeriod / Double(description.physicsSubsteps)
    }

    func actuatorResponse(_ index: Int) -> ActuatorResponse {
        ActuatorResponse(
            channel: description.actuators[index], model: description.actuatorModels[index],
            period: description.controlPeriod)
    }
}
