import ReflexCore

/// Truncates episodes after `maxSteps` steps (Gymnasium's TimeLimit): `truncated` at the limit, also
/// when the task ended on that step; the base environment's own truncation passes through.
public struct TimeLimit<Base: Environment>: Environment {
    public var base: Base
    public let maxSteps: Int
    /// Steps since the last reset.
    public private(set) var elapsedSteps = 0

    public init(_ base: Base, maxSteps: Int) {
        precondition(maxSteps > 0, "a time limit must allow at least one step")
        self.base = base
        self.maxSteps = maxSteps
    }

    public var observationChannels: [ChannelSpec] { base.observationChannels }
    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace { base.actionSpace }

    public mutating func reset(seed: UInt64?) -> [Float] {
        elapsedSteps = 0
        return base.reset(seed: seed)
    }

    public mutating func step(_ action: Action) -> Step {
        var result = base.step(action)
        elapsedSteps += 1
        if elapsedSteps >= maxSteps { result.truncated = true }
        return result
    }
}
