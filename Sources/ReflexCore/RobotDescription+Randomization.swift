/// A domain-randomization range for one numeric parameter of a description (`randomization:` in YAML).
///
/// Physics and task parameters are named `physics.<key>` / `task.<key>`; sensor and actuator fields
/// `sensors.<channel>.noise`, `sensors.<channel>.latency_ticks`, `actuators.<channel>.deadzone`, and
/// `actuators.latency_ticks` (every actuator: one command frame has one latency).
public struct ParameterRange: Sendable, Equatable {
    /// Which part of the description the parameter belongs to.
    public enum Section: String, Sendable {
        case physics, task, sensors, actuators
    }

    public var section: Section
    /// Parameter name inside its section: `pole_mass`, `pole_encoder.noise`, `latency_ticks`.
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

    /// Whole numbers only (latencies in control periods): drawn uniformly among low…high.
    public var isInteger: Bool { name == "latency_ticks" || name.hasSuffix(".latency_ticks") }

    /// A value drawn uniformly from the range.
    public func draw(using generator: inout SeededGenerator) -> Double {
        if low == high { return low }
        if isInteger { return min((generator.uniform(low, high + 1)).rounded(.down), high) }
        return generator.uniform(low, high)
    }
}

extension RobotDescription {
    /// The description with the given parameters replaced (other fields unchanged); unknown names are ignored.
    public func with(_ values: [(ParameterRange.Section, String, Double)]) -> RobotDescription {
        var copy = self
        for (section, name, value) in values {
            switch section {
            case .physics: copy.physics[name] = value
            case .task: copy.task[name] = value
            case .sensors:
                guard let (i, field) = Self.channelField(name, in: copy.sensors) else { continue }
                switch field {
                case "noise": copy.sensorModels[i].noise = value
                case "latency_ticks": copy.sensorModels[i].latencyTicks = Int(value)
                default: break
                }
            case .actuators:
                if name == "latency_ticks" {
                    for i in copy.actuatorModels.indices { copy.actuatorModels[i].latencyTicks = Int(value) }
                } else if let (i, field) = Self.channelField(name, in: copy.actuators), field == "deadzone" {
                    copy.actuatorModels[i].deadzone = value
                }
            }
        }
        return copy
    }

    /// The current value of a parameter a range names (`nil` when the description has no such parameter).
    public func value(of range: ParameterRange) -> Double? {
        switch range.section {
        case .physics: return physics[range.name]
        case .task: return task[range.name]
        case .sensors:
            guard let (i, field) = Self.channelField(range.name, in: sensors) else { return nil }
            switch field {
            case "noise": return sensorModels[i].noise
            case "latency_ticks": return Double(sensorModels[i].latencyTicks)
            default: return nil
            }
        case .actuators:
            if range.name == "latency_ticks" { return actuatorModels.first.map { Double($0.latencyTicks) } }
            guard let (i, field) = Self.channelField(range.name, in: actuators), field == "deadzone" else { return nil }
            return actuatorModels[i].deadzone
        }
    }

    /// The description with every `randomization` parameter drawn uniformly from its range.
    ///
    /// Draws in `randomization` order (sorted by key path), so the same generator state gives the same draw.
    public func randomized(using generator: inout SeededGenerator) -> RobotDescription {
        with(randomization.map { ($0.section, $0.name, $0.draw(using: &generator)) })
    }

    /// (channel index, field) for `<channel>.<field>`.
    static func channelField(_ name: String, in channels: [ChannelSpec]) -> (Int, String)? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        let channel = String(name[..<dot]), field = String(name[name.index(after: dot)...])
        guard let i = channels.firstIndex(where: { $0.name == channel }) else { return nil }
        return (i, field)
    }
}
