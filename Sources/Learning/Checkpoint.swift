import Foundation
import NeuralNet
import PolicyRuntime
import ReflexCore

/// Where a training run stands: enough, with the networks and optimizers, to continue it.
public struct TrainingCounters: Codable, Sendable, Equatable {
    /// Updates completed (PPO: rollouts; SAC: progress reports of its steps).
    public var update = 0
    public var envSteps = 0
    /// Wall seconds spent training so far, over every resumed session.
    public var seconds = 0.0
    /// Returns of the last (up to 20) finished training episodes.
    public var recentReturns: [Double] = []
    public var lastEvaluation: EvaluationResult?

    public init() {}

    /// Records where training stands after an update (what a checkpoint saves) and returns the progress
    /// report made of the same figures, so every trainer reports the same way.
    public mutating func record(
        update: Int, of updates: Int, envSteps: Int, totalSteps: Int, seconds: Double, recentReturns: [Double],
        lastEvaluation: EvaluationResult?, metrics: UpdateMetrics
    ) -> TrainingProgress {
        self.update = update
        self.envSteps = envSteps
        self.seconds = seconds
        self.recentReturns = recentReturns
        self.lastEvaluation = lastEvaluation
        let recentMean = recentReturns.isEmpty ? nil : recentReturns.reduce(0, +) / Double(recentReturns.count)
        return TrainingProgress(
            update: update, updates: updates, envSteps: envSteps, totalSteps: totalSteps, elapsedSeconds: seconds,
            recentMeanReturn: recentMean, lastEvaluation: lastEvaluation, metrics: metrics)
    }
}

/// A training checkpoint: every network's parameters, every optimizer's moments, normalizer statistics,
/// counters and the configuration, as one safetensors file (`checkpoint.safetensors` in the run folder).
///
/// Written atomically (temporary file + fsync + rename), so killing training at any moment leaves the
/// previous checkpoint or the new one. A resumed run is bit-identical to one that was never stopped: the
/// checkpoint keeps the trainer's random generator state and every action sent to the training
/// environment since its reset with the seed, which the resumed run replays to bring the (deterministic)
/// environment copies — physics, episode counters, their own generators — back to exactly where they were.
/// (Checkpoints from before this carry no history; those resume with fresh episodes instead.)
public struct Checkpoint {
    public static let fileName = "checkpoint.safetensors"
    public static let formatTag = "reflex-checkpoint"

    public var tensors: [String: Tensor] = [:]
    public var metadata: [String: String] = [:]

    public init() {}

    public init(tensors: [String: Tensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public func write(to path: String) throws {
        var meta = metadata
        meta["format"] = Self.formatTag
        try AtomicFile.write(Safetensors.encode(tensors: tensors, metadata: meta), to: path)
    }

    public static func load(path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReflexError(.io, "\(path): no checkpoint here (resume needs the run folder of an earlier `reflex train`)")
        }
        let decoded: (tensors: [String: Tensor], metadata: [String: String])
        do {
            decoded = try Safetensors.decode([UInt8](data))
        } catch {
            throw ReflexError(.io, "\(path): not a readable checkpoint: \(error)")
        }
        guard decoded.metadata["format"] == formatTag else {
            throw ReflexError(.io, "\(path): not a Reflex training checkpoint (no \(formatTag) format tag)")
        }
        return Checkpoint(tensors: decoded.tensors, metadata: decoded.metadata)
    }

    // MARK: - Parts

    public mutating func add(_ parameters: [Parameter], prefix: String) {
        for p in parameters { tensors["\(prefix)/\(p.name)"] = p.value }
    }

    public func restore(_ parameters: [Parameter], prefix: String) throws {
        for p in parameters {
            let name = "\(prefix)/\(p.name)"
            guard let t = tensors[name] else { throw problem("missing tensor '\(name)'") }
            guard t.shape == p.value.shape else { throw problem("tensor '\(name)' has shape \(t.shape), the network needs \(p.value.shape)") }
            p.value = t
        }
    }

    public mutating func add(_ optimizer: Adam, prefix: String) {
        let state = optimizer.state
        metadata["\(prefix).step"] = String(state.step)
        for k in state.firstMoments.indices {
            tensors["\(prefix)/\(k)/m"] = Tensor(shape: [state.firstMoments[k].count], scalars: state.firstMoments[k])
            tensors["\(prefix)/\(k)/v"] = Tensor(shape: [state.secondMoments[k].count], scalars: state.secondMoments[k])
        }
    }

    public func restore(_ optimizer: Adam, prefix: String) throws {
        guard let step = metadata["\(prefix).step"].flatMap(Int.init) else { throw problem("missing '\(prefix).step'") }
        var m: [[Float]] = [], v: [[Float]] = []
        for k in optimizer.parameters.indices {
            guard let mk = tensors["\(prefix)/\(k)/m"], let vk = tensors["\(prefix)/\(k)/v"] else {
                throw problem("missing optimizer moments '\(prefix)/\(k)'")
            }
            m.append(mk.scalars)
            v.append(vk.scalars)
        }
        do {
            try optimizer.restore(step: step, firstMoments: m, secondMoments: v)
        } catch {
            throw problem("\(prefix): \(error)")
        }
    }

    public mutating func setJSON<T: Encodable>(_ key: String, _ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        metadata[key] = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    public func json<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let text = metadata[key] else { throw problem("missing '\(key)'") }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw problem("'\(key)' does not decode: \(error)")
        }
    }

