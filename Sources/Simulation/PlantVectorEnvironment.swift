import Dispatch
import Foundation
import ReflexCore

/// N copies of any `PlantModel` stepped in one call across cores, with automatic reset.
///
/// The plant states are stored as structure of arrays (component k of copy i at `k × count + i`); the
/// copies are split into `threads` contiguous ranges stepped with `DispatchQueue.concurrentPerform`.
/// Copy i draws its start states (and, with `randomize`, its parameters) from its own generator,
/// seeded from one root seed, so results depend on the seed only — not on the thread count.
/// Actions are actuator values laid out [count × actionSize], clipped to the action space; a
/// non-finite value applies the actuator's safe value.
public final class PlantVectorEnvironment<Model: PlantModel>: ContinuousVectorEnvironment {
    public let nominal: Model
    public let count: Int
    public let observationSize: Int
    public let actionSize: Int
    public let actionLow: [Float]
    public let actionHigh: [Float]
    /// Contiguous ranges of copies stepped in parallel.
    public let threads: Int
    /// Each copy draws the description's randomization ranges at every reset.
    public let randomize: Bool
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public private(set) var rewards: [Float]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    public private(set) var finishedEpisodes: [(score: Double, length: Int)] = []

    private let stateSize: Int
    private let maxSteps: Int
    private let safe: [Double]
    /// [stateSize × count]
    private let states: UnsafeMutablePointer<Double>
    /// [count × actionSize], the clipped actions in Float64.
    private let commands: UnsafeMutablePointer<Double>
    private let stepsInEpisode: UnsafeMutablePointer<Int>
    private let episodeReturn: UnsafeMutablePointer<Double>
    private let generators: UnsafeMutablePointer<SeededGenerator>
    /// Per copy: the model of its current episode (the nominal one unless randomizing).
    private let models: UnsafeMutablePointer<Model>
    /// Per thread range: episodes that ended in it during the last step, in copy order.
    private var finishedPerRange: [[(score: Double, length: Int)]]

    /// - Throws: `ReflexError(.invalidArgument, …)` when the robot's actions are discrete or a count is not positive.
    public init(model: Model, count: Int, threads: Int? = nil, randomize: Bool = false) throws {
        guard count > 0 else { throw ReflexError(.invalidArgument, "a vector environment needs at least one copy, got \(count)") }
        let d = model.description
        guard case let .continuous(low, high) = d.actionSpace else {
            throw ReflexError(.invalidArgument, "robot '\(d.name)' has discrete actions; PlantVectorEnvironment steps continuous actuator values")
        }
        nominal = model
        self.count = count
        observationSize = d.sensors.count
        actionSize = low.count
        actionLow = low.map { Float($0) }
        actionHigh = high.map { Float($0) }
        let requested = threads ?? ProcessInfo.processInfo.activeProcessorCount
        self.threads = max(1, min(requested, count))
        self.randomize = randomize && !d.randomization.isEmpty
        stateSize = Model.stateSize
        maxSteps = d.maxEpisodeSteps
        safe = d.actuators.map { $0.safeValue ?? 0 }
        observations = Array(repeating: 0, count: count * observationSize)
        finalObservations = Array(repeating: 0, count: count * observationSize)
        rewards = Array(repeating: 0, count: count)
        terminated = Array(repeating: false, count: count)
        truncated = Array(repeating: false, count: count)
        states = .allocate(capacity: Model.stateSize * count)
        commands = .allocate(capacity: count * low.count)
        commands.initialize(repeating: 0, count: count * low.count)
        stepsInEpisode = .allocate(capacity: count)
        stepsInEpisode.initialize(repeating: 0, count: count)
        episodeReturn = .allocate(capacity: count)
        episodeReturn.initialize(repeating: 0, count: count)
        generators = .allocate(capacity: count)
        generators.initialize(repeating: SeededGenerator(seed: 0), count: count)
        models = .allocate(capacity: count)
        models.initialize(repeating: model, count: count)
        finishedPerRange = Array(repeating: [], count: self.threads)
        reset(seed: 0)
    }

    deinit {
        states.deallocate()
        commands.deallocate()
        stepsInEpisode.deallocate()
        episodeReturn.deallocate()
        generators.deinitialize(count: count)
        generators.deallocate()
        models.deinitialize(count: count)
        models.deallocate()
    }

    /// Copies i ..< j of range r.
    private func range(_ r: Int) -> Range<Int> {
        (r * count / threads) ..< ((r + 1) * count / threads)
    }

