import ReflexCore

/// One CartPole copy with Gymnasium CartPole-v1's semantics: `reset(seed:)` draws the start state,
/// action 0 pushes left and 1 pushes right, +1 reward per step (also on the terminating step, 0 after
/// it), `terminated` when the pole falls or the cart leaves the track, `truncated` at the step limit.
public struct CartPoleEnvironment: Environment {
    public let model: CartPoleModel
    public let observationChannels: [ChannelSpec]
    public let actuatorChannels: [ChannelSpec]
    public let actionSpace: ActionSpace
    /// The plant's state (Float64, as Gymnasium's `env.unwrapped.state`).
    public var state = CartPoleState()
    /// Steps taken since the last reset (Gymnasium's TimeLimit `_elapsed_steps`).
    public var elapsedSteps = 0
    /// The episode has terminated; further steps earn no reward.
    public private(set) var hasTerminated = false
    private var generator: SeededGenerator
    /// The array `step` returns: rewritten in place when the caller no longer holds the last one, so a
    /// step allocates nothing (copy-on-write keeps any observation the caller kept intact).
    private var observationBuffer: [Float] = [0, 0, 0, 0]

    /// An environment over `model`; `seed` seeds resets made without a seed of their own.
    public init(model: CartPoleModel = CartPoleModel(), seed: UInt64 = 0) {
        self.model = model
        observationChannels = CartPoleModel.sensorChannels
        actuatorChannels = [
            ChannelSpec(name: "cart_force", unit: "N", min: -model.forceMagnitude, max: model.forceMagnitude, safeValue: 0),
        ]
        actionSpace = .discrete(choices: [[-model.forceMagnitude], [model.forceMagnitude]])
        generator = SeededGenerator(seed: seed)
    }

    /// An environment for a `simulator: cartpole` robot description, with its channels.
    public init(description: RobotDescription, seed: UInt64 = 0) throws {
        model = try CartPoleModel(description: description)
        observationChannels = description.sensors
        actuatorChannels = description.actuators
        actionSpace = description.actionSpace
        generator = SeededGenerator(seed: seed)
    }

    /// The Float32 observation of the current state (x, ẋ, θ, θ̇).
    public var observation: [Float] {
        [Float(state.x), Float(state.xDot), Float(state.theta), Float(state.thetaDot)]
    }

    public mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { generator = SeededGenerator(seed: seed) }
        return reset(to: CartPole.initialState(model, using: &generator))
    }

    /// Starts an episode from a chosen state (Gymnasium: `reset()` then `env.unwrapped.state = …`).
    @discardableResult
    public mutating func reset(to start: CartPoleState) -> [Float] {
        state = start
        elapsedSteps = 0
        hasTerminated = false
        return refreshedObservation()
    }

    /// The observation of the current state, written into `observationBuffer`.
    @inline(__always)
    private mutating func refreshedObservation() -> [Float] {
        let current = state
        observationBuffer.withUnsafeMutableBufferPointer { CartPole.observe(current, into: $0.baseAddress!) }
        return observationBuffer
    }

    /// Applies `.discrete(0)` (push left) or `.discrete(1)` (push right); `.continuous([f])` applies a force
    /// of `f` newtons, clamped to the actuator range.
    public mutating func step(_ action: Action) -> Step {
        let outcome = advance(action)
        return Step(observation: refreshedObservation(), reward: outcome.reward, terminated: outcome.terminated, truncated: outcome.truncated)
    }

    /// `step(action)` with the observation (x, ẋ, θ, θ̇) written into `observation`.
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition(observation.count >= 4, "a cartpole observation is 4 values; the buffer holds \(observation.count)")
        let outcome = advance(action)
        CartPole.observe(state, into: observation.baseAddress!)
        return outcome
    }

    /// The step itself: dynamics, reward and episode bookkeeping.
    @inline(__always)
    private mutating func advance(_ action: Action) -> StepOutcome {
        let force: Double
        switch action {
        case .discrete(let index):
            precondition(index == 0 || index == 1, "cartpole actions are 0 (push left) and 1 (push right), got \(index)")
            force = CartPole.force(model, action: index)
        case .continuous(let values):
            precondition(values.count == 1, "cartpole takes one actuator value (cart force, N)")
            let channel = actuatorChannels[0]
            force = values[0].isFinite ? min(max(values[0], channel.min), channel.max) : (channel.safeValue ?? 0)
        }
        CartPole.step(model, &state, force: force)
        elapsedSteps += 1
        let terminated = CartPole.isTerminal(model, state)
        let reward = hasTerminated ? 0 : model.rewardPerStep
        if terminated { hasTerminated = true }
        // Gymnasium's TimeLimit reports truncation at the limit whether or not the task also ended.
        let truncated = elapsedSteps >= model.maxEpisodeSteps
        return StepOutcome(reward: reward, terminated: terminated, truncated: truncated)
    }
}
