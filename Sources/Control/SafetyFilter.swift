import ReflexCore

/// Sits between the policy and the device: non-finite values never reach a motor, actions stay inside the
/// actuator ranges of the policy file, and (optionally) no actuator moves by more than a set step per tick.
///
/// Order per channel: a non-finite value becomes the channel's safe value (and is reported, so the loop
/// records a fault); a finite value is clamped to the channel's range, then limited to
/// `previous ± maxChangePerTick`. Safe values themselves are never rate-limited: stopping wins over smoothness.
///
/// The rate limit is off by default (CartPole's policy is bang-bang: ±10 N every tick is its normal motion).
/// Turn it on per deployment with `reflex run --max-change-per-tick X` (one value for every actuator, in the
/// actuator's unit per tick).
public struct SafetyFilter {
    public let actuators: [ChannelSpec]
    /// Largest change of each actuator between two consecutive ticks, in its unit; nil: no rate limit.
    public let maxChangePerTick: Float?
    private let safe: [Float]
    private let low: [Float]
    private let high: [Float]

    /// What the filter did to one tick's action (several may apply to different channels).
    public struct Actions: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// A value was outside its actuator range and was clamped.
        public static let clamped = Actions(rawValue: 1)
        /// A value moved more than `maxChangePerTick` from the previous command and was limited.
        public static let rateLimited = Actions(rawValue: 2)
        /// A non-finite value was replaced by the channel's safe value.
        public static let replacedNonFinite = Actions(rawValue: 4)
    }

    /// - Parameter maxChangePerTick: nil (default) turns the rate limit off; otherwise positive and finite.
    public init(actuators: [ChannelSpec], maxChangePerTick: Float? = nil) {
        precondition(maxChangePerTick.map { $0 > 0 && $0.isFinite } ?? true, "maxChangePerTick must be positive")
        self.actuators = actuators
        self.maxChangePerTick = maxChangePerTick
        safe = actuators.map { Float(Self.safeValue(of: $0)) }
        low = actuators.map { Float($0.min) }
        high = actuators.map { Float($0.max) }
    }

    /// The value an actuator takes when disarmed or faulted: its declared safe value, else 0 clamped to its range.
    public static func safeValue(of spec: ChannelSpec) -> Double {
        spec.safeValue ?? Swift.min(Swift.max(0, spec.min), spec.max)
    }

    /// Filters `values` in place. `previous` is the last command written (nil before the first one): the
    /// rate limit is measured from it.
    public func apply(_ values: UnsafeMutableBufferPointer<Float>, previous: UnsafeBufferPointer<Float>? = nil) -> Actions {
        var actions: Actions = []
        let n = Swift.min(values.count, actuators.count)
        for i in 0..<n {
            var v = values[i]
            if !v.isFinite {
                values[i] = safe[i]
                actions.insert(.replacedNonFinite)
                continue
            }
            if v < low[i] || v > high[i] {
                v = Swift.min(Swift.max(v, low[i]), high[i])
                actions.insert(.clamped)
            }
            if let step = maxChangePerTick, let previous, i < previous.count, previous[i].isFinite {
                let from = previous[i]
                if v > from + step {
                    v = from + step
                    actions.insert(.rateLimited)
                } else if v < from - step {
                    v = from - step
                    actions.insert(.rateLimited)
                }
            }
            values[i] = v
        }
        return actions
    }

    /// Sets every actuator to its safe value.
    public func safeValues(into values: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<Swift.min(values.count, safe.count) { values[i] = safe[i] }
    }

    /// True when every value is finite (sensor guard).
    public static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
        for v in values where !v.isFinite { return false }
        return true
    }
}
