#if canImport(Glibc)
import Glibc
#endif
import ReflexCore

/// The monotonic clock, with sleeps that end early when a stop is requested: a SIGINT/SIGTERM that arrives
/// while the loop sleeps interrupts `clock_nanosleep` (EINTR), and the loop sends the safe values at once
/// instead of at the next deadline.
///
/// For the interruption to reach the loop, the signal must be delivered to the loop's thread: other threads
/// block SIGINT/SIGTERM (`blockStopSignalsOnThisThread`, as the telemetry writer does). If one is delivered
/// elsewhere anyway, the loop still sees the flag at its next deadline — within one period.
public final class StoppableClock: ControlClock {
    private let shouldStop: () -> Bool

    public init(shouldStop: @escaping () -> Bool) { self.shouldStop = shouldStop }

    public func nowNanos() -> UInt64 { MonotonicClock.now() }

    public func sleep(untilNanos deadline: UInt64) {
        #if canImport(Glibc)
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {
            if shouldStop() { return }
        }
        #else
        MonotonicClock().sleep(untilNanos: deadline)
        #endif
    }

    /// Blocks SIGINT and SIGTERM on the calling thread, so the kernel delivers them to the control loop's thread.
    public static func blockStopSignalsOnThisThread() {
        #if canImport(Glibc)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        #endif
    }
}
