import ReflexCore

/// What every vector environment shares, whatever its actions: N copies stepped in one call, with
/// automatic reset.
///
/// Buffers are laid out as structure of arrays and owned by the environment; the trainer reads
/// them after each `step`. When a copy ends (terminated or truncated) it is reset at once:
/// `observations` then holds the new episode's first observation and `finalObservations` the last
/// observation of the episode that ended (needed to bootstrap truncated episodes).
public protocol VectorEnvironmentBase: AnyObject {
    var count: Int { get }
    var observationSize: Int { get }
    /// [count × observationSize]
    var observations: [Float] { get }
    /// [count × observationSize], valid for copies whose episode ended this step.
    var finalObservations: [Float] { get }
    /// [count]
    var rewards: [Float] { get }
    /// [count]
    var terminated: [Bool] { get }
    /// [count]
    var truncated: [Bool] { get }
    /// Episodes that ended during the last `step`: (return, length).
    var finishedEpisodes: [(score: Double, length: Int)] { get }
    /// Resets every copy; copy i uses a seed derived from `seed` and i.
    func reset(seed: UInt64)
}

/// N copies of a discrete-action environment (CartPole).
public protocol VectorEnvironment: VectorEnvironmentBase {
    /// Number of discrete actions.
    var actionCount: Int { get }
    /// Steps every copy with actions[i] ∈ 0..<actionCount.
    func step(_ actions: [Int32])
}

/// N copies of a continuous-action environment (Pendulum).
public protocol ContinuousVectorEnvironment: VectorEnvironmentBase {
    /// Actuator values per copy and step.
    var actionSize: Int { get }
    /// [actionSize] bounds of each actuator value, in actuator units; the environment clips to them.
    var actionLow: [Float] { get }
    var actionHigh: [Float] { get }
    /// Steps every copy with actions laid out [count × actionSize], in actuator units.
    func step(_ actions: [Float])
}
