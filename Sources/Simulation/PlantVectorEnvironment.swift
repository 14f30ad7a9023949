import Foundation
import ReflexCore

/// N copies of any `PlantModel` stepped in one call across cores, with automatic reset, and optionally
/// everything the description says about the hardware (the vectorized counterpart of
/// `RobotEnvironments.make` followed by `FrameStack`).
///
/// The plant states are stored as structure of arrays (component k of copy i at `k × count + i`); the
/// copies are cut into chunks of `chunkSize` that the calling thread and persistent worker threads claim
/// (`VectorWorkers`), so a step costs no thread start or dispatch, and a busy core only slows its share.
/// Copy i draws from its own streams, seeded by the i-th `split()` of `SeededGenerator(seed)`, exactly as
/// a single environment reset with that seed would: results depend on the seed only, not on the thread
/// count, and copy i replays `FrameStack(RobotEnvironments.make(…))` reset with its seed, bit for bit.
/// Actions are actuator values laid out [count × actionSize], clipped to the action space; a
/// non-finite value applies the actuator's safe value.
public final class PlantVectorEnvironment<Model: PlantModel>: ContinuousVectorEnvironment {
    /// What to add on top of the plant, as `RobotEnvironments.Options` does for one environment.
    public struct Options: Sendable {
        /// Each copy draws the description's randomization ranges at every reset.
        public var randomize = false
        /// Sensor noise, quantization and latency from the sensor channels.
        public var sensorModels = false
        /// Actuator latency from the actuator channels.
        public var actuatorLatency = false
        /// Observations stacked per step, newest first (`FrameStack`).
        public var frames = 1

        public init(randomize: Bool = false, sensorModels: Bool = false, actuatorLatency: Bool = false, frames: Int = 1) {
            self.randomize = randomize
            self.sensorModels = sensorModels
            self.actuatorLatency = actuatorLatency
            self.frames = frames
        }

        /// Everything the description declares, with `frames` stacked observations.
        public static func faithful(frames: Int = 1) -> Options {
            Options(randomize: true, sensorModels: true, actuatorLatency: true, frames: frames)
        }
    }

    public let nominal: Model
    public let options: Options
    public let count: Int
    /// Sensor channels × frames.
    public let observationSize: Int
    public let actionSize: Int
    public let actionLow: [Float]
    public let actionHigh: [Float]
    /// Threads that step copies, the caller included.
    public let threads: Int
    /// Copies per chunk of work: a plant step costs microseconds, so small chunks balance the threads.
    static var chunkSize: Int { 32 }
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public private(set) var rewards: [Float]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    public private(set) var finishedEpisodes: [(score: Double, length: Int)] = []

    private let sensorCount: Int
    private let stateSize: Int
    private let maxSteps: Int
    private let randomize: Bool
    /// Actuator values applied while commands are in flight: the safe values clipped to the action space.
    private let idle: [Double]
    // Sensor models, per channel: quantization step (0 none) and range.
    private let quantum: [Double], channelMin: [Double], channelMax: [Double]
    /// Ring sizes: the largest sensor latency + 1 and the largest actuator latency any episode can draw.
    private let historyDepth: Int
    private let maxDelay: Int
    /// Per copy, for its current episode: noise σ and latency per sensor channel [count × sensorCount],
    /// whether noise and quantization apply at all, and the actuator latency.
    private let copyNoise: UnsafeMutablePointer<Double>
    private let copyLatency: UnsafeMutablePointer<Int>
    private let copyApplyNoise: UnsafeMutablePointer<Bool>
    private let copyDelay: UnsafeMutablePointer<Int>

    /// [stateSize × count]
    private let states: UnsafeMutablePointer<Double>
    /// [count × actionSize], the clipped commands, then the values applied.
    private let commands: UnsafeMutablePointer<Double>
    /// [count × maxDelay × actionSize] commands in flight, and each copy's ring position.
    private let inFlight: UnsafeMutablePointer<Double>
    private let inFlightHead: UnsafeMutablePointer<Int>
    /// [count × sensorCount] the plant's values of this step.
    private let measured: UnsafeMutablePointer<Float>
    /// [count × historyDepth × sensorCount] the last measured values, and each copy's ring position.
    private let history: UnsafeMutablePointer<Float>
    private let historyHead: UnsafeMutablePointer<Int>
    private let stepsInEpisode: UnsafeMutablePointer<Int>
    private let episodeReturn: UnsafeMutablePointer<Double>
    /// Per copy: start states; sensor noise; parameter draws.
    private let generators: UnsafeMutablePointer<SeededGenerator>
    private let noiseGenerators: UnsafeMutablePointer<SeededGenerator>
    private let drawGenerators: UnsafeMutablePointer<SeededGenerator>
    /// Per copy: the model of its current episode (the nominal one unless randomizing).
    private let models: UnsafeMutablePointer<Model>
    /// Per chunk: episodes that ended in it during the last step, in copy order.
    private var finishedPerChunk: [[(score: Double, length: Int)]]
    private let workers: VectorWorkers

