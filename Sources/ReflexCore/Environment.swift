/// The outcome of one environment step, with Gymnasium's semantics.
public struct Step: Sendable {
    /// Observation after the step, one value per sensor channel.
    public var observation: [Float]
    public var reward: Double
    /// The task ended (the pole fell, the cart left the track).
    public var terminated: Bool
    /// The episode was cut by a limit that is not part of the task (time limit).
    public var truncated: Bool

    public init(observation: [Float], reward: Double, terminated: Bool, truncated: Bool) {
        self.observation = observation
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
    }
}

/// A step's outcome without its observation: what `Environment.step(_:observation:)` returns, having
/// written the observation into the caller's buffer.
public struct StepOutcome: Sendable, Equatable {
    public var reward: Double
    public var terminated: Bool
    public var truncated: Bool

    public init(reward: Double, terminated: Bool, truncated: Bool) {
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
    }
}

/// An action for one environment step.
public enum Action: Sendable, Equatable {
    case discrete(Int)
    case continuous([Double])
}

/// A single simulated robot with Gymnasium's reset/step contract.
public protocol Environment {
    /// Sensor channels, in observation order.
    var observationChannels: [ChannelSpec] { get }
    /// Actuator channels the actions drive.
    var actuatorChannels: [ChannelSpec] { get }
    var actionSpace: ActionSpace { get }
    /// Starts a new episode; a seed makes the start state reproducible.
    mutating func reset(seed: UInt64?) -> [Float]
    mutating func step(_ action: Action) -> Step
    /// `step(action)`, with the observation written into `observation` (at least one value per sensor
    /// channel) instead of returned as an array: the same step, without the array's reference counting.
    /// The default calls `step(_:)` and copies; environments whose steps cost nanoseconds implement it.
    mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome
}

extension Environment {
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        let result = step(action)
        precondition(observation.count >= result.observation.count,
                     "the observation buffer holds \(observation.count) values; this environment observes \(result.observation.count)")
        _ = observation.update(fromContentsOf: result.observation)
        return StepOutcome(reward: result.reward, terminated: result.terminated, truncated: result.truncated)
    }
}
