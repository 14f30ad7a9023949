import ReflexCore

/// One copy of a `PlantModel` with Gymnasium's reset/step contract: the description's action space
/// (discrete choices or continuous values in actuator units), `terminated` when the model says the task
/// ended, `truncated` at the description's `episode.max_steps`. Rewards after termination are 0.
public struct PlantEnvironment<Model: PlantModel>: Environment {
    /// The plant model; replaced between episodes by domain randomization.
    public var model: Model
    public var state: Model.State
    public let observationChannels: [ChannelSpec]
    public let actuatorChannels: [ChannelSpec]
    public let actionSpace: ActionSpace
    /// Steps taken since the last reset.
    public private(set) var elapsedSteps = 0
    public private(set) var hasTerminated = false
    private var generator: SeededGenerator
    private var command: [Double]
    private var observationBuffer: [Float]

    /// An environment over `model`; `seed` seeds resets made without a seed of their own.
    public init(model: Model, seed: UInt64 = 0) {
        self.model = model
        let d = model.description
        observationChannels = d.sensors
        actuatorChannels = d.actuators
        actionSpace = d.actionSpace
        generator = SeededGenerator(seed: seed)
        state = model.initialState(using: &generator)
        generator = SeededGenerator(seed: seed)
        command = d.actuators.map { $0.safeValue ?? 0 }
        observationBuffer = Array(repeating: 0, count: d.sensors.count)
    }

    /// An environment for a description of this model's simulator.
    public init(description: RobotDescription, seed: UInt64 = 0) throws {
        self.init(model: try Model(description: description), seed: seed)
    }

    /// The sensor values of the current state.
    public var observation: [Float] {
        var out = observationBuffer
        out.withUnsafeMutableBufferPointer { model.observe(state, into: $0.baseAddress!) }
        return out
    }

    public mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { generator = SeededGenerator(seed: seed) }
        return reset(to: model.initialState(using: &generator))
    }

    /// Starts an episode from a chosen state.
    @discardableResult
    public mutating func reset(to start: Model.State) -> [Float] {
        state = start
        elapsedSteps = 0
        hasTerminated = false
        return refreshedObservation()
    }

    /// The observation of the current state, written into `observationBuffer` (in place when the caller
    /// no longer holds the last one).
    private mutating func refreshedObservation() -> [Float] {
        let (m, current) = (model, state)
        observationBuffer.withUnsafeMutableBufferPointer { m.observe(current, into: $0.baseAddress!) }
        return observationBuffer
    }

    public mutating func step(_ action: Action) -> Step {
        let outcome = advance(action)
        return Step(observation: refreshedObservation(), reward: outcome.reward, terminated: outcome.terminated, truncated: outcome.truncated)
    }

    /// `step(action)` with the sensor values written into `observation`.
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition(observation.count >= observationChannels.count,
                     "this robot observes \(observationChannels.count) values; the buffer holds \(observation.count)")
        let outcome = advance(action)
        model.observe(state, into: observation.baseAddress!)
        return outcome
    }

    @inline(__always)
    private mutating func advance(_ action: Action) -> StepOutcome {
        setCommand(action)
        let (m, c) = (model, command)
        let reward = c.withUnsafeBufferPointer { values -> Double in
            m.step(&state, actuators: values.baseAddress!)
            return m.reward(state, actuators: values.baseAddress!)
        }
        elapsedSteps += 1
        let terminated = model.isTerminal(state)
        let earned = hasTerminated ? 0 : reward
        if terminated { hasTerminated = true }
        let truncated = elapsedSteps >= model.description.maxEpisodeSteps
        return StepOutcome(reward: earned, terminated: terminated, truncated: truncated)
    }

    /// Sets `command` to the actuator values for an action: a discrete choice's values, or continuous
    /// values clipped to the action space. Mutating, so that `command` is written in place: a
    /// non-mutating method given `&command` holds a second reference to it (in `self`), and every write
    /// copied the array.
    private mutating func setCommand(_ action: Action) {
        switch (action, actionSpace) {
        case let (.discrete(index), .discrete(choices)):
            precondition(choices.indices.contains(index), "action \(index) is not one of the \(choices.count) discrete actions")
            command = choices[index]
        case let (.continuous(values), .continuous(low, high)):
            precondition(values.count == low.count, "expected \(low.count) actuator value(s), got \(values.count)")
            for j in values.indices {
                command[j] = values[j].isFinite ? min(max(values[j], low[j]), high[j]) : (actuatorChannels[j].safeValue ?? 0)
            }
        case let (.continuous(values), .discrete):
            // Hardware-style command on a discrete robot: values in actuator units (clipped by the model).
            precondition(values.count == command.count, "expected \(command.count) actuator value(s), got \(values.count)")
            command = values
        case (.discrete, .continuous):
            preconditionFailure("this robot takes continuous actions (\(actuatorChannels.map(\.name).joined(separator: ", ")))")
        }
    }
}

/// A `PlantModel` served as hardware (`SimulatedPlant`): actuator values in, sensor values out.
public struct ModelPlant<Model: PlantModel>: SimulatedPlant {
    public let model: Model
    public var state: Model.State
    private var command: [Double]

    public init(model: Model) {
        self.model = model
        var generator = SeededGenerator(seed: 0)
        state = model.initialState(using: &generator)
        command = model.description.actuators.map { $0.safeValue ?? 0 }
    }

    public var sensors: [ChannelSpec] { model.description.sensors }
    public var actuators: [ChannelSpec] { model.description.actuators }
    public var period: Double { model.description.controlPeriod }

    public mutating func reset(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        state = model.initialState(using: &generator)
    }

    public mutating func step(actuators values: UnsafeBufferPointer<Float>) {
        for j in command.indices { command[j] = j < values.count ? Double(values[j]) : .nan }
        let m = model
        command.withUnsafeBufferPointer { m.step(&state, actuators: $0.baseAddress!) }
    }

    public func observe(into values: UnsafeMutableBufferPointer<Float>) {
        model.observe(state, into: values.baseAddress!)
    }

    public var hasFailed: Bool { model.isTerminal(state) }
}

/// Any simulated plant behind one concrete type, for servers that pick the plant at run time.
public struct AnySimulatedPlant: SimulatedPlant {
    public var base: any SimulatedPlant

    public init(_ base: any SimulatedPlant) {
        self.base = base
    }

    public var sensors: [ChannelSpec] { base.sensors }
    public var actuators: [ChannelSpec] { base.actuators }
    public var period: Double { base.period }
    public mutating func reset(seed: UInt64) { base.reset(seed: seed) }
    public mutating func step(actuators values: UnsafeBufferPointer<Float>) { base.step(actuators: values) }
    public func observe(into values: UnsafeMutableBufferPointer<Float>) { base.observe(into: values) }
    public var hasFailed: Bool { base.hasFailed }
}
