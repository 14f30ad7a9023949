import Dispatch
import Foundation
#if os(Linux)
import Glibc
import Synchronization
#endif

/// Persistent threads that step a vector environment's copies with the calling thread.
///
/// The copies are cut into chunks that depend on the copy count only, and every thread has a home range
/// of them, the same on every call: thread k takes chunks k·C/T ..< (k+1)·C/T from the front, so a copy's
/// state stays in the cache of the core that stepped it last time. A thread whose range is done takes the
/// others' remaining chunks from the back. Results are the same for any thread count (a chunk's result
/// depends on its copies alone), and a worker the scheduler has not run yet costs nothing: the caller
/// takes the chunks it would have stepped.
///
/// At hundreds of millions of copy-steps per second a call lasts microseconds, so the handoff has to be
/// cheap: `DispatchQueue.concurrentPerform` costs several microseconds per call; here the caller publishes
/// a job with one store per thread and one to the epoch, a worker that was busy a moment ago is spinning
/// on the epoch, each range lives on its own cache line (claims touch the owner's line only, until it
/// steals), and a worker reports its finished chunks with one atomic add per call, not per chunk. A worker
/// that has spun for a fraction of a millisecond without work parks on a condition variable, so idle
/// environments take no CPU. On a shared machine the scheduler may stop a worker in the middle of a chunk;
/// the caller then waits for that worker's next time slice, so after such a wait it steps a few
/// milliseconds' worth of calls alone (the results are the same either way).
final class VectorWorkers: @unchecked Sendable {
    /// Threads that step copies, the caller included.
    let threads: Int

    init(threads: Int) {
        self.threads = max(1, threads)
        #if os(Linux)
        shared = Shared(threads: self.threads)
        #endif
    }

    #if os(Linux)
    deinit {
        guard started else { return }
        shared.stopping.store(true, ordering: .sequentiallyConsistent)
        shared.epoch.pointee.wrappingAdd(1, ordering: .sequentiallyConsistent)
        shared.wakeAll()
    }

    /// Runs `body(chunk)` for every chunk in 0..<chunks, spread over the threads; returns when all ran.
    func run(chunks: Int, _ body: (Int) -> Void) {
        precondition(chunks < 1 << 20, "at most 2^20 chunks per call, got \(chunks)")
        if threads == 1 || chunks <= 1 || soloCalls > 0 {
            if soloCalls > 0 { soloCalls -= 1 }
            for c in 0..<chunks { body(c) }
            return
        }
        if !started { start() }
        withoutActuallyEscaping(body) { job in
            let s = shared
            s.job = job
            let epoch = (s.epoch.pointee.load(ordering: .relaxed) &+ 1) & Shared.epochMask
            for k in 0..<threads {
                let first: Int = k * chunks / threads, end: Int = (k + 1) * chunks / threads
                s.range(k).pointee.store(epoch << 40 | end << 20 | first, ordering: .releasing)
            }
            s.epoch.pointee.store(epoch, ordering: .sequentiallyConsistent)
            if s.sleepers.load(ordering: .sequentiallyConsistent) > 0 { s.wakeAll() }
            let began = Self.nanoseconds()
            let done = s.work(epoch, home: 0, job)
            let workEnd = Self.nanoseconds()
            // A chunk takes about what the caller's took; waiting many times that means a stall.
            let stall = max(Self.stallNanoseconds, 8 * (workEnd - began) / max(done, 1))
            // Only chunks a worker has claimed are left; they are running now, unless the scheduler took
            // the worker's core in the middle of one (a shared machine): then the caller waits for its next
            // time slice, milliseconds for microseconds of work, and steps the next `soloStretch` calls alone.
            var spins = 0
            while s.completed.pointee.load(ordering: .acquiring) < chunks - done {
                spins += 1
                if spins & 255 == 0 {
                    if Self.nanoseconds() - workEnd > stall { soloCalls = Self.soloStretch }
                    sched_yield()
                }
            }
            s.completed.pointee.store(0, ordering: .relaxed)
            s.job = nil
        }
    }

    /// What the worker threads share with the caller (the threads keep it alive, not the workers object).
    private final class Shared: @unchecked Sendable {
        static let epochMask = (1 << 23) - 1
        /// Atomic words 128 bytes apart: no two threads' hot words share a cache line (or an adjacent-line
        /// prefetch pair).
        static let spacing = 16
        let threads: Int
        /// Word 0: the epoch, bumped to publish a job. Word 1: chunks finished by the workers in this job.
        /// Word 2 + k: thread k's range, epoch << 40 | end << 20 | next; a claim is valid only for the epoch
        /// it was made in, so a worker that wakes late never takes a chunk of a newer job with an old job's
        /// closure.
        private let words: UnsafeMutablePointer<Atomic<Int>>
        let sleepers = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
        /// The current job; read by a worker only after it claimed a chunk, when the job cannot end.
        var job: ((Int) -> Void)?
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

