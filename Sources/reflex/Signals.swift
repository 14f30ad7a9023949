#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM; polled by long-running commands so they can stop safely (disarm, remove links).
nonisolated(unsafe) private var stopSignal: sig_atomic_t = 0

enum StopSignal {
    /// Routes SIGINT and SIGTERM to the stop flag instead of killing the process.
    static func install() {
        signal(SIGINT) { _ in stopSignal = 1 }
        signal(SIGTERM) { _ in stopSignal = 1 }
    }

    static var requested: Bool { stopSignal != 0 }
}
