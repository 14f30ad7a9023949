#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Time source for fixed-rate loops. Injected so tests advance a manual clock instead of sleeping.
///
/// (Named `ControlClock` rather than `Clock` so it does not shadow the standard library's `Clock`.)
public protocol ControlClock: AnyObject {
    /// Monotonic time in nanoseconds.
    func nowNanos() -> UInt64
    /// Sleeps until the absolute monotonic time `deadline` (returns at once if it has passed).
    func sleep(untilNanos deadline: UInt64)
}

/// CLOCK_MONOTONIC with absolute-deadline sleeps (`clock_nanosleep(TIMER_ABSTIME)`).
public final class MonotonicClock: ControlClock {
    public init() {}

    public func nowNanos() -> UInt64 { Self.now() }

    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public func sleep(untilNanos deadline: UInt64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        #if canImport(Glibc)
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
        #else
        let now = Self.now()
        if deadline > now { usleep(UInt32((deadline - now) / 1000)) }
        _ = ts
        #endif
    }
}

/// A clock that only moves when told to: `sleep(untilNanos:)` jumps to the deadline.
public final class ManualClock: ControlClock {
    public private(set) var now: UInt64

    public init(startNanos: UInt64 = 1_000_000_000) { now = startNanos }

    public func nowNanos() -> UInt64 { now }

    public func sleep(untilNanos deadline: UInt64) {
        if deadline > now { now = deadline }
    }

    /// Moves time forward, as a slow phase of a tick would.
    public func advance(byNanos delta: UInt64) { now += delta }
}