        var epoch: UnsafeMutablePointer<Atomic<Int>> { words }
        var completed: UnsafeMutablePointer<Atomic<Int>> { words + Self.spacing }
        func range(_ k: Int) -> UnsafeMutablePointer<Atomic<Int>> { words + (2 + k) * Self.spacing }

        init(threads: Int) {
            self.threads = threads
            let slots = (2 + threads) * Self.spacing
            words = UnsafeMutableRawPointer.allocate(byteCount: slots * MemoryLayout<Int>.stride, alignment: 128)
                .bindMemory(to: Atomic<Int>.self, capacity: slots)
            for i in 0..<slots { (words + i).initialize(to: Atomic<Int>(0)) }
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(condition, nil)
        }

        deinit {
            words.deinitialize(count: (2 + threads) * Self.spacing)
            UnsafeMutableRawPointer(words).deallocate()
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

        /// The next chunk of range `k` in job `epoch` (from the front for its owner, from the back for
        /// another thread), or nil when the range is used up or belongs to another job.
        @inline(__always)
        func claim(_ k: Int, _ epoch: Int, fromBack: Bool) -> Int? {
            let word = range(k)
            var current = word.pointee.load(ordering: .acquiring)
            while true {
                let end = (current >> 20) & 0xFFFFF, next = current & 0xFFFFF
                guard current >> 40 == epoch, next < end else { return nil }
                let desired = fromBack ? current - (1 << 20) : current + 1
                let (exchanged, original) = word.pointee.compareExchange(
                    expected: current, desired: desired, ordering: .acquiringAndReleasing)
                if exchanged { return fromBack ? end - 1 : next }
                current = original
            }
        }

        /// Runs the chunks of job `epoch` this thread can claim: its home range, then the others'.
        /// Returns how many it ran.
        @inline(__always)
        func work(_ epoch: Int, home: Int, _ job: (Int) -> Void) -> Int {
            var done = 0
            while let c = claim(home, epoch, fromBack: false) {
                job(c)
                done += 1
            }
            for step in 1..<threads {
                let other = (home + step) % threads
                while let c = claim(other, epoch, fromBack: true) {
                    job(c)
                    done += 1
                }
            }
            return done
        }

        func workerLoop(home: Int) {
            var seen = 0
            while true {
                var spins = 0
                var epoch = self.epoch.pointee.load(ordering: .acquiring)
                while epoch == seen {
                    spins += 1
                    if spins & 255 == 0 { sched_yield() }
                    if spins > 50_000 {
                        // Park: the caller looks at `sleepers` after publishing, we look at `epoch` after
                        // counting ourselves in, both sequentially consistent, so no wake-up is lost.
                        pthread_mutex_lock(mutex)
                        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                        if self.epoch.pointee.load(ordering: .sequentiallyConsistent) == seen {
                            pthread_cond_wait(condition, mutex)
                        }
                        sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                        pthread_mutex_unlock(mutex)
                        spins = 0
                    }
                    epoch = self.epoch.pointee.load(ordering: .acquiring)
                }
                seen = epoch
                if stopping.load(ordering: .sequentiallyConsistent) { return }
                // `job` is read only once a chunk is claimed: the caller cannot finish the job before then.
                let done = work(epoch, home: home) { c in self.job?(c) }
                if done > 0 { completed.pointee.wrappingAdd(done, ordering: .releasing) }
            }
        }
    }

    private let shared: Shared
    private var started = false
    /// Calls left that the caller steps alone after a worker stalled it.
    private var soloCalls = 0
    /// A wait for a claimed chunk this long, and eight times the caller's own time per chunk, means the
    /// worker was descheduled (a CartPole chunk takes microseconds, a time slice milliseconds).
    static let stallNanoseconds = 200_000
    /// Calls stepped alone after a stall (a few milliseconds of work), then the workers are tried again.
    static let soloStretch = 256

    private static func nanoseconds() -> Int {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t.tv_sec * 1_000_000_000 + t.tv_nsec
    }

    private func start() {
        started = true
        for k in 1..<threads {
            let shared = self.shared
            let thread = Thread { shared.workerLoop(home: k) }
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
            for c in (lane * chunks / lanes) ..< ((lane + 1) * chunks / lanes) { body(c) }
        }
    }
    #endif
}
