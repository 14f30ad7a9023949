import Dispatch
import Foundation
#if os(Linux)
import Glibc
import Synchronization
#endif

/// Persistent threads that step a vector environment's copies with the calling thread.
///
/// The copies are cut into chunks that depend on the copy count only; the caller and the workers claim
/// chunks from a shared counter until none are left. Results are the same for any thread count (a chunk's
/// result depends on its copies alone), and a worker the scheduler has not run yet costs nothing: the
/// caller claims the chunks it would have taken. At millions of copies per second a handoff has to be
/// cheap: `DispatchQueue.concurrentPerform` costs several microseconds per call; here the caller publishes
/// a job with two atomic stores, and workers that were busy a moment ago are spinning on it. A worker
/// that has spun for a fraction of a millisecond without work parks on a condition variable, so idle
/// environments take no CPU.
final class VectorWorkers: @unchecked Sendable {
    /// Threads that step copies, the caller included.
    let threads: Int

    init(threads: Int) {
        self.threads = max(1, threads)
        #if os(Linux)
        shared = Shared()
        #endif
    }

    #if os(Linux)
    deinit {
        guard started else { return }
        shared.stopping.store(true, ordering: .sequentiallyConsistent)
        shared.epoch.wrappingAdd(1, ordering: .sequentiallyConsistent)
        shared.wakeAll()
    }

    /// Runs `body(chunk)` for every chunk in 0..<chunks, spread over the threads; returns when all ran.
    func run(chunks: Int, _ body: (Int) -> Void) {
        precondition(chunks < 1 << 20, "at most 2^20 chunks per call, got \(chunks)")
        if threads == 1 || chunks <= 1 {
            for c in 0..<chunks { body(c) }
            return
        }
        if !started { start() }
        withoutActuallyEscaping(body) { job in
            let s = shared
            s.job = job
            s.completed.store(0, ordering: .relaxed)
            let epoch = (s.epoch.load(ordering: .relaxed) &+ 1) & Shared.epochMask
            s.claims.store(epoch << 40 | chunks << 20, ordering: .releasing)
            s.epoch.store(epoch, ordering: .sequentiallyConsistent)
            if s.sleepers.load(ordering: .sequentiallyConsistent) > 0 { s.wakeAll() }
            while let c = s.claim(epoch) {
                job(c)
                s.completed.wrappingAdd(1, ordering: .releasing)
            }
            // Only chunks a worker has claimed are left; they are running now.
            var spins = 0
            while s.completed.load(ordering: .acquiring) < chunks {
                spins += 1
                if spins & 255 == 0 { sched_yield() }
            }
            s.job = nil
        }
    }

    /// What the worker threads share with the caller (the threads keep it alive, not the workers object).
    private final class Shared: @unchecked Sendable {
        static let epochMask = (1 << 23) - 1
        /// Bumped to publish a job.
        let epoch = Atomic<Int>(0)
        /// epoch << 40 | chunks << 20 | next chunk: a claim is valid only for the epoch it was made in,
        /// so a worker that wakes late never takes a chunk of a newer job with an old job's closure.
        let claims = Atomic<Int>(0)
        let completed = Atomic<Int>(0)
        let sleepers = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
        /// The current job; read by a worker only after it claimed a chunk, when the job cannot end.
        var job: ((Int) -> Void)?
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

        init() {
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(condition, nil)
        }

        deinit {
            pthread_cond_destroy(condition)
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
            condition.deallocate()
        }

        func wakeAll() {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }

        /// The next chunk of job `epoch`, or nil when all are taken or the job is gone.
        @inline(__always)
        func claim(_ epoch: Int) -> Int? {
            var current = claims.load(ordering: .acquiring)
            while true {
                let chunks = (current >> 20) & 0xFFFFF, next = current & 0xFFFFF
                guard current >> 40 == epoch, next < chunks else { return nil }
                let (exchanged, original) = claims.compareExchange(
                    expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
                if exchanged { return next }
                current = original
            }
        }

        func work() {
            var seen = 0
            while true {
                var spins = 0
                var epoch = self.epoch.load(ordering: .acquiring)
                while epoch == seen {
                    spins += 1
                    if spins & 255 == 0 { sched_yield() }
                    if spins > 50_000 {
                        // Park: the caller looks at `sleepers` after publishing, we look at `epoch` after
                        // counting ourselves in, both sequentially consistent, so no wake-up is lost.
                        pthread_mutex_lock(mutex)
                        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                        if self.epoch.load(ordering: .sequentiallyConsistent) == seen {
                            pthread_cond_wait(condition, mutex)
                        }
                        sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                        pthread_mutex_unlock(mutex)
                        spins = 0
                    }
                    epoch = self.epoch.load(ordering: .acquiring)
                }
                seen = epoch
                if stopping.load(ordering: .sequentiallyConsistent) { return }
                while let c = claim(epoch) {
                    job?(c)
                    completed.wrappingAdd(1, ordering: .releasing)
                }
            }
        }
    }

    private let shared: Shared
    private var started = false

    private func start() {
        started = true
        for k in 1..<threads {
            let shared = self.shared
            let thread = Thread { shared.work() }
            thread.name = "reflex-sim-\(k)"
            thread.start()
        }
    }
    #else
    /// Runs `body(chunk)` for every chunk in 0..<chunks, spread over the threads; returns when all ran.
    func run(chunks: Int, _ body: (Int) -> Void) {
        if threads == 1 || chunks <= 1 {
            for c in 0..<chunks { body(c) }
            return
        }
        let lanes = min(threads, chunks)
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            for c in stride(from: lane, to: chunks, by: lanes) { body(c) }
        }
    }
    #endif
}
