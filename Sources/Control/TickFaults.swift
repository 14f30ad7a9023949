/// What went wrong (or was corrected) on one tick: one bit per kind, recorded in telemetry.
public struct TickFaults: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A sensor value was NaN or infinite: the safe values went out instead of the policy's action.
    public static let nonFiniteSensor = TickFaults(rawValue: 1 << 0)
    /// The policy produced a NaN or infinite action: replaced by the safe value.
    public static let nonFiniteAction = TickFaults(rawValue: 1 << 1)
    /// An action was outside its actuator range and was clamped (a correction, not a fault).
    public static let clamped = TickFaults(rawValue: 1 << 2)
    /// The rate limit held an actuator back (a correction, not a fault).
    public static let rateLimited = TickFaults(rawValue: 1 << 3)
    /// The tick ended after the next deadline; the missed deadlines were skipped.
    public static let overrun = TickFaults(rawValue: 1 << 4)
    /// No new SENSORS frame since the previous tick.
    public static let staleRead = TickFaults(rawValue: 1 << 5)
    /// The link was declared lost on this tick.
    public static let linkLost = TickFaults(rawValue: 1 << 6)
    /// The device reported a fault (its actuators are in their safe state).
    public static let deviceFault = TickFaults(rawValue: 1 << 7)
    /// A stop was requested (SIGINT/SIGTERM): the safe values went out on this tick.
    public static let emergencyStop = TickFaults(rawValue: 1 << 8)
    /// Consecutive overruns reached the limit: the safe values went out and the loop stopped.
    public static let overrunLimit = TickFaults(rawValue: 1 << 9)

    /// The bits that count as faults (corrections and stale reads do not).
    public static let faultMask: TickFaults = [.nonFiniteSensor, .nonFiniteAction, .linkLost, .deviceFault, .overrunLimit]

    /// Names of the set bits, for reports and CSV.
    public var names: [String] {
        let all: [(TickFaults, String)] = [
            (.nonFiniteSensor, "nonfinite_sensor"), (.nonFiniteAction, "nonfinite_action"), (.clamped, "clamped"),
            (.rateLimited, "rate_limited"), (.overrun, "overrun"), (.staleRead, "stale_read"), (.linkLost, "link_lost"),
            (.deviceFault, "device_fault"), (.emergencyStop, "estop"), (.overrunLimit, "overrun_limit"),
        ]
        return all.filter { contains($0.0) }.map(\.1)
    }
}

/// The state of the link as the loop saw it on a tick.
public enum LinkState: UInt8, Sendable, CustomStringConvertible {
    /// Connected and armed: commands flow.
    case active = 0
    /// Connected, not armed (e.g. after a reconnect without `--rearm`): heartbeats only.
    case inactive = 1
    /// The link was lost; reconnecting.
    case lost = 2

    public var description: String {
        switch self {
        case .active: return "active"
        case .inactive: return "inactive"
        case .lost: return "lost"
        }
    }
}
