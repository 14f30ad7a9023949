import ReflexCore

/// Any environment behind one concrete type, so wrappers compose on environments chosen at run time
/// (`any Environment` does not itself conform to `Environment`).
public struct AnyEnvironment: Environment {
    public var base: any Environment

    public init(_ base: any Environment) {
        self.base = base
    }

    public var observationChannels: [ChannelSpec] { base.observationChannels }
    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace { base.actionSpace }

    public mutating func reset(seed: UInt64?) -> [Float] { base.reset(seed: seed) }
    public mutating func step(_ action: Action) -> Step { base.step(action) }
    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        base.step(action, observation: observation)
    }
}

/// A seed for a wrapper's own random stream, derived from the episode's seed so that the wrapper and the
/// environment it wraps never draw from the same stream.
@inline(__always)
func derivedSeed(_ seed: UInt64, _ salt: UInt64) -> UInt64 {
    var g = SeededGenerator(seed: seed ^ salt)
    return g.next()
}
