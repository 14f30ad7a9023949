import Foundation
import ReflexCore

/// N CartPole copies with Gymnasium semantics (500-step truncation, +1 reward per step), stepped as
/// packed Float32 lanes across cores.
///
/// The plant states are structure of arrays (x, ẋ, θ, θ̇ each [count], Float32); a step is one
/// branch-free pass over them per chunk of copies (`VectorCartPoleKernel`), then a pass that resets the
/// copies whose episode ended. Copy i draws its start states from its own generator, seeded by the i-th
/// `split()` of `SeededGenerator(seed)` (`copySeeds`), exactly as `CartPoleEnvironment(seed: copySeeds[i])`
/// does, so copy i starts every episode where that single environment does (its Float32 observation, bit
/// for bit). The dynamics are Gymnasium's CartPole-v1 computed in Float32, not Float64: a step agrees with
/// the single environment's from the same state to about 1e-7 (relative), and a copy follows the single
/// environment under the same actions to about 1e-4 over an episode of random actions, ending at the same
/// step (the unstable pole amplifies rounding; measured and bounded in `CartPoleVectorEnvironmentTests`).
/// Use `CartPoleEnvironment` where Gymnasium's Float64 trajectories matter bit for bit. Results depend on
/// the seed and count only, not on the thread count.
public final class CartPoleVectorEnvironment: VectorEnvironment {
    public let model: CartPoleModel
    public let count: Int
    public let observationSize = 4
    public let actionCount = 2
    /// Threads that step copies, the caller included.
    public var threads: Int { workers.threads }
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public private(set) var rewards: [Float]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    public private(set) var finishedEpisodes: [(score: Double, length: Int)] = []

    /// Copies per chunk of work: a multiple of the kernel's lanes and of a cache line's 16 Float32, small
    /// enough to balance two threads.
    static let chunkSize = 512
    private let kernel: VectorCartPoleKernel
    /// x, ẋ, θ, θ̇, each [count] and starting on a cache line, in one allocation (`storage`).
    private let x, xDot, theta, thetaDot: UnsafeMutablePointer<Float>
    private let storage: UnsafeMutableRawPointer
    /// [count] steps since the episode began.
    private let stepsInEpisode: UnsafeMutablePointer<Int32>
    /// [count] start-state generators.
    private let generators: UnsafeMutablePointer<SeededGenerator>
    /// Per chunk: the episodes that ended in it during the last step, in copy order.
    private var finishedPerChunk: [[(score: Double, length: Int)]]
    /// Per chunk: an action was neither 0 nor 1 in the last step.
    private let badActionPerChunk: UnsafeMutablePointer<Bool>
    private let workers: VectorWorkers

    /// `count` copies; `threads` defaults to the machine's active cores.
    public init(model: CartPoleModel, count: Int, threads: Int? = nil) {
        precondition(count > 0, "a vector environment needs at least one copy, got \(count)")
        precondition(model.maxEpisodeSteps < Int(Int32.max), "episode.max_steps must fit 32 bits, got \(model.maxEpisodeSteps)")
        self.model = model
        self.count = count
        kernel = VectorCartPoleKernel(model)
        observations = Array(repeating: 0, count: count * 4)
        finalObservations = Array(repeating: 0, count: count * 4)
        // The reward is the same every step; written once, not per step.
        rewards = Array(repeating: Float(model.rewardPerStep), count: count)
        terminated = Array(repeating: false, count: count)
        truncated = Array(repeating: false, count: count)
        // Five arrays of 4-byte values, each padded to whole cache lines.
        let stride = (count + 15) / 16 * 16
        storage = .allocate(byteCount: 5 * 4 * stride, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: 5 * 4 * stride)
        let floats = storage.bindMemory(to: Float.self, capacity: 4 * stride)
        (x, xDot, theta, thetaDot) = (floats, floats + stride, floats + 2 * stride, floats + 3 * stride)
        stepsInEpisode = (storage + 16 * stride).bindMemory(to: Int32.self, capacity: stride)
        generators = .allocate(capacity: count)
        generators.initialize(repeating: SeededGenerator(seed: 0), count: count)
        let chunks = (count + Self.chunkSize - 1) / Self.chunkSize
        finishedPerChunk = Array(repeating: [], count: chunks)
        badActionPerChunk = .allocate(capacity: chunks)
        badActionPerChunk.initialize(repeating: false, count: chunks)
        workers = VectorWorkers(threads: min(threads ?? ProcessInfo.processInfo.activeProcessorCount, chunks))
        for c in 0..<chunks { finishedPerChunk[c].reserveCapacity(Self.chunkSize) }
        finishedEpisodes.reserveCapacity(count)
        reset(seed: 0)
    }

    deinit {
        storage.deallocate()
        generators.deinitialize(count: count)
        generators.deallocate()
        badActionPerChunk.deallocate()
    }

