import ReflexCore

/// Delays each observation channel by a whole number of control periods: the value reported after
/// step t is the one the base environment reported after step t − latency. At reset, the history is
/// filled with the first observation (the sensor has been reading the start state).
public struct SensorLatency<Base: Environment>: Environment {
    public var base: Base
    /// Periods of delay per channel.
    public let latency: [Int]
    /// Ring of the last `depth` observations, newest at `head`; [depth × channels].
    private var history: [Float]
    private var head = 0
    private let depth: Int

    public init(_ base: Base, latency: [Int]) {
        let n = base.observationChannels.count
        precondition(latency.count == n && latency.allSatisfy { $0 >= 0 }, "one latency ≥ 0 per sensor channel (\(n))")
        self.base = base
        self.latency = latency
        depth = (latency.max() ?? 0) + 1
        history = Array(repeating: 0, count: depth * n)
    }

    public var observationChannels: [ChannelSpec] { base.observationChannels }
    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace { base.actionSpace }

    public mutating func reset(seed: UInt64?) -> [Float] {
        let first = base.reset(seed: seed)
        for slot in 0..<depth { record(first, at: slot) }
        head = 0
        return first
    }

    public mutating func step(_ action: Action) -> Step {
        var result = base.step(action)
        head = (head + 1) % depth
        record(result.observation, at: head)
        let n = latency.count
        for i in 0..<n {
            let slot = (head - latency[i] + depth) % depth
            result.observation[i] = history[slot * n + i]
        }
        return result
    }

    private mutating func record(_ observation: [Float], at slot: Int) {
        let n = latency.count
        for i in 0..<n { history[slot * n + i] = observation[i] }
    }
}

/// Delays actions by a whole number of control periods: the action sent at step t is applied at step
/// t + latency. Until then the actuators hold `idle` (their safe values), as after a reset.
public struct ActuatorLatency<Base: Environment>: Environment {
    public var base: Base
    public let latency: Int
    /// The action applied while the first commands are in flight.
    public let idle: Action
    private var pending: [Action]
    private var head = 0

    public init(_ base: Base, latency: Int, idle: Action? = nil) {
        precondition(latency >= 0, "latency must be ≥ 0")
        self.base = base
        self.latency = latency
        let resting = idle ?? Self.safeAction(base)
        self.idle = resting
        pending = Array(repeating: resting, count: latency)
    }

    /// The actuators' safe values: for continuous actions the safe values clipped to the action space,
    /// for discrete actions the choice closest to them (the first on a tie).
    public static func safeAction(_ env: Base) -> Action {
        let safe = env.actuatorChannels.map { $0.safeValue ?? 0 }
        switch env.actionSpace {
        case let .continuous(low, high):
            return .continuous(safe.indices.map { min(max(safe[$0], low[$0]), high[$0]) })
        case let .discrete(choices):
            var best = 0
            var bestDistance = Double.infinity
            for (i, choice) in choices.enumerated() {
                let distance = zip(choice, safe).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                if distance < bestDistance { (best, bestDistance) = (i, distance) }
            }
            return .discrete(best)
        }
    }

    public var observationChannels: [ChannelSpec] { base.observationChannels }
    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace { base.actionSpace }

    public mutating func reset(seed: UInt64?) -> [Float] {
        for i in pending.indices { pending[i] = idle }
        head = 0
        return base.reset(seed: seed)
    }

    public mutating func step(_ action: Action) -> Step {
        guard latency > 0 else { return base.step(action) }
        let applied = pending[head]
        pending[head] = action
        head = (head + 1) % latency
        return base.step(applied)
    }
}
