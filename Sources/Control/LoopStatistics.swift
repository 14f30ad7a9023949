import Histogram

/// What a control loop run measured: tick counts, overruns and lateness.
public struct LoopStatistics {
    /// Ticks executed (read → act → write).
    public var ticks = 0
    /// Ticks whose work ended after the next deadline had passed.
    public var overruns = 0
    /// Deadlines skipped because of overruns (never caught up in a burst).
    public var skippedTicks = 0
    /// Ticks on which no new sensor frame had arrived since the previous tick.
    public var staleReads = 0
    /// Ticks on which the safety filter replaced a non-finite sensor or action value.
    public var nonFiniteValues = 0
    /// Ticks on which an action was clamped to its actuator range.
    public var clampedActions = 0
    /// Wake-up lateness after each deadline, microseconds.
    public var lateness = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// Time from wake-up to the end of the write, microseconds.
    public var tickWork = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    public init() {}

    public struct Percentiles: Codable, Equatable, Sendable {
        public var p50: UInt64
        public var p99: UInt64
        public var max: UInt64
    }

    public var latenessMicros: Percentiles { Self.percentiles(lateness) }
    public var tickWorkMicros: Percentiles { Self.percentiles(tickWork) }

    private static func percentiles(_ h: Histogram<UInt64>) -> Percentiles {
        guard h.totalCount > 0 else { return Percentiles(p50: 0, p99: 0, max: 0) }
        return Percentiles(p50: h.valueAtPercentile(50), p99: h.valueAtPercentile(99), max: h.max)
    }
}
