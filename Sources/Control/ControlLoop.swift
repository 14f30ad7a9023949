import ReflexCore

/// A fixed-rate loop that drives any `Device` with any `Policy`: each tick reads the newest sensors,
/// runs the policy, filters the action and writes it.
///
/// Deadlines are absolute (`next += period`, sleep until `next`), so jitter never accumulates. A tick
/// that ends after the next deadline is an overrun: it is counted and the deadlines already missed
/// are skipped — the device holds the last command — instead of being replayed in a burst. With
/// `OverrunPolicy.stopAfter(consecutive:)` a run of overruns that long sends the safe values and stops.
///
/// Nothing in a tick allocates: buffers are preallocated here, histograms at init, telemetry goes into a
/// preallocated ring (`TelemetryRecorder`), and warnings are summarized by the recorder's thread.
public final class ControlLoop {
    /// What the loop does when ticks overrun.
    public enum OverrunPolicy: Equatable, Sendable {
        /// Skip the missed deadlines; the device holds the last command (the default).
        case skipAndHold
        /// As `skipAndHold`, but after this many overrunning ticks in a row send the safe values and stop.
        case stopAfter(consecutive: Int)
    }

    /// Choices of one deployment.
    public struct Options: Sendable {
        public var overrunPolicy = OverrunPolicy.skipAndHold
        /// Consecutive ticks without a new SENSORS frame after which the link counts as lost; nil: never.
        public var linkTimeoutPeriods: Int? = 10
        /// Rate limit for every actuator, in its unit per tick; nil: off (see `SafetyFilter`).
        public var maxChangePerTick: Float?
        public init(overrunPolicy: OverrunPolicy = .skipAndHold, linkTimeoutPeriods: Int? = 10, maxChangePerTick: Float? = nil) {
            self.overrunPolicy = overrunPolicy
            self.linkTimeoutPeriods = linkTimeoutPeriods
            self.maxChangePerTick = maxChangePerTick
        }
    }

    /// Why `run` returned.
    public enum StopReason: Equatable, Sendable {
        /// All requested ticks ran.
        case completed
        /// `stopRequested` turned true (SIGINT/SIGTERM): the safe values were written.
        case stopRequested
        /// The observer returned false.
        case observerEnded
        /// Too many consecutive overruns: the safe values were written.
        case overrunLimit
        /// The link is gone (I/O error or no SENSORS for `linkTimeoutPeriods`); the safe values were attempted.
        case linkLost(String)
        /// The device reported a fault; its actuators are in their safe state.
        case deviceFault
    }

    public let device: Device
    public let policy: Policy
    public let clock: ControlClock
    public let periodNanos: UInt64
    public let options: Options
    public let filter: SafetyFilter
    public private(set) var statistics = LoopStatistics()
    /// Set from another thread or a signal handler's flag to end the loop; the safe values go out at once.
    public var stopRequested: () -> Bool = { false }
    /// Receives every tick; its writer thread also prints status and overrun summaries.
    public var recorder: TelemetryRecorder?
    /// Monotonic time at which the last safe values were written because of a stop request (e-stop latency).
    public private(set) var emergencyStopWrittenNanos: UInt64?
    /// Ticks over all runs (telemetry numbering).
    public private(set) var totalTicks: UInt64 = 0

    private var sensors: [Float]
    private var raw: [Float]
    private var actuators: [Float]
    /// The last command written; the rate limit measures from it.
    private var lastCommand: [Float]
    private var haveLastCommand = false
    private var consecutiveOverruns = 0
    private var consecutiveStale = 0

    public init(device: Device, policy: Policy, clock: ControlClock, periodNanos: UInt64, options: Options = Options()) {
        precondition(periodNanos > 0, "period must be positive")
        self.device = device
        self.policy = policy
        self.clock = clock
        self.periodNanos = periodNanos
        self.options = options
        filter = SafetyFilter(actuators: policy.actuatorChannels, maxChangePerTick: options.maxChangePerTick)
        sensors = [Float](repeating: 0, count: policy.observationChannels.count)
        raw = [Float](repeating: 0, count: policy.actuatorChannels.count)
        actuators = [Float](repeating: 0, count: policy.actuatorChannels.count)
        lastCommand = [Float](repeating: 0, count: policy.actuatorChannels.count)
    }

