import Histogram

/// What a control loop run measured: tick counts, overruns, faults, lateness and the time of each phase.
///
/// Histograms are preallocated at init: recording into them does not allocate.
public struct LoopStatistics {
    /// Ticks executed (read → act → filter → write).
    public var ticks = 0
    /// Ticks whose work ended after the next deadline had passed.
    public var overruns = 0
    /// Deadlines skipped because of overruns (never caught up in a burst; the device held the last command).
    public var skippedTicks = 0
    /// Longest run of consecutive overrunning ticks.
    public var longestOverrunStreak = 0
    /// Ticks on which no new sensor frame had arrived since the previous tick.
    public var staleReads = 0
    /// Ticks on which a sensor value was NaN or infinite (the safe values went out instead of the policy's action).
    public var nonFiniteSensors = 0
    /// Ticks on which the policy produced a NaN or infinite action (replaced by the safe value).
    public var nonFiniteActions = 0
    /// Ticks on which an action was clamped to its actuator range.
    public var clampedActions = 0
    /// Ticks on which the rate limit held an actuator back.
    public var rateLimitedActions = 0
    /// Times the link was declared lost (no SENSORS for the configured number of periods, or an I/O error).
    public var linkLosses = 0
    /// Ticks on which the safety filter replaced a non-finite sensor or action value.
    public var nonFiniteValues: Int { nonFiniteSensors + nonFiniteActions }
    /// Fault ticks of every kind (non-finite values, link losses, device faults, overrun stop).
    public var faults = 0

    /// Wake-up lateness after each deadline, microseconds.
    public var lateness = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// Time from wake-up to the end of the write, microseconds.
    public var tickWork = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// Phase times, nanoseconds: device read, policy inference, safety filter, device write.
    public var readPhase = Self.phaseHistogram()
    public var actPhase = Self.phaseHistogram()
    public var filterPhase = Self.phaseHistogram()
    public var writePhase = Self.phaseHistogram()

    public init() {}

    private static func phaseHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
    }

    public struct Percentiles: Codable, Equatable, Sendable {
        public var p50: UInt64
        public var p99: UInt64
        public var p999: UInt64
        public var max: UInt64
    }

    public var latenessMicros: Percentiles { Self.percentiles(lateness) }
    public var tickWorkMicros: Percentiles { Self.percentiles(tickWork) }
    public var readNanos: Percentiles { Self.percentiles(readPhase) }
    public var actNanos: Percentiles { Self.percentiles(actPhase) }
    public var filterNanos: Percentiles { Self.percentiles(filterPhase) }
    public var writeNanos: Percentiles { Self.percentiles(writePhase) }

    public static func percentiles(_ h: Histogram<UInt64>) -> Percentiles {
        guard h.totalCount > 0 else { return Percentiles(p50: 0, p99: 0, p999: 0, max: 0) }
        return Percentiles(
            p50: h.valueAtPercentile(50), p99: h.valueAtPercentile(99), p999: h.valueAtPercentile(99.9), max: h.max)
    }
}
