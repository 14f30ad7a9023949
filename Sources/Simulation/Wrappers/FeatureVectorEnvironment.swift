import ReflexCore

/// A continuous vector environment whose observations are `ObservationFeatureMap` features of the base's
/// raw readings, stacked `frames` deep, newest first — what `MLPPolicy` computes at deployment from one
/// reading per tick.
///
/// The base must observe one raw reading per copy (`frames: 1`). Features come before stacking (the stack
/// holds feature frames, as `FrameStack` holds observations) and before the trainer's observation
/// normalization. Per copy the wrapper keeps the episode's previous reading: the first reading of an
/// episode (after `reset`, or the automatic reset when a copy's episode ends) has velocity 0 and fills
/// every frame; `finalObservations` continue the episode that ended (its last reading against the one
/// before).
public final class FeatureVectorEnvironment: ContinuousVectorEnvironment {
    public let base: ContinuousVectorEnvironment
    public let map: ObservationFeatureMap
    public let frames: Int
    public var count: Int { base.count }
    /// `map.outputCount × frames`.
    public let observationSize: Int
    public var actionSize: Int { base.actionSize }
    public var actionLow: [Float] { base.actionLow }
    public var actionHigh: [Float] { base.actionHigh }
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public var rewards: [Float] { base.rewards }
    public var terminated: [Bool] { base.terminated }
    public var truncated: [Bool] { base.truncated }
    public var finishedEpisodes: [(score: Double, length: Int)] { base.finishedEpisodes }

    /// [count × map.inputCount] each copy's previous reading in its current episode.
    private var previous: [Float]
    /// [map.outputCount] the features of one reading.
    private var scratch: [Float]

    /// - Throws: `ReflexError(.invalidArgument, …)` when the base's observation is not one reading of
    ///   `map.inputCount` values, or `frames` < 1.
    public init(_ base: ContinuousVectorEnvironment, map: ObservationFeatureMap, frames: Int = 1) throws {
        guard frames >= 1 else { throw ReflexError(.invalidArgument, "frames must be ≥ 1, got \(frames)") }
        guard base.observationSize == map.inputCount else {
            throw ReflexError(
                .invalidArgument,
                "observation features read \(map.inputCount) sensor values per reading; the environment observes \(base.observationSize) (features need it unstacked: frames 1)")
        }
        self.base = base
        self.map = map
        self.frames = frames
        observationSize = map.outputCount * frames
        observations = Array(repeating: 0, count: base.count * observationSize)
        finalObservations = observations
        previous = Array(repeating: 0, count: base.count * map.inputCount)
        scratch = Array(repeating: 0, count: max(map.outputCount, 1))
        beginAll()
    }

    public func reset(seed: UInt64) {
        base.reset(seed: seed)
        beginAll()
    }

    public func step(_ actions: [Float]) {
        base.step(actions)
        let (n, width, size) = (map.inputCount, map.outputCount, observationSize)
        let raw = base.observations, final = base.finalObservations
        let (terminated, truncated) = (base.terminated, base.truncated)
        raw.withUnsafeBufferPointer { rawBuffer in
        final.withUnsafeBufferPointer { finalBuffer in
        previous.withUnsafeMutableBufferPointer { previousBuffer in
        scratch.withUnsafeMutableBufferPointer { scratchBuffer in
        observations.withUnsafeMutableBufferPointer { obsBuffer in
        finalObservations.withUnsafeMutableBufferPointer { finBuffer in
            let (r, f, p, s) = (rawBuffer.baseAddress!, finalBuffer.baseAddress!, previousBuffer.baseAddress!, scratchBuffer.baseAddress!)
            let (obs, fin) = (obsBuffer.baseAddress!, finBuffer.baseAddress!)
            for i in 0..<count {
                let row = obs + i * size
                if terminated[i] || truncated[i] {
                    // The ended episode's last reading, continuing its stack; then the new episode's first.
                    map.apply(f + i * n, previous: p + i * n, first: false, into: s)
                    Self.push(s, width: width, frames: frames, row: row)
                    (fin + i * size).update(from: row, count: size)
                    map.apply(r + i * n, previous: p + i * n, first: true, into: s)
                    Self.fill(s, width: width, frames: frames, row: row)
                } else {
                    map.apply(r + i * n, previous: p + i * n, first: false, into: s)
                    Self.push(s, width: width, frames: frames, row: row)
                }
            }
        }}}}}}
    }

    /// Every copy starts an episode from the base's current observations.
    private func beginAll() {
        let (n, width, size) = (map.inputCount, map.outputCount, observationSize)
        let raw = base.observations
        raw.withUnsafeBufferPointer { rawBuffer in
        previous.withUnsafeMutableBufferPointer { previousBuffer in
        scratch.withUnsafeMutableBufferPointer { scratchBuffer in
        observations.withUnsafeMutableBufferPointer { obsBuffer in
            let (r, p, s, obs) = (rawBuffer.baseAddress!, previousBuffer.baseAddress!, scratchBuffer.baseAddress!, obsBuffer.baseAddress!)
            for i in 0..<count {
                map.apply(r + i * n, previous: p + i * n, first: true, into: s)
                Self.fill(s, width: width, frames: frames, row: obs + i * size)
            }
        }}}}
    }

    /// Shifts the older frames of `row` back by one and writes `features` as the newest.
    @inline(__always)
    private static func push(_ features: UnsafePointer<Float>, width: Int, frames: Int, row: UnsafeMutablePointer<Float>) {
        if frames > 1 { (row + width).update(from: row, count: (frames - 1) * width) }
        row.update(from: features, count: width)
    }

    /// Writes `features` into every frame of `row` (an episode's start).
    @inline(__always)
    private static func fill(_ features: UnsafePointer<Float>, width: Int, frames: Int, row: UnsafeMutablePointer<Float>) {
        for k in 0..<frames { (row + k * width).update(from: features, count: width) }
    }
}
