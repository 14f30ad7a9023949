import Dispatch
import Foundation
import ReflexCore
import Simulation

/// N copies of any single `Environment` with continuous actions, as a `ContinuousVectorEnvironment`:
/// stepped in `threads` contiguous ranges with `DispatchQueue.concurrentPerform`, reset automatically
/// when an episode ends. For environments with no vectorized form of their own — the camera environment,
/// whose rendering is most of a step's cost, so the threads pay off.
///
/// `score(copy)` (optional) reads a task figure of an episode just before its copy resets — the laps a
/// line follower completed — and `finishedScores` lists them beside `finishedEpisodes`.
public final class EnvironmentCopies<E: Environment>: ContinuousVectorEnvironment {
    public let count: Int
    public let observationSize: Int
    public let actionSize: Int
    public let actionLow: [Float]
    public let actionHigh: [Float]
    public let threads: Int
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public private(set) var rewards: [Float]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    public private(set) var finishedEpisodes: [(score: Double, length: Int)] = []
    /// `score` of each finished episode, in the order of `finishedEpisodes` (empty without `score`).
    public private(set) var finishedScores: [Double] = []
    private let score: ((E) -> Double)?

    /// One copy and what its last step produced. Threads touch only their own slots, through a pointer
    /// (no shared array is mutated concurrently); `step` gathers the slots into the public arrays after.
    private struct Slot {
        var environment: E
        var seeds: SeededGenerator
        var episodeReturn = 0.0
        var length = 0
        var observation: [Float] = []
        var finalObservation: [Float]? = nil
        var reward: Float = 0
        var terminated = false
        var truncated = false
        var finished: (score: Double, length: Int, task: Double)? = nil
    }
    private let slots: UnsafeMutablePointer<Slot>

    /// - Parameter make: builds copy `i` (each copy must have the same channels and action bounds).
    public init(count: Int, threads: Int? = nil, score: ((E) -> Double)? = nil, make: (Int) throws -> E) throws {
        precondition(count > 0, "EnvironmentCopies needs at least one copy")
        let environments = try (0..<count).map(make)
        let first = environments[0]
        guard case .continuous(let low, let high) = first.actionSpace else {
            throw ReflexError(.invalidArgument, "EnvironmentCopies steps continuous actions; this environment's actions are discrete")
        }
        self.count = count
        self.score = score
        observationSize = first.observationChannels.count
        actionSize = first.actuatorChannels.count
        actionLow = low.map(Float.init)
        actionHigh = high.map(Float.init)
        self.threads = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, count))
        observations = [Float](repeating: 0, count: count * observationSize)
        finalObservations = observations
        rewards = [Float](repeating: 0, count: count)
        terminated = [Bool](repeating: false, count: count)
        truncated = terminated
        slots = .allocate(capacity: count)
        for (i, e) in environments.enumerated() {
            (slots + i).initialize(to: Slot(environment: e, seeds: SeededGenerator(seed: UInt64(i))))
        }
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    /// Copy `i` as it stands (read its state between steps, e.g. for laps or videos).
    public func copy(_ i: Int) -> E { slots[i].environment }

    private func range(_ r: Int) -> Range<Int> { (r * count / threads)..<((r + 1) * count / threads) }

    /// Copy i's episodes draw their seeds from a generator seeded by `seed` and i, so the episode sequence
    /// is the same whatever the thread count.
    public func reset(seed: UInt64) {
        for i in 0..<count {
            slots[i].seeds = SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(i + 1))
            let episodeSeed = slots[i].seeds.next()
            let o = slots[i].environment.reset(seed: episodeSeed)
            precondition(o.count == observationSize, "copy \(i) observed \(o.count) values, expected \(observationSize)")
            observations.replaceSubrange((i * observationSize)..<((i + 1) * observationSize), with: o)
            slots[i].episodeReturn = 0
            slots[i].length = 0
        }
        finishedEpisodes = []
        finishedScores = []
    }

    public func step(_ actions: [Float]) {
        precondition(actions.count == count * actionSize, "expected \(count * actionSize) actions, got \(actions.count)")
        let slots = self.slots, aSize = actionSize, low = actionLow, high = actionHigh, score = self.score
        let work = { (r: Int) in
            var values = [Double](repeating: 0, count: aSize)
            for i in self.range(r) {
                let slot = slots + i
                for j in 0..<aSize { values[j] = Double(min(max(actions[i * aSize + j], low[j]), high[j])) }
                let s = slot.pointee.environment.step(.continuous(values))
                slot.pointee.reward = Float(s.reward)
                slot.pointee.terminated = s.terminated
                slot.pointee.truncated = s.truncated
                slot.pointee.episodeReturn += s.reward
                slot.pointee.length += 1
                if s.terminated || s.truncated {
                    slot.pointee.finalObservation = s.observation
                    slot.pointee.finished = (slot.pointee.episodeReturn, slot.pointee.length, score?(slot.pointee.environment) ?? 0)
                    slot.pointee.episodeReturn = 0
                    slot.pointee.length = 0
                    let next = slot.pointee.seeds.next()
                    slot.pointee.observation = slot.pointee.environment.reset(seed: next)
                } else {
                    slot.pointee.finalObservation = nil
                    slot.pointee.finished = nil
                    slot.pointee.observation = s.observation
                }
            }
        }
        if threads == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: threads, execute: work)
        }
        finishedEpisodes.removeAll(keepingCapacity: true)
        finishedScores.removeAll(keepingCapacity: true)
        let n = observationSize
        observations.withUnsafeMutableBufferPointer { obs in
            finalObservations.withUnsafeMutableBufferPointer { fin in
                for i in 0..<count {
                    let slot = slots[i]
                    precondition(slot.observation.count == n, "copy \(i) observed \(slot.observation.count) values, expected \(n)")
                    slot.observation.withUnsafeBufferPointer { (obs.baseAddress! + i * n).update(from: $0.baseAddress!, count: n) }
                    if let final = slot.finalObservation {
                        final.withUnsafeBufferPointer { (fin.baseAddress! + i * n).update(from: $0.baseAddress!, count: n) }
                    }
                }
            }
        }
        for i in 0..<count {
            rewards[i] = slots[i].reward
            terminated[i] = slots[i].terminated
            truncated[i] = slots[i].truncated
            if let f = slots[i].finished {
                finishedEpisodes.append((f.score, f.length))
                if score != nil { finishedScores.append(f.task) }
            }
        }
    }
}
