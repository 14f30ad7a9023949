import ReflexCore

/// Runs a `ControlLoop` for a wall-clock duration and supervises the device's lifecycle around it:
/// link loss → reconnect (fresh handshake) → re-arm only if the user asked (`rearm`), else stay connected
/// but inactive, feeding the device's watchdog with heartbeats.
///
/// States, as ros2_control names them: the loop runs only while the device is `active`. When the link is
/// lost (I/O error, or no SENSORS for `linkTimeoutPeriods`) or the device faults, the loop has already
/// written the safe values; the deployment disarms (if the device still answers), then calls `reconnect`
/// every `reconnectIntervalNanos` until it succeeds or the run ends. After a reconnect the device is
/// `inactive`: with `rearm` it is armed again and the loop resumes; without, the deployment only sends
/// heartbeats and watches the link until the end — a robot is never re-armed silently.
public final class Deployment {
    /// How a deployment ended.
    public enum End: String, Sendable {
        /// The whole duration ran with the device armed (or re-armed).
        case completed
        /// SIGINT/SIGTERM: safe values written, then DISARM.
        case signal
        /// The observer ended the run (the task failed, e.g. the pole fell).
        case observerEnded = "observer_ended"
        /// Consecutive overruns reached the limit: safe values, then DISARM.
        case overrunLimit = "overrun_limit"
        /// The link was lost and never came back before the end.
        case linkLost = "link_lost"
        /// The link came back but the device was left disarmed (no `--rearm`).
        case disarmed
    }

    /// Link events over the run.
    public struct Events: Sendable, Equatable {
        public var linkLosses = 0
        public var deviceFaults = 0
        public var reconnects = 0
        public var rearms = 0
        public var heartbeatsSent = 0
        /// The last reason the link was lost.
        public var lastLossReason: String?
        public init() {}
    }

    public let loop: ControlLoop
    public let rearm: Bool
    public var reconnectIntervalNanos: UInt64 = 200_000_000
    /// Re-opens the port and does a fresh handshake (and channel check); throws while the device is not back.
    public var reconnect: () throws -> Void = { throw ReflexError(.link, "no reconnect configured") }
    /// Sends a HEARTBEAT (used while connected but not armed).
    public var heartbeat: () throws -> Void = {}
    /// Called when the link state changes (for logs), on the loop's thread.
    public var onEvent: (String) -> Void = { _ in }
    public private(set) var events = Events()
    /// The link as it was when the run ended.
    public private(set) var finalLink = LinkState.active

    public init(loop: ControlLoop, rearm: Bool) {
        self.loop = loop
        self.rearm = rearm
    }

    private var device: Device { loop.device }
    private var clock: ControlClock { loop.clock }

    /// Runs from `startNanos` until `endNanos` (absolute, monotonic) or a stop. The device must be active.
    public func run(startNanos: UInt64, endNanos: UInt64, observe: (Int, UnsafeBufferPointer<Float>) -> Bool) -> End {
        let period = loop.periodNanos
        var start = startNanos
        var tickOffset = 0
        while true {
            let ticks = start < endNanos ? Int((endNanos - start + period - 1) / period) : 0
            let before = loop.statistics.ticks + loop.statistics.skippedTicks
            let reason = loop.run(ticks: ticks, startNanos: start) { tick, sensors in observe(tickOffset + tick, sensors) }
            tickOffset += loop.statistics.ticks + loop.statistics.skippedTicks - before
            switch reason {
            case .completed:
                finalLink = .active
                disarm()
                return .completed
            case .stopRequested:
                finalLink = .active
                disarm()
                return .signal
            case .observerEnded:
                finalLink = .active
                disarm()
                return .observerEnded
            case .overrunLimit:
                finalLink = .active
                disarm()
                return .overrunLimit
            case .linkLost(let why):
                events.linkLosses += 1
                events.lastLossReason = why
                onEvent("link lost: \(why); safe values sent, reconnecting")
            case .deviceFault:
                events.deviceFaults += 1
                events.lastLossReason = "device fault"
                onEvent("device fault: its actuators are in their safe state; reconnecting")
                disarm()
            }
            finalLink = .lost
            // Reconnect, then re-arm or stay inactive.
            while true {
                guard awaitReconnect(until: endNanos) else { return loop.stopRequested() ? .signal : .linkLost }
                if rearm {
                    do {
                        try device.activate()
                        events.rearms += 1
                        onEvent("re-armed after reconnect (--rearm)")
                        break
                    } catch {
                        onEvent("re-arm failed: \(error)")
                        continue
                    }
                }
                onEvent("reconnected; staying disarmed (pass --rearm to re-arm after a reconnect)")
                finalLink = .inactive
                if idleWithHeartbeats(until: endNanos) { return loop.stopRequested() ? .signal : .disarmed }
                finalLink = .lost
            }
            finalLink = .active
            start = clock.nowNanos()
        }
    }

    /// Safe values, then DISARM, if the device is armed or faulted and still answers.
    private func disarm() {
        guard device.state == .active || device.state == .fault else { return }
        try? loop.writeSafeValues()
        try? device.deactivate()
    }

    /// Tries `reconnect` every interval; true once it succeeded, false at the end or on a stop.
    private func awaitReconnect(until end: UInt64) -> Bool {
        while clock.nowNanos() < end && !loop.stopRequested() {
            do {
                try reconnect()
                events.reconnects += 1
                onEvent("reconnected: fresh handshake done")
                return true
            } catch {
                clock.sleep(untilNanos: min(end, clock.nowNanos() + reconnectIntervalNanos))
            }
        }
        return false
    }

    /// Connected, not armed: a heartbeat and a sensor read every period. Returns true at the end or on a stop,
    /// false when the link is lost again.
    private func idleWithHeartbeats(until end: UInt64) -> Bool {
        let period = loop.periodNanos
        var next = clock.nowNanos()
        var stale = 0
        var scratch = [Float](repeating: 0, count: loop.policy.observationChannels.count)
        while clock.nowNanos() < end {
            if loop.stopRequested() { return true }
            do {
                try heartbeat()
                events.heartbeatsSent += 1
                let reading = try scratch.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 0) }
                if case .fresh = reading { stale = 0 } else { stale += 1 }
            } catch {
                events.linkLosses += 1
                events.lastLossReason = String(describing: error)
                onEvent("link lost while disarmed: \(error)")
                return false
            }
            if let limit = loop.options.linkTimeoutPeriods, stale >= limit {
                events.linkLosses += 1
                events.lastLossReason = "no SENSORS frame for \(stale) periods"
                onEvent("link lost while disarmed: no SENSORS frame for \(stale) periods")
                return false
            }
            next += period
            clock.sleep(untilNanos: next)
        }
        return true
    }
}
