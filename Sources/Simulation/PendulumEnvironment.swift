import ReflexCore

/// One Pendulum copy with Gymnasium Pendulum-v1's semantics: `reset(seed:)` draws θ ∈ ±π, θ̇ ∈ ±1;
/// the action is the hinge torque (N·m, clipped to ±max_torque); reward −(θ² + 0.1 θ̇² + 0.001 u²);
/// never `terminated`, `truncated` at the step limit (200).
public struct PendulumEnvironment: Environment {
    public let model: PendulumModel
    public let observationChannels: [ChannelSpec]
    public let actuatorChannels: [ChannelSpec]
    public let actionSpace: ActionSpace
    /// The plant's state (Float64, as Gymnasium's `env.unwrapped.state`).
    public var state = PendulumState()
    /// Steps taken since the last reset (Gymnasium's TimeLimit `_elapsed_steps`).
    public var elapsedSteps = 0
    private var generator: SeededGenerator
    /// The array `step` returns, rewritten in place when the caller no longer holds the last one.
    private var observationBuffer: [Float] = [0, 0, 0]

    /// An environment over `model`; `seed` seeds resets made without a seed of their own.
    public init(model: PendulumModel = PendulumModel(), seed: UInt64 = 0) {
        self.model = model
        observationChannels = PendulumModel.sensorChannels
        actuatorChannels = [
            ChannelSpec(name: "hinge_torque", unit: "N·m", min: -model.maxTorque, max: model.maxTorque, safeValue: 0),
        ]
        actionSpace = .continuous(low: [-model.maxTorque], high: [model.maxTorque])
        generator = SeededGenerator(seed: seed)
    }

    /// An environment for a `simulator: pendulum` robot description, with its channels.
    public init(description: RobotDescription, seed: UInt64 = 0) throws {
        model = try PendulumModel(description: description)
        observationChannels = description.sensors
        actuatorChannels = description.actuators
        actionSpace = description.actionSpace
        generator = SeededGenerator(seed: seed)
    }

    /// The Float32 observation of the current state (cos θ, sin θ, θ̇).
    public var observation: [Float] {
        var out = [Float](repeating: 0, count: 3)
        out.withUnsafeMutableBufferPointer { Pendulum.observe(state, into: $0.baseAddress!) }
        return out
    }

    public mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { generator = SeededGenerator(seed: seed) }
        return reset(to: Pendulum.initialState(model, using: &generator))
    }

    /// Starts an episode from a chosen state (Gymnasium: `reset()` then `env.unwrapped.state = …`).
    @discardableResult
    public mutating func reset(to start: PendulumState) -> [Float] {
        state = start
        elapsedSteps = 0
        return refreshedObservation()
    }

    /// The observation of the current state, written into `observationBuffer` (in place when the caller
    /// no longer holds the last one).
    private mutating func refreshedObservation() -> [Float] {
        let current = state
        observationBuffer.withUnsafeMutableBufferPointer { Pendulum.observe(current, into: $0.baseAddress!) }
        return observationBuffer
    }

    /// Applies `.continuous([u])`, a torque in N·m (clipped to ±max_torque; NaN applies no torque).
    /// A discrete action is a programming error: the pendulum has no discrete choices.
    public mutating func step(_ action: Action) -> Step {
        let outcome = advance(action)
        return Step(observation: refreshedObservation(), reward: outcome.reward, terminated: false, truncated: outcome.truncated)
    }

    /// `step(action)` with the observation (cos θ, sin θ, θ̇) written into `observation`.
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition(observation.count >= 3, "a pendulum observation is 3 values; the buffer holds \(observation.count)")
        let outcome = advance(action)
        Pendulum.observe(state, into: observation.baseAddress!)
        return outcome
    }

    @inline(__always)
    private mutating func advance(_ action: Action) -> StepOutcome {
        guard case .continuous(let values) = action, values.count == 1 else {
            preconditionFailure("pendulum takes one continuous actuator value (hinge torque, N·m), got \(action)")
        }
        let reward = Pendulum.step(model, &state, torque: Float(values[0]))
        elapsedSteps += 1
        return StepOutcome(reward: reward, terminated: false, truncated: elapsedSteps >= model.maxEpisodeSteps)
    }
}
