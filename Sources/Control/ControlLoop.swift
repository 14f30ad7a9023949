import ReflexCore

/// A fixed-rate loop that drives any `Device` with any `Policy`: each tick reads the newest sensors,
/// runs the policy, filters the action and writes it.
///
/// Deadlines are absolute (`next += period`, sleep until `next`), so jitter never accumulates. A tick
/// that ends after the next deadline is an overrun: it is counted and the deadlines already missed
/// are skipped — the device holds the last command — instead of being replayed in a burst.
public final class ControlLoop {
    public let device: Device
    public let policy: Policy
    public let clock: ControlClock
    public let periodNanos: UInt64
    public let filter: SafetyFilter
    public private(set) var statistics = LoopStatistics()
    /// Set from another thread or a signal handler's flag to end the loop after the current tick.
    public var stopRequested: () -> Bool = { false }

    private var sensors: [Float]
    private var actuators: [Float]

    public init(device: Device, policy: Policy, clock: ControlClock, periodNanos: UInt64) {
        precondition(periodNanos > 0, "period must be positive")
        self.device = device
        self.policy = policy
        self.clock = clock
        self.periodNanos = periodNanos
        filter = SafetyFilter(actuators: policy.actuatorChannels)
        sensors = [Float](repeating: 0, count: policy.observationChannels.count)
        actuators = [Float](repeating: 0, count: policy.actuatorChannels.count)
    }

    /// Runs `ticks` ticks starting at the absolute time `startNanos` (default: now).
    ///
    /// `observe(tick, sensors)` sees each tick's sensor values after the read; returning `false` ends
    /// the run early. Throws what the device throws (a lost link); statistics stay readable.
    public func run(
        ticks: Int, startNanos: UInt64? = nil,
        observe: (Int, UnsafeBufferPointer<Float>) -> Bool = { _, _ in true }
    ) throws {
        var next = startNanos ?? clock.nowNanos()
        var tick = 0
        while tick < ticks && !stopRequested() {
            clock.sleep(untilNanos: next)
            let woke = clock.nowNanos()
            _ = statistics.lateness.record(woke > next ? (woke - next) / 1000 : 0)

            let reading = try sensors.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 0) }
            if case .fresh = reading {} else { statistics.staleReads += 1 }
            let keepGoing = sensors.withUnsafeBufferPointer { observe(tick, $0) }

            var nonFinite = false
            sensors.withUnsafeBufferPointer { s in
                for v in s where !v.isFinite { nonFinite = true }
            }
            try actuators.withUnsafeMutableBufferPointer { a in
                if nonFinite {
                    // A sensor NaN must never turn into a motor command.
                    filter.safeValues(into: a)
                } else {
                    sensors.withUnsafeBufferPointer { policy.act(observation: $0, actuators: a) }
                }
                switch filter.apply(a) {
                case .passed: break
                case .clamped: statistics.clampedActions += 1
                case .replacedNonFinite: nonFinite = true
                }
                try device.write(UnsafeBufferPointer(a))
            }
            if nonFinite { statistics.nonFiniteValues += 1 }
            statistics.ticks += 1
            tick += 1

            let done = clock.nowNanos()
            _ = statistics.tickWork.record((done - woke) / 1000)
            next += periodNanos
            if done > next {
                statistics.overruns += 1
                let missed = (done - next) / periodNanos + 1
                statistics.skippedTicks += Int(missed)
                tick += Int(missed)
                next += missed * periodNanos
            }
            if !keepGoing { break }
        }
    }
}
