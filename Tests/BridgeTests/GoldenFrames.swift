import Bridge
import ReflexCore
import XCTest

/// The messages behind `firmware-bridge/protocol/tests/golden_frames.txt` (the C test builds the same ones).
enum GoldenFrames {
    static let messages: [String: Envelope] = [
        "hello": Envelope(sequence: 0, message: .hello(Hello(protocolVersion: 1, watchdogMillis: 0, hostName: "reflex"))),
        "identify_cartpole": Envelope(sequence: 0, message: .identify(Identify(
            firmwareMajor: 1, firmwareMinor: 2, firmwarePatch: 3, deviceName: "cartpole", periodMicros: 20000,
            watchdogMillis: 50,
            sensors: [
                ChannelSpec(name: "cart_position", unit: "m", min: Double(Float(-4.8)), max: Double(Float(4.8))),
                ChannelSpec(name: "cart_velocity", unit: "m/s", min: -.infinity, max: .infinity),
                ChannelSpec(name: "pole_angle", unit: "rad", min: Double(Float(-0.418879)), max: Double(Float(0.418879))),
                ChannelSpec(name: "pole_angular_velocity", unit: "rad/s", min: -.infinity, max: .infinity),
            ],
            actuators: [ChannelSpec(name: "cart_force", unit: "N", min: -10, max: 10, safeValue: 0)]))),
        "arm": Envelope(sequence: 1, message: .arm),
        "ack_arm": Envelope(sequence: 1, message: .ack(Ack(ackedSequence: 1, ackedType: .arm, result: .ok, status: [.armed, .configured]))),
        "actuate": Envelope(sequence: 2, message: .actuate([2.5])),
        "sensors": Envelope(sequence: 258, message: .sensors(Sensors(
            timestampMicros: 40000, status: [.armed, .configured], values: [0.0125, -0.5, 0, 1]))),
        "heartbeat": Envelope(sequence: 3, message: .heartbeat([])),
        "fault_watchdog": Envelope(sequence: 259, message: .fault(Fault(code: .watchdog, detail: 52, timestampMicros: 1_000_000))),
        "disarm": Envelope(sequence: 4, message: .disarm),
        "ack_disarm": Envelope(sequence: 260, message: .ack(Ack(ackedSequence: 4, ackedType: .disarm, result: .ok, status: [.configured]))),
        "get_link_stats": Envelope(sequence: 5, message: .getLinkStats),
        "link_stats": Envelope(sequence: 261, message: .linkStats(DeviceLinkStatistics(
            requestSequence: 5, timestampMicros: 2_000_000, frames: 1000, cobsErrors: 1, crcErrors: 2, versionErrors: 3,
            shortErrors: 4, longErrors: 5, payloadErrors: 6, unknownTypes: 7, sequenceGaps: 8, receiveOverruns: 9,
            framesNotSent: 10))),
    ]

    /// (name, bytes) from the shared file, located from this source file.
    static func load(file: StaticString = #filePath) throws -> [(String, [UInt8])] {
        let url = URL(fileURLWithPath: "\(file)")
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("firmware-bridge/protocol/tests/golden_frames.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        var out: [(String, [UInt8])] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { throw ReflexError(.io, "bad golden line: \(line)") }
            let hex = Array(parts[1].utf8)
            var bytes: [UInt8] = []
            var i = 0
            while i + 1 < hex.count {
                guard let byte = UInt8(String(decoding: hex[i...i + 1], as: UTF8.self), radix: 16) else {
                    throw ReflexError(.io, "bad hex in golden line: \(line)")
                }
                bytes.append(byte)
                i += 2
            }
            out.append((String(parts[0]), bytes))
        }
        return out
    }
}
