import Foundation
import ReflexCore

/// N Pendulum copies with Gymnasium Pendulum-v1 semantics (200-step truncation, never terminated),
/// stepped across cores.
///
/// Each copy runs `Pendulum.step` (libm's sine, as the single environment), so copy i matches a single
/// environment bit for bit. Copies are cut into chunks that the calling thread and persistent workers
/// claim (`VectorWorkers`); results depend on the seed and count, not on the thread count.
public final class PendulumVectorEnvironment: ContinuousVectorEnvironment {
    public let model: PendulumModel
    public let count: Int
    public let observationSize = 3
    public let actionSize = 1
    public let actionLow: [Float]
    public let actionHigh: [Float]
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public private(set) var rewards: [Float]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    public private(set) var finishedEpisodes: [(score: Double, length: Int)] = []

    /// Threads that step copies, the caller included.
    public var threads: Int { workers.threads }
    /// Copies per chunk of work.
    static let chunkSize = 256

    private var states: [PendulumState]
    private var stepsInEpisode: [Int]
    private var episodeReturn: [Double]
    private var generators: [SeededGenerator]
    /// Per chunk: the episodes that ended in it during the last step, in copy order.
    private var finishedPerChunk: [[(score: Double, length: Int)]]
    private let workers: VectorWorkers

    /// `count` copies; `threads` defaults to the machine's active cores.
    public init(model: PendulumModel, count: Int, threads: Int? = nil) {
        self.model = model
        self.count = count
        actionLow = [Float(-model.maxTorque)]
        actionHigh = [Float(model.maxTorque)]
        observations = Array(repeating: 0, count: count * 3)
        finalObservations = Array(repeating: 0, count: count * 3)
        rewards = Array(repeating: 0, count: count)
        terminated = Array(repeating: false, count: count)
        truncated = Array(repeating: false, count: count)
        states = Array(repeating: PendulumState(), count: count)
        stepsInEpisode = Array(repeating: 0, count: count)
        episodeReturn = Array(repeating: 0, count: count)
        generators = (0..<count).map { SeededGenerator(seed: UInt64($0)) }
        let chunks = (count + Self.chunkSize - 1) / Self.chunkSize
        finishedPerChunk = Array(repeating: [], count: chunks)
        // Reserved up front, as CartPole's are: every copy can end an episode in the same step, and the
        // first episode ends would otherwise allocate inside `step`.
        for c in 0..<chunks { finishedPerChunk[c].reserveCapacity(Self.chunkSize) }
        finishedEpisodes.reserveCapacity(count)
        workers = VectorWorkers(threads: min(threads ?? ProcessInfo.processInfo.activeProcessorCount, chunks))
    }

    public func reset(seed: UInt64) {
        var root = SeededGenerator(seed: seed)
        for i in 0..<count {
            generators[i] = SeededGenerator(seed: root.split())
            states[i] = Pendulum.initialState(model, using: &generators[i])
            stepsInEpisode[i] = 0
            episodeReturn[i] = 0
        }
        observations.withUnsafeMutableBufferPointer { obs in
            for i in 0..<count { Pendulum.observe(states[i], into: obs.baseAddress! + 3 * i) }
        }
    }

    /// Steps every copy with torque `actions[i]` (N·m, clipped to ±max_torque by the plant).
    public func step(_ actions: [Float]) {
        precondition(actions.count == count, "expected one torque per copy (\(count)), got \(actions.count)")
        let m = model, n = count, chunkSize = Self.chunkSize
        actions.withUnsafeBufferPointer { actionBuffer in
        observations.withUnsafeMutableBufferPointer { obsBuffer in
        finalObservations.withUnsafeMutableBufferPointer { finBuffer in
        rewards.withUnsafeMutableBufferPointer { rewardBuffer in
        terminated.withUnsafeMutableBufferPointer { termBuffer in
        truncated.withUnsafeMutableBufferPointer { truncBuffer in
        states.withUnsafeMutableBufferPointer { stateBuffer in
        stepsInEpisode.withUnsafeMutableBufferPointer { stepBuffer in
        episodeReturn.withUnsafeMutableBufferPointer { returnBuffer in
        generators.withUnsafeMutableBufferPointer { generatorBuffer in
        finishedPerChunk.withUnsafeMutableBufferPointer { finishedBuffer in
            let a = actionBuffer.baseAddress!, obs = obsBuffer.baseAddress!, fin = finBuffer.baseAddress!
            let rew = rewardBuffer.baseAddress!, term = termBuffer.baseAddress!, trunc = truncBuffer.baseAddress!
            let states = stateBuffer.baseAddress!, steps = stepBuffer.baseAddress!, returns = returnBuffer.baseAddress!
            let generators = generatorBuffer.baseAddress!, finished = finishedBuffer.baseAddress!
            workers.run(chunks: finishedBuffer.count) { c in
                finished[c].removeAll(keepingCapacity: true)
                for i in (c * chunkSize) ..< min(n, (c + 1) * chunkSize) {
                    let reward = Pendulum.step(m, &states[i], torque: a[i])
                    steps[i] += 1
                    returns[i] += reward
                    rew[i] = Float(reward)
                    let isTruncated = steps[i] >= m.maxEpisodeSteps
                    term[i] = false
                    trunc[i] = isTruncated
                    if isTruncated {
                        Pendulum.observe(states[i], into: fin + 3 * i)
                        finished[c].append((returns[i], steps[i]))
                        states[i] = Pendulum.initialState(m, using: &generators[i])
                        steps[i] = 0
                        returns[i] = 0
                    }
                    Pendulum.observe(states[i], into: obs + 3 * i)
                }
            }
        }}}}}}}}}}}
        finishedEpisodes.removeAll(keepingCapacity: true)
        for c in finishedPerChunk.indices { finishedEpisodes.append(contentsOf: finishedPerChunk[c]) }
    }
}