    /// The seeds of the copies for `reset(seed:)`: copy i starts its episodes as
    /// `CartPoleEnvironment(seed: seeds[i])` does.
    public func copySeeds(_ seed: UInt64) -> [UInt64] {
        var root = SeededGenerator(seed: seed)
        return (0..<count).map { _ in root.split() }
    }

    /// The current plant state of copy i (its Float32 values).
    public func state(_ i: Int) -> CartPoleState {
        precondition(i >= 0 && i < count, "copy \(i) of \(count)")
        return CartPoleState(x: Double(x[i]), xDot: Double(xDot[i]), theta: Double(theta[i]), thetaDot: Double(thetaDot[i]))
    }

    public func reset(seed: UInt64) {
        for (i, s) in copySeeds(seed).enumerated() {
            generators[i] = SeededGenerator(seed: s)
            begin(i)
        }
        observations.withUnsafeMutableBufferPointer { obs in
            for i in 0..<count { observe(i, into: obs.baseAddress! + 4 * i) }
        }
        for i in 0..<count { (terminated[i], truncated[i]) = (false, false) }
        finishedEpisodes.removeAll(keepingCapacity: true)
    }

    /// Draws copy i's start state (in Float64, as the single environment does, then rounded).
    @inline(__always)
    private func begin(_ i: Int) {
        let s = CartPole.initialState(model, using: &generators[i])
        x[i] = Float(s.x)
        xDot[i] = Float(s.xDot)
        theta[i] = Float(s.theta)
        thetaDot[i] = Float(s.thetaDot)
        stepsInEpisode[i] = 0
    }

    @inline(__always)
    private func observe(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        out[0] = x[i]
        out[1] = xDot[i]
        out[2] = theta[i]
        out[3] = thetaDot[i]
    }

    /// Steps every copy with actions[i] ∈ {0 (push left), 1 (push right)}.
    public func step(_ actions: [Int32]) {
        precondition(actions.count == count, "expected one action per copy (\(count)), got \(actions.count)")
        let n = count, chunkSize = Self.chunkSize, kernel = self.kernel
        let reward = model.rewardPerStep
        var badAction = false
        actions.withUnsafeBufferPointer { actionBuffer in
        observations.withUnsafeMutableBufferPointer { obsBuffer in
        finalObservations.withUnsafeMutableBufferPointer { finBuffer in
        terminated.withUnsafeMutableBufferPointer { termBuffer in
        truncated.withUnsafeMutableBufferPointer { truncBuffer in
        finishedPerChunk.withUnsafeMutableBufferPointer { finishedBuffer in
            let a = actionBuffer.baseAddress!, obs = obsBuffer.baseAddress!, fin = finBuffer.baseAddress!
            let term = termBuffer.baseAddress!, trunc = truncBuffer.baseAddress!
            let finished = finishedBuffer.baseAddress!
            let io = VectorCartPoleKernel.Buffers(
                count: n, x: x, xDot: xDot, theta: theta, thetaDot: thetaDot, steps: stepsInEpisode, actions: a,
                observations: obs, terminated: term, truncated: trunc)
            let chunks = finishedBuffer.count
            let badChunk = badActionPerChunk
            workers.run(chunks: chunks) { c in
                let lo = c * chunkSize, hi = min(n, lo + chunkSize)
                finished[c].removeAll(keepingCapacity: true)
                let result = kernel.step(io, lo, hi)
                badChunk[c] = result.badAction
                guard result.ended > 0 else { return }
                // Automatic reset of the copies whose episode ended, in copy order; eight flags at a time.
                var i = lo
                while i < hi {
                    let span = min(8, hi - i)
                    var ends: UInt64 = 0
                    if span == 8 {
                        ends = UnsafeRawPointer(term + i).loadUnaligned(as: UInt64.self)
                            | UnsafeRawPointer(trunc + i).loadUnaligned(as: UInt64.self)
                    } else {
                        for k in 0..<span where term[i + k] || trunc[i + k] { ends |= 1 << (8 * k) }
                    }
                    while ends != 0 {
                        let j = i + ends.trailingZeroBitCount / 8
                        ends &= ends &- 1
                        let row = obs + 4 * j
                        (fin + 4 * j).update(from: row, count: 4)
                        let length = Int(self.stepsInEpisode[j])
                        finished[c].append((Double(length) * reward, length))
                        self.begin(j)
                        self.observe(j, into: row)
                    }
                    i += span
                }
            }
            badAction = (0..<chunks).contains { badChunk[$0] }
            finishedEpisodes.removeAll(keepingCapacity: true)
            for c in 0..<chunks { finishedEpisodes.append(contentsOf: finished[c]) }
        }}}}}}
        if badAction {
            let i = actions.firstIndex { $0 != 0 && $0 != 1 } ?? 0
            preconditionFailure("cartpole actions are 0 (push left) and 1 (push right); copy \(i) got \(actions[i])")
        }
    }
}