    /// Starts a new episode of copy i (randomizing its model first when asked).
    @inline(__always)
    private func begin(_ i: Int) {
        if randomize {
            let drawn = nominal.description.randomized(using: &generators[i])
            models[i] = (try? Model(description: drawn)) ?? nominal
        }
        let start = models[i].initialState(using: &generators[i])
        Model.store(start, into: states + i, stride: count)
        stepsInEpisode[i] = 0
        episodeReturn[i] = 0
    }

    public func reset(seed: UInt64) {
        var root = SeededGenerator(seed: seed)
        for i in 0..<count {
            generators[i] = SeededGenerator(seed: root.split())
            begin(i)
        }
        observations.withUnsafeMutableBufferPointer { obs in
            for i in 0..<count {
                models[i].observe(Model.load(from: states + i, stride: count), into: obs.baseAddress! + i * observationSize)
            }
        }
        for i in 0..<count { (terminated[i], truncated[i], rewards[i]) = (false, false, 0) }
        finishedEpisodes.removeAll(keepingCapacity: true)
    }

    /// The current plant state of copy i.
    public func state(_ i: Int) -> Model.State {
        precondition(i >= 0 && i < count, "copy \(i) of \(count)")
        return Model.load(from: states + i, stride: count)
    }

    /// The model of copy i's current episode.
    public func model(_ i: Int) -> Model {
        precondition(i >= 0 && i < count, "copy \(i) of \(count)")
        return models[i]
    }

    public func step(_ actions: [Float]) {
        precondition(actions.count == count * actionSize, "expected \(count) × \(actionSize) actuator values, got \(actions.count)")
        for r in 0..<threads { finishedPerRange[r].removeAll(keepingCapacity: true) }
        let n = count, obsSize = observationSize, act = actionSize, limit = maxSteps
        let (low, high, safe) = (actionLow, actionHigh, self.safe)
        let (states, commands, steps, returns, models) = (self.states, self.commands, stepsInEpisode, episodeReturn, self.models)
        actions.withUnsafeBufferPointer { actionBuffer in
        observations.withUnsafeMutableBufferPointer { obsBuffer in
        finalObservations.withUnsafeMutableBufferPointer { finBuffer in
        rewards.withUnsafeMutableBufferPointer { rewardBuffer in
        terminated.withUnsafeMutableBufferPointer { termBuffer in
        truncated.withUnsafeMutableBufferPointer { truncBuffer in
        finishedPerRange.withUnsafeMutableBufferPointer { finishedBuffer in
            let a = actionBuffer.baseAddress!, obs = obsBuffer.baseAddress!, fin = finBuffer.baseAddress!
            let rew = rewardBuffer.baseAddress!, term = termBuffer.baseAddress!, trunc = truncBuffer.baseAddress!
            let finished = finishedBuffer.baseAddress!
            let work = { (r: Int) in
                for i in self.range(r) {
                    let command = commands + i * act
                    for j in 0..<act {
                        let v = a[i * act + j]
                        command[j] = v.isFinite ? Double(min(max(v, low[j]), high[j])) : safe[j]
                    }
                    let model = models[i]
                    var s = Model.load(from: states + i, stride: n)
                    model.step(&s, actuators: command)
                    let reward = model.reward(s, actuators: command)
                    let isTerminal = model.isTerminal(s)
                    steps[i] += 1
                    returns[i] += reward
                    rew[i] = Float(reward)
                    let isTruncated = !isTerminal && steps[i] >= limit
                    term[i] = isTerminal
                    trunc[i] = isTruncated
                    if isTerminal || isTruncated {
                        model.observe(s, into: fin + i * obsSize)
                        finished[r].append((returns[i], steps[i]))
                        self.begin(i)
                        models[i].observe(Model.load(from: states + i, stride: n), into: obs + i * obsSize)
                    } else {
                        Model.store(s, into: states + i, stride: n)
                        model.observe(s, into: obs + i * obsSize)
                    }
                }
            }
            if threads == 1 {
                work(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: threads, execute: work)
            }
        }}}}}}}
        finishedEpisodes.removeAll(keepingCapacity: true)
        for r in 0..<threads { finishedEpisodes.append(contentsOf: finishedPerRange[r]) }
    }
}

extension PlantVectorEnvironment {
    /// The vectorized environment for a description of this model's simulator.
    public convenience init(description: RobotDescription, count: Int, threads: Int? = nil, randomize: Bool = false) throws {
        try self.init(model: try Model(description: description), count: count, threads: threads, randomize: randomize)
    }
}
