import Dispatch
import Foundation
import NeuralNet

/// Two pieces of work side by side: one on the calling thread, one on a persistent worker thread.
///
/// The trainers split work that shares nothing (the actor's pass and the critic's, the twin critics), so the
/// results are the same whether it runs on one thread or two. A handoff is two semaphore operations and one
/// 32-byte allocation (`withoutActuallyEscaping` boxes the closure it hands to the worker); with one
/// thread (`runBoth(nil, …)`) the training inner loop allocates nothing at all.
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

    /// Runs `first` here and `second` on the worker, and returns when both are done.
    func run(_ first: () -> Void, _ second: () -> Void) {
        withoutActuallyEscaping(second) { work in
            shared.job = work
            shared.start.signal()
            first()
            shared.finished.wait()
            shared.job = nil
        }
    }
}

/// Runs `first` and `second` on two lanes when there are, else one after the other.
@inline(__always)
func runBoth(_ lanes: TwoLanes?, _ first: () -> Void, _ second: () -> Void) {
    if let lanes {
        lanes.run(first, second)
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

/// A shared empty tensor: assigning it allocates nothing (a fresh `Tensor(zeros:)` allocates its shape).
let emptyTensor = Tensor(zeros: [0, 0])