    /// The last command written to the device (filtered), in actuator order.
    public var lastCommandWritten: [Float]? { haveLastCommand ? lastCommand : nil }

    /// Runs up to `ticks` ticks starting at the absolute time `startNanos` (default: now).
    ///
    /// `observe(tick, sensors)` sees each tick's sensor values after the read (tick counts from 0 in each
    /// run); returning `false` ends the run after that tick's write. Device errors do not escape: they end
    /// the run with `.linkLost`; statistics stay readable.
    @discardableResult
    public func run(
        ticks: Int, startNanos: UInt64? = nil,
        observe: (Int, UnsafeBufferPointer<Float>) -> Bool = { _, _ in true }
    ) -> StopReason {
        var next = startNanos ?? clock.nowNanos()
        var tick = 0
        consecutiveOverruns = 0
        consecutiveStale = 0
        policy.reset()  // readings from before this run (or before a reconnect) are not this run's history
        var actedThisRun = false
        while tick < ticks {
            if stopRequested() { return emergencyStop(deadline: next) }
            clock.sleep(untilNanos: next)
            let woke = clock.nowNanos()
            let lateNanos = woke > next ? woke - next : 0
            _ = statistics.lateness.record(lateNanos / 1000)
            if stopRequested() { return emergencyStop(deadline: next) }

            // Read.
            var faults: TickFaults = []
            let reading: SensorReading
            do {
                reading = try sensors.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 0) }
            } catch {
                return linkLost(String(describing: error), deadline: next, woke: woke)
            }
            let fresh: Bool
            if case .fresh = reading { fresh = true } else { fresh = false }
            if fresh {
                consecutiveStale = 0
            } else {
                statistics.staleReads += 1
                consecutiveStale += 1
                faults.insert(.staleRead)
                if let limit = options.linkTimeoutPeriods, consecutiveStale >= limit {
                    return linkLost("no SENSORS frame for \(consecutiveStale) periods", deadline: next, woke: woke)
                }
            }
            if device.state == .fault { return deviceFault(deadline: next, woke: woke) }
            let afterRead = clock.nowNanos()
            let keepGoing = sensors.withUnsafeBufferPointer { observe(tick, $0) }

            // Act: a sensor NaN must never turn into a motor command. A stale read (no new frame this period)
            // repeats the last command instead of feeding the policy the same reading twice: a policy that
            // keeps history (stacked frames, a velocity from successive readings) would take the repeat for a
            // reading one period later — a stopped pendulum — and then see the next one two periods apart.
            let sensorsFinite = sensors.withUnsafeBufferPointer { SafetyFilter.allFinite($0) }
            if sensorsFinite && (fresh || !actedThisRun) {
                sensors.withUnsafeBufferPointer { s in raw.withUnsafeMutableBufferPointer { policy.act(observation: s, actuators: $0) } }
                actedThisRun = true
            } else if sensorsFinite {
                // Stale: `raw` still holds the policy's last output.
            } else {
                faults.insert(.nonFiniteSensor)
                raw.withUnsafeMutableBufferPointer { filter.safeValues(into: $0) }
            }
            let afterAct = clock.nowNanos()

            // Filter.
            for i in 0..<actuators.count { actuators[i] = raw[i] }
            let actions = actuators.withUnsafeMutableBufferPointer { a in
                lastCommand.withUnsafeBufferPointer { filter.apply(a, previous: haveLastCommand ? $0 : nil) }
            }
            if actions.contains(.replacedNonFinite) { faults.insert(.nonFiniteAction) }
            if actions.contains(.clamped) { faults.insert(.clamped); statistics.clampedActions += 1 }
            if actions.contains(.rateLimited) { faults.insert(.rateLimited); statistics.rateLimitedActions += 1 }
            if faults.contains(.nonFiniteSensor) { statistics.nonFiniteSensors += 1 }
            if faults.contains(.nonFiniteAction) { statistics.nonFiniteActions += 1 }
            let afterFilter = clock.nowNanos()

