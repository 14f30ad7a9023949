import ReflexCore

/// Maps every observation channel with a finite range linearly onto −1…1 (unit `1`); channels with an
/// infinite bound pass through unchanged.
public struct RescaleObservation<Base: Environment>: Environment {
    public var base: Base
    public let observationChannels: [ChannelSpec]
    private let centre: [Float]
    private let halfWidth: [Float]

    public init(_ base: Base) {
        self.base = base
        var channels: [ChannelSpec] = []
        var centre: [Float] = []
        var halfWidth: [Float] = []
        for c in base.observationChannels {
            if c.min.isFinite && c.max.isFinite && c.max > c.min {
                channels.append(ChannelSpec(name: c.name, unit: "1", min: -1, max: 1))
                centre.append(Float((c.min + c.max) / 2))
                halfWidth.append(Float((c.max - c.min) / 2))
            } else {
                channels.append(c)
                centre.append(0)
                halfWidth.append(1)
            }
        }
        observationChannels = channels
        self.centre = centre
        self.halfWidth = halfWidth
    }

    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace { base.actionSpace }

    public mutating func reset(seed: UInt64?) -> [Float] { scale(base.reset(seed: seed)) }

    public mutating func step(_ action: Action) -> Step {
        var result = base.step(action)
        result.observation = scale(result.observation)
        return result
    }

    private func scale(_ values: [Float]) -> [Float] {
        var out = values
        for i in out.indices {
            // Clamped so that rounding never leaves −1…1.
            let v = (out[i] - centre[i]) / halfWidth[i]
            out[i] = observationChannels[i].min == -1 ? min(max(v, -1), 1) : v
        }
        return out
    }
}

/// A continuous-action environment driven with actions in −1…1 per actuator, mapped linearly onto the
/// base action space's low…high.
public struct RescaleAction<Base: Environment>: Environment {
    public var base: Base
    private let low: [Double]
    private let high: [Double]

    /// - Throws: `ReflexError(.invalidArgument, …)` when the base environment's actions are discrete.
    public init(_ base: Base) throws {
        guard case let .continuous(low, high) = base.actionSpace else {
            throw ReflexError(.invalidArgument, "action rescaling needs continuous actions; this environment's are discrete")
        }
        self.base = base
        self.low = low
        self.high = high
    }

    public var observationChannels: [ChannelSpec] { base.observationChannels }
    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace {
        .continuous(low: Array(repeating: -1, count: low.count), high: Array(repeating: 1, count: low.count))
    }

    public mutating func reset(seed: UInt64?) -> [Float] { base.reset(seed: seed) }

    public mutating func step(_ action: Action) -> Step {
        guard case let .continuous(values) = action else { return base.step(action) }
        precondition(values.count == low.count, "expected \(low.count) action value(s), got \(values.count)")
        let mapped = values.indices.map { j in
            low[j] + (min(max(values[j], -1), 1) + 1) / 2 * (high[j] - low[j])
        }
        return base.step(.continuous(mapped))
    }
}