    func problem(_ text: String) -> ReflexError {
        ReflexError(.io, "checkpoint: \(text)")
    }

    /// Keeps a generator's exact state.
    mutating func add(generator: SeededGenerator, key: String) {
        metadata[key] = generator.stateWords.map(String.init).joined(separator: ",")
    }

    /// The generator stored under `key`, or nil when the checkpoint has none (older checkpoints).
    func generator(_ key: String) throws -> SeededGenerator? {
        guard let text = metadata[key] else { return nil }
        let words = text.split(separator: ",").compactMap { UInt64($0) }
        guard words.count == 4 else { throw problem("'\(key)' is not a generator state") }
        return SeededGenerator(stateWords: words)
    }

    /// Keeps the actions sent to the training environment (discrete actions are small integers, exact as Float).
    mutating func add(actionHistory: [Float]) {
        tensors["env/actions"] = Tensor(shape: [actionHistory.count], scalars: actionHistory)
    }

    /// The stored action history, or nil for older checkpoints; `width` values make one environment step.
    func actionHistory(width: Int, envSteps: Int, copies: Int) throws -> [Float]? {
        guard let t = tensors["env/actions"] else { return nil }
        guard t.count == envSteps / max(copies, 1) * width else {
            throw problem("the action history has \(t.count) values; \(envSteps) env steps over \(copies) copies need \(envSteps / max(copies, 1) * width)")
        }
        return t.scalars
    }

    /// The re-seeded generator a resumed run uses after `update` updates.
    static func resumedGenerator(seed: UInt64, update: Int) -> SeededGenerator {
        SeededGenerator(seed: seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(update + 1)))
    }
}

extension SeededGenerator {
    /// The generator's four state words (xoshiro256), read through its memory layout: `SeededGenerator`
    /// is four `UInt64`s and nothing else, which the precondition checks.
    var stateWords: [UInt64] {
        precondition(MemoryLayout<SeededGenerator>.size == 32, "SeededGenerator's layout changed")
        return withUnsafeBytes(of: self) { Array($0.bindMemory(to: UInt64.self)) }
    }

    init(stateWords words: [UInt64]) {
        precondition(MemoryLayout<SeededGenerator>.size == 32 && words.count == 4, "SeededGenerator's layout changed")
        var g = SeededGenerator(seed: 0)
        withUnsafeMutableBytes(of: &g) { raw in
            for (k, w) in words.enumerated() { raw.storeBytes(of: w, toByteOffset: 8 * k, as: UInt64.self) }
        }
        self = g
    }
}
