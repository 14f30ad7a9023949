import Dispatch
import Foundation

/// Two pieces of work side by side: one on the calling thread, one on a persistent worker thread.
///
/// The trainers split work that shares nothing (the actor's pass and the critic's, the twin critics), so the
/// results are the same whether it runs on one thread or two. A handoff is two semaphore operations and no
/// allocation: the worker's half is a closure its owner built once and keeps (it reads its inputs from the
/// owner's fields), so handing it over retains it. (A non-escaping closure cannot reach another thread
/// without `withoutActuallyEscaping`, which boxes it: 32 bytes per handoff.)
final class TwoLanes: @unchecked Sendable {
    /// What the worker thread shares with the caller (the thread keeps it alive, not the `TwoLanes`).
    private final class Shared: @unchecked Sendable {
        var job: (() -> Void)?
        var stopping = false
        let start = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
    }
    private let shared = Shared()

    init() {
        let shared = self.shared
        let thread = Thread {
            while true {
                shared.start.wait()
                if shared.stopping { break }
                shared.job?()
                shared.finished.signal()
            }
        }
        thread.name = "reflex-lane"
        thread.start()
    }

    deinit {
        shared.stopping = true
        shared.start.signal()
    }

    /// Runs `first` here and `second` (a closure the caller keeps, see the type's comment) on the worker,
    /// and returns when both are done.
    func run(_ first: () -> Void, stored second: @escaping () -> Void) {
        shared.job = second
        shared.start.signal()
        first()
        shared.finished.wait()
        shared.job = nil
    }
}

/// Runs `first` and `second` on two lanes when there are, else one after the other. `second` must be a
/// closure the caller built once and keeps (a stored property): a closure literal here would be allocated
/// on every call.
@inline(__always)
func runBoth(_ lanes: TwoLanes?, _ first: () -> Void, stored second: @escaping () -> Void) {
    if let lanes {
        lanes.run(first, stored: second)
    } else {
        first()
        second()
    }
}

/// Threads trainers use unless told otherwise (`reflex train --threads` sets it before building one).
public enum TrainingThreads {
    /// nil: the measured default, two lanes when the machine has a second core (`reflex bench train`
    /// compares 1 and 2; the results do not depend on the count).
    nonisolated(unsafe) public static var override: Int?
}

func defaultTrainingThreads() -> Int {
    max(1, min(TrainingThreads.override ?? 2, ProcessInfo.processInfo.activeProcessorCount))
}
