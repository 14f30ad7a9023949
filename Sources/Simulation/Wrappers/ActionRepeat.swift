import ReflexCore

/// Applies each action for `repeats` base steps and sums their rewards (frame skip); stops early when
/// the episode terminates or is truncated.
public struct ActionRepeat<Base: Environment>: Environment {
    public var base: Base
    public let repeats: Int

    public init(_ base: Base, repeats: Int) {
        precondition(repeats >= 1, "an action is applied at least once")
        self.base = base
        self.repeats = repeats
    }

    public var observationChannels: [ChannelSpec] { base.observationChannels }
    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace { base.actionSpace }

    public mutating func reset(seed: UInt64?) -> [Float] { base.reset(seed: seed) }

    public mutating func step(_ action: Action) -> Step {
        var result = base.step(action)
        var total = result.reward
        var done = result.terminated || result.truncated
        var taken = 1
        while !done && taken < repeats {
            result = base.step(action)
            total += result.reward
            done = result.terminated || result.truncated
            taken += 1
        }
        result.reward = total
        return result
    }
}
