import ReflexCore

/// Per-episode domain randomization: every reset draws the description's `randomization` parameters
/// uniformly from their ranges and builds a fresh environment from the drawn description (so drawn
/// sensor noise, latencies and deadzones take effect when `make` builds them), then resets it with a
/// seed from its own stream.
///
/// A seeded reset reseeds the draw, so a seed reproduces the parameters, the start state and the noise.
public struct RandomizedEnvironment<Base: Environment>: Environment {
    public let nominal: RobotDescription
    /// The environment of the current episode.
    public private(set) var base: Base
    /// The description of the current episode (the nominal one before the first reset).
    public private(set) var current: RobotDescription
    /// Draws whose description the plant refused (the last good environment was kept); stays 0 for
    /// ranges the loader has checked.
    public private(set) var refusedDraws = 0
    private let make: (RobotDescription) throws -> Base
    private var generator: SeededGenerator

    /// - Parameter make: builds the environment for one drawn description.
    public init(nominal: RobotDescription, seed: UInt64 = 0, make: @escaping (RobotDescription) throws -> Base) throws {
        self.nominal = nominal
        self.make = make
        base = try make(nominal)
        current = nominal
        generator = SeededGenerator(seed: derivedSeed(seed, 0x7261_6E64))
    }

    public var observationChannels: [ChannelSpec] { base.observationChannels }
    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace { base.actionSpace }

    /// The drawn value of each randomized parameter in this episode, by key path (`physics.pole_mass`).
    public var parameters: [String: Double] {
        var values: [String: Double] = [:]
        for range in nominal.randomization {
            values[range.keyPath] = current.value(of: range)
        }
        return values
    }

    public mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { generator = SeededGenerator(seed: derivedSeed(seed, 0x7261_6E64)) }
        let drawn = nominal.randomized(using: &generator)
        if let env = try? make(drawn) {
            base = env
            current = drawn
        } else {
            refusedDraws += 1
        }
        return base.reset(seed: generator.split())
    }

    public mutating func step(_ action: Action) -> Step { base.step(action) }
}
