import Foundation
import ReflexCore

/// N CartPole copies with Gymnasium semantics (500-step truncation, +1 reward per step), stepped as
/// packed Float64 lanes across cores.
///
/// The plant states are structure of arrays (x, ẋ, θ, θ̇ each [count]); a step is one branch-free pass
/// over them per chunk of copies (`VectorCartPoleKernel`), then a pass that resets the copies whose
/// episode ended. Copy i draws its start states from its own generator, seeded by the i-th `split()` of
/// `SeededGenerator(seed)` (`copySeeds`), exactly as `CartPoleEnvironment(seed: copySeeds[i])` does, so
/// copy i replays that single environment. The dynamics are Gymnasium's CartPole-v1 in Float64, written
/// in the same order as `CartPole.step`; only sine and cosine come from `SIMDMath` instead of libm (at most
/// 1 ulp apart), so a copy agrees with the single environment to about 1e-12 over an episode's first few
/// dozen steps, not bit for bit (tested in `CartPoleVectorEnvironmentTests`). Results depend on the seed
/// and count only, not on the thread count.
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

    /// Copies per chunk of work (an even number, so lanes pair up; small enough to balance two threads).
    static let chunkSize = 512
    private let kernel: VectorCartPoleKernel
    /// [4 × count]: x, then ẋ, θ, θ̇.
    private let states: UnsafeMutablePointer<Double>
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
        states = .allocate(capacity: 4 * count)
        states.initialize(repeating: 0, count: 4 * count)
        stepsInEpisode = .allocate(capacity: count)
        stepsInEpisode.initialize(repeating: 0, count: count)
        generators = .allocate(capacity: count)
        generators.initialize(repeating: SeededGenerator(seed: 0), count: count)
        let chunks = (count + Self.chunkSize - 1) / Self.chunkSize
        finishedPerChunk = Array(repeating: [], count: chunks)
        badActionPerChunk = .allocate(capacity: chunks)
        badActionPerChunk.initialize(repeating: false, count: chunks)
        workers = VectorWorkers(threads: min(threads ?? ProcessInfo.processInfo.activeProcessorCount, chunks))
        for c in 0..<chunks { finishedPerChunk[c].reserveCapacity(Self.chunkSize) }
        reset(seed: 0)
    }

    deinit {
        states.deallocate()
        stepsInEpisode.deallocate()
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

    /// The current plant state of copy i.
    public func state(_ i: Int) -> CartPoleState {
        precondition(i >= 0 && i < count, "copy \(i) of \(count)")
        return CartPoleState(x: states[i], xDot: states[count + i], theta: states[2 * count + i], thetaDot: states[3 * count + i])
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

    /// Draws copy i's start state.
    @inline(__always)
    private func begin(_ i: Int) {
        let s = CartPole.initialState(model, using: &generators[i])
        let n = count
        states[i] = s.x
        states[n + i] = s.xDot
        states[2 * n + i] = s.theta
        states[3 * n + i] = s.thetaDot
        stepsInEpisode[i] = 0
    }

    @inline(__always)
    private func observe(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        let n = count
        out[0] = Float(states[i])
        out[1] = Float(states[n + i])
        out[2] = Float(states[2 * n + i])
        out[3] = Float(states[3 * n + i])
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
                count: n, states: states, steps: stepsInEpisode, actions: a, observations: obs,
                terminated: term, truncated: trunc)
            let chunks = finishedBuffer.count
            let badChunk = badActionPerChunk
            workers.run(chunks: chunks) { c in
                let lo = c * chunkSize, hi = min(n, lo + chunkSize)
                finished[c].removeAll(keepingCapacity: true)
                let result = kernel.step(io, lo, hi)
                badChunk[c] = result.badAction
                guard result.ended > 0 else { return }
                // Automatic reset of the copies whose episode ended, in copy order.
                for i in lo..<hi where term[i] || trunc[i] {
                    let row = obs + 4 * i
                    (fin + 4 * i).update(from: row, count: 4)
                    let length = Int(self.stepsInEpisode[i])
                    finished[c].append((Double(length) * reward, length))
                    self.begin(i)
                    self.observe(i, into: row)
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
