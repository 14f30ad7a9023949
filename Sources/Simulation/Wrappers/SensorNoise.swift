import ReflexCore

/// Adds Gaussian noise and quantization to observations, per channel, then clamps each value to its
/// channel's declared range (hardware cannot report outside it).
///
/// The noise stream is reseeded from the seed of each seeded reset, so a seed reproduces it.
public struct SensorNoise<Base: Environment>: Environment {
    public var base: Base
    /// Standard deviation per channel, in the channel's unit.
    public let noise: [Double]
    /// Quantization step per channel (0 for none); values are rounded to the nearest multiple.
    public let resolution: [Double]
    private var generator: SeededGenerator

    public init(_ base: Base, noise: [Double], resolution: [Double], seed: UInt64 = 0) {
        let n = base.observationChannels.count
        precondition(noise.count == n && resolution.count == n, "one noise and one resolution value per sensor channel (\(n))")
        self.base = base
        self.noise = noise
        self.resolution = resolution
        generator = SeededGenerator(seed: derivedSeed(seed, 0x6E6F_6973_6500))
    }

    /// Noise and quantization as a description's sensor models declare them; channels with a raw
    /// encoding are rounded to whole counts.
    public init(_ base: Base, sensorModels: [SensorModel], seed: UInt64 = 0) {
        self.init(
            base, noise: sensorModels.map(\.noise),
            resolution: sensorModels.map { $0.raw != nil ? 1 : ($0.resolution ?? 0) }, seed: seed)
    }

    public var observationChannels: [ChannelSpec] { base.observationChannels }
    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace { base.actionSpace }

    public mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { generator = SeededGenerator(seed: derivedSeed(seed, 0x6E6F_6973_6500)) }
        return measure(base.reset(seed: seed))
    }

    public mutating func step(_ action: Action) -> Step {
        var result = base.step(action)
        result.observation = measure(result.observation)
        return result
    }

    private mutating func measure(_ values: [Float]) -> [Float] {
        var out = values
        let channels = base.observationChannels
        for i in out.indices {
            var v = Double(out[i])
            if noise[i] > 0 { v += noise[i] * generator.normal() }
            if resolution[i] > 0 { v = (v / resolution[i]).rounded() * resolution[i] }
            out[i] = Float(min(max(v, channels[i].min), channels[i].max))
        }
        return out
    }
}
