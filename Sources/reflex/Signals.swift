#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM; polled by long-running commands so they can stop safely (disarm, remove links).
nonisolated(unsafe) private var stopSignal: sig_atomic_t = 0
/// CLOCK_MONOTONIC nanoseconds of the first stop signal (clock_gettime is async-signal-safe).
nonisolated(unsafe) private var stopSignalNanos: UInt64 = 0

private func noteStopSignal(_: Int32) {
    if stopSignal == 0 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        stopSignalNanos = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    stopSignal = 1
}

enum StopSignal {
    /// Routes SIGINT and SIGTERM to the stop flag instead of killing the process.
    static func install() {
        signal(SIGINT) { noteStopSignal($0) }
        signal(SIGTERM) { noteStopSignal($0) }
    }

    static var requested: Bool { stopSignal != 0 }

    /// When the first stop signal arrived (monotonic nanoseconds), or nil.
    static var receivedNanos: UInt64? { stopSignal != 0 && stopSignalNanos > 0 ? stopSignalNanos : nil }
}
