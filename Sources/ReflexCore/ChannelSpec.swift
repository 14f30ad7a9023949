/// One named, physical channel of a robot: a sensor it reports or an actuator it accepts.
///
/// The same spec travels through the robot description, the simulator, the policy file, the wire
/// protocol's IDENTIFY message and the control loop's channel check.
public struct ChannelSpec: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Channel name, unique within its robot (`cart_position`).
    public var name: String
    /// SI unit or count unit of the value (`m`, `rad/s`, `N`, `counts`).
    public var unit: String
    /// Smallest value the channel can report or accept.
    public var min: Double
    /// Largest value the channel can report or accept.
    public var max: Double
    /// Actuators only: the value applied when disarmed or faulted.
    public var safeValue: Double?

    public init(name: String, unit: String, min: Double, max: Double, safeValue: Double? = nil) {
        self.name = name
        self.unit = unit
        self.min = min
        self.max = max
        self.safeValue = safeValue
    }

    public var description: String {
        var text = "\(name) [\(unit)] \(min)…\(max)"
        if let safeValue { text += " safe \(safeValue)" }
        return text
    }
}

extension ChannelSpec {
    /// Lists how two channel lists differ, one line per difference; empty when they agree.
    ///
    /// Ranges are compared with a relative tolerance because they cross the wire as Float32.
    public static func differences(expected: [ChannelSpec], actual: [ChannelSpec], kind: String) -> [String] {
        var lines: [String] = []
        if expected.count != actual.count {
            lines.append("\(kind): expected \(expected.count) channels, device has \(actual.count)")
        }
        for index in 0..<Swift.max(expected.count, actual.count) {
            let e = index < expected.count ? expected[index] : nil
            let a = index < actual.count ? actual[index] : nil
            switch (e, a) {
            case let (e?, a?):
                var parts: [String] = []
                if e.name != a.name { parts.append("name \(e.name) ≠ \(a.name)") }
                if e.unit != a.unit { parts.append("unit \(e.unit) ≠ \(a.unit)") }
                if !Self.close(e.min, a.min) || !Self.close(e.max, a.max) {
                    parts.append("range \(e.min)…\(e.max) ≠ \(a.min)…\(a.max)")
                }
                if !parts.isEmpty {
                    lines.append("\(kind)[\(index)] \(e.name): " + parts.joined(separator: ", "))
                }
            case let (e?, nil):
                lines.append("\(kind)[\(index)] \(e.name): missing on the device")
            case let (nil, a?):
                lines.append("\(kind)[\(index)] \(a.name): not expected by the policy")
            case (nil, nil):
                break
            }
        }
        return lines
    }

    private static func close(_ a: Double, _ b: Double) -> Bool {
        if a == b { return true }
        return abs(a - b) <= 1e-5 * Swift.max(abs(a), abs(b), 1)
    }
}
