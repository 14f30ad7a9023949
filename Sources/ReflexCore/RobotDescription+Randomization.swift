/// A domain-randomization range for one numeric parameter of a description (`randomization:` in YAML).
public struct ParameterRange: Sendable, Equatable {
    /// Which parameter: `physics` or `task`.
    public enum Section: String, Sendable {
        case physics, task
    }

    public var section: Section
    /// Parameter name inside its section (`pole_mass`).
    public var name: String
    /// Smallest value drawn, in the parameter's unit.
    public var low: Double
    /// Largest value drawn, in the parameter's unit.
    public var high: Double

    public init(section: Section, name: String, low: Double, high: Double) {
        self.section = section
        self.name = name
        self.low = low
        self.high = high
    }

    /// `physics.pole_mass`
    public var keyPath: String { "\(section.rawValue).\(name)" }
}

extension RobotDescription {
    /// The description with the given parameters replaced (other fields unchanged).
    public func with(_ values: [(ParameterRange.Section, String, Double)]) -> RobotDescription {
        var copy = self
        for (section, name, value) in values {
            switch section {
            case .physics: copy.physics[name] = value
            case .task: copy.task[name] = value
            }
        }
        return copy
    }

    /// The description with every `randomization` parameter drawn uniformly from its range.
    ///
    /// Draws in `randomization` order (sorted by key path), so the same generator state gives the same draw.
    public func randomized(using generator: inout SeededGenerator) -> RobotDescription {
        with(randomization.map { range in
            (range.section, range.name, range.low == range.high ? range.low : generator.uniform(range.low, range.high))
        })
    }
}