    /// - Throws: `ReflexError(.invalidArgument, …)` when the robot's actions are discrete, a count is
    ///   not positive, or actuators declare different latencies.
    public init(model: Model, count: Int, threads: Int? = nil, options: Options = Options()) throws {
        guard count > 0 else { throw ReflexError(.invalidArgument, "a vector environment needs at least one copy, got \(count)") }
        guard options.frames >= 1 else { throw ReflexError(.invalidArgument, "frames must be ≥ 1, got \(options.frames)") }
        let d = model.description
        guard case let .continuous(low, high) = d.actionSpace else {
            throw ReflexError(.invalidArgument, "robot '\(d.name)' has discrete actions; PlantVectorEnvironment steps continuous actuator values")
        }
        let latencies = Set(d.actuatorModels.map(\.latencyTicks))
        if options.actuatorLatency && latencies.count > 1 {
            throw ReflexError(.invalidArgument, "robot '\(d.name)': actuators declare different latencies \(latencies.sorted()); one command frame has one latency")
        }
        nominal = model
        self.options = options
        self.count = count
        sensorCount = d.sensors.count
        observationSize = d.sensors.count * options.frames
        actionSize = low.count
        actionLow = low.map { Float($0) }
        actionHigh = high.map { Float($0) }
        let requested = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let chunks = (count + Self.chunkSize - 1) / Self.chunkSize
        self.threads = max(1, min(requested, chunks))
        randomize = options.randomize && !d.randomization.isEmpty
        stateSize = Model.stateSize
        maxSteps = d.maxEpisodeSteps
        idle = d.actuators.indices.map { min(max(d.actuators[$0].safeValue ?? 0, low[$0]), high[$0]) }
        quantum = d.sensorModels.map { $0.raw != nil ? 1 : ($0.resolution ?? 0) }
        channelMin = d.sensors.map(\.min)
        channelMax = d.sensors.map(\.max)
        // Latency ranges widen the rings to the longest latency an episode can draw.
        let ranges = randomize ? d.randomization : []
        let sensorLatencyMax = ([0] + d.sensorModels.map(\.latencyTicks)
            + ranges.filter { $0.section == .sensors && $0.isInteger }.map { Int($0.high) }).max() ?? 0
        let actuatorLatencyMax = ([0] + d.actuatorModels.map(\.latencyTicks)
            + ranges.filter { $0.section == .actuators && $0.isInteger }.map { Int($0.high) }).max() ?? 0
        historyDepth = options.sensorModels ? sensorLatencyMax + 1 : 1
        maxDelay = options.actuatorLatency ? actuatorLatencyMax : 0
        let actuatorDelay = maxDelay

        observations = Array(repeating: 0, count: count * observationSize)
        finalObservations = Array(repeating: 0, count: count * observationSize)
        rewards = Array(repeating: 0, count: count)
        terminated = Array(repeating: false, count: count)
        truncated = Array(repeating: false, count: count)
        func zeroed<T>(_ n: Int, _ value: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(n, 1))
            p.initialize(repeating: value, count: max(n, 1))
            return p
        }
        copyNoise = zeroed(count * d.sensors.count, 0.0)
        copyLatency = zeroed(count * d.sensors.count, 0)
        copyApplyNoise = zeroed(count, false)
        copyDelay = zeroed(count, 0)
        states = zeroed(Model.stateSize * count, 0.0)
        commands = zeroed(count * low.count, 0.0)
        inFlight = zeroed(count * actuatorDelay * low.count, 0.0)
        inFlightHead = zeroed(count, 0)
        measured = zeroed(count * sensorCount, Float(0))
        history = zeroed(count * historyDepth * sensorCount, Float(0))
        historyHead = zeroed(count, 0)
        stepsInEpisode = zeroed(count, 0)
        episodeReturn = zeroed(count, 0.0)
        generators = zeroed(count, SeededGenerator(seed: 0))
        noiseGenerators = zeroed(count, SeededGenerator(seed: 0))
        drawGenerators = zeroed(count, SeededGenerator(seed: 0))
        self.models = zeroed(count, model)
        finishedPerChunk = Array(repeating: [], count: chunks)
        workers = VectorWorkers(threads: self.threads)
        reset(seed: 0)
    }

    /// N copies without hardware effects; `randomize` draws the description's ranges per episode.
    public convenience init(model: Model, count: Int, threads: Int? = nil, randomize: Bool) throws {
        try self.init(model: model, count: count, threads: threads, options: Options(randomize: randomize))
    }

    deinit {
        for p in [states, commands, inFlight, episodeReturn, copyNoise] { p.deallocate() }
        for p in [inFlightHead, historyHead, stepsInEpisode, copyLatency, copyDelay] { p.deallocate() }
        copyApplyNoise.deallocate()
        measured.deallocate()
        history.deallocate()
        for p in [generators, noiseGenerators, drawGenerators] {
            p.deinitialize(count: count)
            p.deallocate()
        }
        models.deinitialize(count: count)
        models.deallocate()
    }

    /// Copies of chunk c.
    private func range(_ c: Int) -> Range<Int> {
        (c * Self.chunkSize) ..< min(count, (c + 1) * Self.chunkSize)
    }

    /// The seeds of the copies for `reset(seed:)`: copy i behaves as a single environment reset with `seeds[i]`.
    public func copySeeds(_ seed: UInt64) -> [UInt64] {
        var root = SeededGenerator(seed: seed)
        return (0..<count).map { _ in root.split() }
    }

    public func reset(seed: UInt64) {
        for (i, s) in copySeeds(seed).enumerated() {
            // The same derivations as PlantEnvironment, SensorNoise and RandomizedEnvironment.
            generators[i] = SeededGenerator(seed: s)
            noiseGenerators[i] = SeededGenerator(seed: derivedSeed(s, 0x6E6F_6973_6500))
            drawGenerators[i] = SeededGenerator(seed: derivedSeed(s, 0x7261_6E64))
            configure(i, nominal.description)
        }
        observations.withUnsafeMutableBufferPointer { obs in
            for i in 0..<count { begin(i, row: obs.baseAddress! + i * observationSize) }
        }
        for i in 0..<count { (terminated[i], truncated[i], rewards[i]) = (false, false, 0) }
        finishedEpisodes.removeAll(keepingCapacity: true)
    }

    /// Copy i's sensor noise, sensor latencies and actuator latency from a (drawn) description.
    private func configure(_ i: Int, _ d: RobotDescription) {
        let sensorModels = options.sensorModels ? d.sensorModels : Array(repeating: SensorModel(), count: sensorCount)
        for j in 0..<sensorCount {
            copyNoise[i * sensorCount + j] = sensorModels[j].noise
            copyLatency[i * sensorCount + j] = min(sensorModels[j].latencyTicks, historyDepth - 1)
        }
        copyApplyNoise[i] = sensorModels.contains { $0.noise > 0 || $0.resolution != nil }
        copyDelay[i] = options.actuatorLatency ? min(d.actuatorModels.first?.latencyTicks ?? 0, maxDelay) : 0
    }

    /// Starts a new episode of copy i and writes its first observation (every frame) to `row`.
    @inline(__always)
    private func begin(_ i: Int, row: UnsafeMutablePointer<Float>) {
        if randomize {
            // As RandomizedEnvironment: draw, rebuild (the plant and its hardware), reset with a fresh seed.
            let drawn = nominal.description.randomized(using: &drawGenerators[i])
            if let model = try? Model(description: drawn) {
                models[i] = model
                configure(i, drawn)
            }
            let seed = drawGenerators[i].split()
            generators[i] = SeededGenerator(seed: seed)
            noiseGenerators[i] = SeededGenerator(seed: derivedSeed(seed, 0x6E6F_6973_6500))
        }
        let start = models[i].initialState(using: &generators[i])
        Model.store(start, into: states + i, stride: count)
        stepsInEpisode[i] = 0
        episodeReturn[i] = 0
        let ring = inFlight + i * maxDelay * actionSize
        for k in 0..<maxDelay { for j in 0..<actionSize { ring[k * actionSize + j] = idle[j] } }
        inFlightHead[i] = 0
        let values = measured + i * sensorCount
        models[i].observe(start, into: values)
        measure(i, values)
        let h = history + i * historyDepth * sensorCount
        for slot in 0..<historyDepth { for j in 0..<sensorCount { h[slot * sensorCount + j] = values[j] } }
        historyHead[i] = 0
        for frame in 0..<options.frames { for j in 0..<sensorCount { row[frame * sensorCount + j] = values[j] } }
    }

    /// Noise, quantization and clamping of copy i's measured values, in place (as `SensorNoise`).
    @inline(__always)
    private func measure(_ i: Int, _ values: UnsafeMutablePointer<Float>) {
        guard copyApplyNoise[i] else { return }
        let noise = copyNoise + i * sensorCount
        for j in 0..<sensorCount {
            var v = Double(values[j])
            if noise[j] > 0 { v += noise[j] * noiseGenerators[i].normal() }
            if quantum[j] > 0 { v = (v / quantum[j]).rounded() * quantum[j] }
            values[j] = Float(min(max(v, channelMin[j]), channelMax[j]))
        }
    }

    /// Records copy i's measured values and writes the delayed ones as the newest frame of `row`,
    /// shifting older frames back (as `SensorLatency` then `FrameStack`).
    @inline(__always)
    private func emit(_ i: Int, _ values: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>) {
        for k in stride(from: options.frames - 1, through: 1, by: -1) {
            for j in 0..<sensorCount { row[k * sensorCount + j] = row[(k - 1) * sensorCount + j] }
        }
        let h = history + i * historyDepth * sensorCount
        let head = (historyHead[i] + 1) % historyDepth
        historyHead[i] = head
        for j in 0..<sensorCount { h[head * sensorCount + j] = values[j] }
        let latency = copyLatency + i * sensorCount
        for j in 0..<sensorCount {
            let slot = (head - latency[j] + historyDepth) % historyDepth
            row[j] = h[slot * sensorCount + j]
        }
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
        let n = count, obsSize = observationSize, act = actionSize, limit = maxSteps, maxDelay = self.maxDelay
        let copyDelay = self.copyDelay
        let (low, high, idle) = (actionLow, actionHigh, self.idle)
        let (states, commands, inFlight, inFlightHead) = (self.states, self.commands, self.inFlight, self.inFlightHead)
        let (measured, sensors, steps, returns, models) = (self.measured, sensorCount, stepsInEpisode, episodeReturn, self.models)
        actions.withUnsafeBufferPointer { actionBuffer in
        observations.withUnsafeMutableBufferPointer { obsBuffer in
        finalObservations.withUnsafeMutableBufferPointer { finBuffer in
        rewards.withUnsafeMutableBufferPointer { rewardBuffer in
        terminated.withUnsafeMutableBufferPointer { termBuffer in
        truncated.withUnsafeMutableBufferPointer { truncBuffer in
        finishedPerChunk.withUnsafeMutableBufferPointer { finishedBuffer in
            let a = actionBuffer.baseAddress!, obs = obsBuffer.baseAddress!, fin = finBuffer.baseAddress!
            let rew = rewardBuffer.baseAddress!, term = termBuffer.baseAddress!, trunc = truncBuffer.baseAddress!
            let finished = finishedBuffer.baseAddress!
            workers.run(chunks: finishedBuffer.count) { r in
                finished[r].removeAll(keepingCapacity: true)
                for i in self.range(r) {
                    let command = commands + i * act
                    for j in 0..<act {
                        let v = Double(a[i * act + j])
                        // As PlantEnvironment: clip to the action space; NaN or ±inf gives the safe value.
                        command[j] = v.isFinite ? min(max(v, Double(low[j])), Double(high[j])) : idle[j]
                    }
                    let delay = copyDelay[i]
                    if delay > 0 {
                        // The command joins the queue; the one sent `delay` periods ago is applied.
                        let slot = inFlight + (i * maxDelay + inFlightHead[i]) * act
                        for j in 0..<act { (slot[j], command[j]) = (command[j], slot[j]) }
                        inFlightHead[i] = (inFlightHead[i] + 1) % delay
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
                    let values = measured + i * sensors
                    model.observe(s, into: values)
                    self.measure(i, values)
                    let row = obs + i * obsSize
                    self.emit(i, values, row: row)
                    if isTerminal || isTruncated {
                        (fin + i * obsSize).update(from: row, count: obsSize)
                        finished[r].append((returns[i], steps[i]))
                        self.begin(i, row: row)
                    } else {
                        Model.store(s, into: states + i, stride: n)
                    }
                }
            }
        }}}}}}}
        finishedEpisodes.removeAll(keepingCapacity: true)
        for c in finishedPerChunk.indices { finishedEpisodes.append(contentsOf: finishedPerChunk[c]) }
    }
}

extension PlantVectorEnvironment {
    /// The vectorized environment for a description of this model's simulator.
    public convenience init(description: RobotDescription, count: Int, threads: Int? = nil, options: Options = Options()) throws {
        try self.init(model: try Model(description: description), count: count, threads: threads, options: options)
    }

    /// The vectorized environment for a description, without hardware effects.
    public convenience init(description: RobotDescription, count: Int, threads: Int? = nil, randomize: Bool) throws {
        try self.init(model: try Model(description: description), count: count, threads: threads, options: Options(randomize: randomize))
    }
}