            // Write.
            if device.state == .fault { return deviceFault(deadline: next, woke: woke) }
            do {
                try actuators.withUnsafeBufferPointer { try device.write($0) }
            } catch {
                if device.state == .fault { return deviceFault(deadline: next, woke: woke) }
                return linkLost(String(describing: error), deadline: next, woke: woke)
            }
            for i in 0..<actuators.count { lastCommand[i] = actuators[i] }
            haveLastCommand = true
            let done = clock.nowNanos()

            statistics.ticks += 1
            tick += 1
            _ = statistics.tickWork.record((done - woke) / 1000)
            _ = statistics.readPhase.record(afterRead - woke)
            _ = statistics.actPhase.record(afterAct - afterRead)
            _ = statistics.filterPhase.record(afterFilter - afterAct)
            _ = statistics.writePhase.record(done - afterFilter)
            if !faults.isDisjoint(with: TickFaults.faultMask) { statistics.faults += 1 }

            let deadline = next
            next += periodNanos
            var missed: UInt64 = 0
            if done > next {
                statistics.overruns += 1
                consecutiveOverruns += 1
                statistics.longestOverrunStreak = max(statistics.longestOverrunStreak, consecutiveOverruns)
                faults.insert(.overrun)
                missed = (done - next) / periodNanos + 1
                statistics.skippedTicks += Int(missed)
                tick += Int(missed)
                next += missed * periodNanos
            } else {
                consecutiveOverruns = 0
            }
            let phases = (afterRead - woke, afterAct - afterRead, afterFilter - afterAct, done - afterFilter)
            if case .stopAfter(let limit) = options.overrunPolicy, consecutiveOverruns >= limit {
                faults.insert(.overrunLimit)
                statistics.faults += 1
                record(deadline: deadline, woke: woke, phases: phases, faults: faults, skipped: missed)
                try? writeSafeValues()
                return .overrunLimit
            }
            record(deadline: deadline, woke: woke, phases: phases, faults: faults, skipped: missed)
            if !keepGoing { return .observerEnded }
        }
        return stopRequested() ? emergencyStop(deadline: next) : .completed
    }

    /// Writes every actuator's safe value (only when the device is active; otherwise it is safe already).
    public func writeSafeValues() throws {
        guard device.state == .active else { return }
        try actuators.withUnsafeMutableBufferPointer { a in
            filter.safeValues(into: a)
            try device.write(UnsafeBufferPointer(a))
        }
        for i in 0..<actuators.count { lastCommand[i] = actuators[i] }
        haveLastCommand = true
    }

    // MARK: Ending a run

    private func emergencyStop(deadline: UInt64) -> StopReason {
        let now = clock.nowNanos()
        try? writeSafeValues()
        emergencyStopWrittenNanos = clock.nowNanos()
        record(deadline: deadline, woke: now, phases: (0, 0, 0, 0), faults: [.emergencyStop], skipped: 0)
        return .stopRequested
    }

    private func linkLost(_ why: String, deadline: UInt64, woke: UInt64) -> StopReason {
        statistics.linkLosses += 1
        statistics.faults += 1
        try? writeSafeValues()
        record(deadline: deadline, woke: woke, phases: (0, 0, 0, 0), faults: [.linkLost], skipped: 0)
        return .linkLost(why)
    }

    private func deviceFault(deadline: UInt64, woke: UInt64) -> StopReason {
        statistics.faults += 1
        record(deadline: deadline, woke: woke, phases: (0, 0, 0, 0), faults: [.deviceFault], skipped: 0)
        return .deviceFault
    }

    private func record(
        deadline: UInt64, woke: UInt64, phases: (UInt64, UInt64, UInt64, UInt64), faults: TickFaults, skipped: UInt64
    ) {
        defer { totalTicks += 1 }
        guard let recorder else { return }
        let link: LinkState = faults.contains(.linkLost) ? .lost : device.state == .active ? .active : .inactive
        sensors.withUnsafeBufferPointer { s in
            raw.withUnsafeBufferPointer { r in
                actuators.withUnsafeBufferPointer { a in
                    recorder.record(
                        TickRecordHeader(
                            tick: totalTicks, deadlineNanos: deadline, wokeNanos: woke, readNanos: phases.0, actNanos: phases.1,
                            filterNanos: phases.2, writeNanos: phases.3, faults: faults, skipped: skipped, link: link),
                        sensors: s, raw: r, filtered: a)
                }
            }
        }
    }
}
