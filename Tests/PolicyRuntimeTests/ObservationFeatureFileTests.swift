import Foundation
import NeuralNet
@testable import PolicyRuntime
import ReflexCore
import XCTest

/// A policy file's `observation_features`: recorded and read back, refused with the file, the key and the
/// problem when wrong, absent from (and so not changing) files without features, and applied by
/// `MLPPolicy.act` with its per-episode state cleared by `reset()`.
final class ObservationFeatureFileTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testFeaturesRoundTripAndKeepTheDeviceChannelCheck() throws {
        let policy = Fixtures.featurePolicy()
        let bytes = try policy.encoded()
        let metadata = try Safetensors.decode(bytes).metadata
        XCTAssertEqual(
            metadata["observation_features"],
            #"[{"channel":"pendulum_encoder","period":0.01,"scale":0.0030679615757712823,"transforms":["angle","velocity"],"wrap":2048}]"#)
        let loaded = try PolicyFile.decode(bytes)
        XCTAssertEqual(loaded, policy)
        XCTAssertEqual(try loaded.encoded(), bytes)
        // The device still reports the raw channels the file names.
        XCTAssertNoThrow(try loaded.verify(sensors: Fixtures.encoderSensors, actuators: Fixtures.motorActuators))
        XCTAssertThrowsError(try loaded.verify(sensors: Array(Fixtures.encoderSensors.prefix(1)), actuators: Fixtures.motorActuators))
    }

    func testFilesWithoutFeaturesReadAndWriteByteForByteAsBefore() throws {
        for name in ["cartpole", "cartpole-rig", "furuta-balance"] {
            let path = Self.repositoryRoot.appendingPathComponent("policies/\(name).safetensors").path
            let original = try PolicyFile.readFile(path)
            let file = try PolicyFile.decode(original, source: path)
            XCTAssertNil(file.observationFeatures, name)
            XCTAssertEqual(try file.encoded(), original, "\(name) re-encodes to other bytes")
            XCTAssertNil(try Safetensors.decode(try file.encoded()).metadata["observation_features"])
        }
    }

    /// The file decoded after `edit` rewrote its observation_features entry.
    func decodeError(_ features: String) throws -> String {
        let bytes = try Fixtures.tampered(Fixtures.featurePolicy()) { _, metadata in metadata["observation_features"] = features }
        do {
            _ = try PolicyFile.decode(bytes, source: "p.safetensors")
            return "no error"
        } catch let error as ReflexError {
            XCTAssertEqual(error.code, .invalidPolicyFile)
            return error.message
        }
    }

    func testBadFeatureEntriesAreNamed() throws {
        let good = #"{"channel":"pendulum_encoder","period":0.01,"scale":0.0030679615757712823,"transforms":["angle","velocity"],"wrap":2048}"#
        XCTAssertEqual(try decodeError("[\(good)]"), "no error")
        func entry(_ replace: String, with: String) -> String { "[" + good.replacingOccurrences(of: replace, with: with) + "]" }
        let cases: [(String, [String])] = [
            (entry(#""angle""#, with: #""angel""#), ["unknown transform 'angel'", "known: angle, velocity"]),
            (entry(#""channel":"pendulum_encoder""#, with: #""channel":"pendulum""#), ["'pendulum' is not an observation channel", "arm_encoder, pendulum_encoder"]),
            (entry(#""scale":0.0030679615757712823,"#, with: ""), ["missing raw scale"]),
            (entry(#""scale":0.0030679615757712823"#, with: #""scale":"inf""#), ["scale inf must be finite"]),
            (entry(#""period":0.01"#, with: #""period":"nan""#), ["period nan must be finite"]),
            (entry(#""wrap":2048"#, with: #""wrap":-2048"#), ["wrap -2048.0 must be finite and > 0"]),
            (entry(#","period":0.01"#, with: ""), ["velocity needs period"]),
            (entry(#""transforms":["angle","velocity"]"#, with: #""transforms":["angle"]"#), ["input size 8", "3 values per reading × 2 frames"]),
            ("[\(good),\(good)]", ["listed twice"]),
            (#"{"channel":"x"}"#, ["metadata entry 'observation_features' is invalid"]),
        ]
        for (text, expected) in cases {
            let message = try decodeError(text)
            for part in ["p.safetensors", "observation_features"] + expected {
                XCTAssertTrue(message.contains(part), "'\(message)' lacks '\(part)' for \(text)")
            }
        }
    }

    func testFeaturesDoNotApplyToACameraPolicy() throws {
        var file = Fixtures.featurePolicy()
        file.architecture = PolicyArchitecture.cnn(
            image: [1, 4, 4], convolutions: [.init(filters: 1, kernel: 2, stride: 2)], hiddenSizes: [], outputSize: 1, head: .gaussian)
        assertReflexError(.invalidPolicyFile, contains: ["observation_features"]) { try file.validate() }
    }

    /// Network input the policy computed, via a policy whose network is the identity.
    func inputs(_ policy: MLPPolicy, _ reading: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: policy.actuatorCount)
        reading.withUnsafeBufferPointer { r in out.withUnsafeMutableBufferPointer { policy.act(observation: r, actuators: $0) } }
        return out
    }

    func testActComputesStacksAndResetsFeatures() throws {
        let policy = try MLPPolicy(file: Fixtures.featurePolicy(identity: true))
        XCTAssertEqual(policy.inputSize, 8)
        XCTAssertEqual(policy.sensorCount, 2)
        let scale = Fixtures.encoderScale
        let speed = { (counts: Double) in Float(counts * scale / 0.01) }
        // Frame layout, newest first: arm counts, pendulum cos, sin, velocity.
        var x = inputs(policy, [100, -1020])
        XCTAssertEqual(x[3], 0)
        XCTAssertEqual(Array(x[0..<4]), Array(x[4..<8]), "the first reading fills every frame")
        XCTAssertEqual(x[0], 100)
        x = inputs(policy, [101, 1020])
        XCTAssertEqual(x[3], speed(-8), "−1020 → 1020 is 8 counts backwards through the wrap")
        XCTAssertEqual(x[7], 0, "the older frame is the first reading")
        XCTAssertEqual(Double(x[2]), sin(1020 * scale), accuracy: 1e-6)
        x = inputs(policy, [101, 1010])
        XCTAssertEqual(x[3], speed(-10))
        XCTAssertEqual(x[7], speed(-8))
        policy.reset()
        x = inputs(policy, [0, 0])
        XCTAssertEqual(x[3], 0, "reset forgets the previous reading")
        XCTAssertEqual(Array(x[0..<4]), Array(x[4..<8]), "reset refills the stack")
        XCTAssertEqual(x[1], 1)  // count 0: angle 0 (no offset), cos 1
    }
}

extension Fixtures {
    static let encoderScale = 2 * Double.pi / 2048
    static let encoderSensors = [
        ChannelSpec(name: "arm_encoder", unit: "counts", min: -1024, max: 1024),
        ChannelSpec(name: "pendulum_encoder", unit: "counts", min: -1024, max: 1023),
    ]
    static let motorActuators = [ChannelSpec(name: "motor_voltage", unit: "V", min: -10, max: 10, safeValue: 0)]

    /// Two encoder channels, the pendulum read as cos, sin and velocity (the arm passes through), 2
    /// frames: 4 values per frame. `identity`: no hidden layers, W = I and one actuator per input with
    /// far bounds, so the actuator values are the network's input.
    static func featurePolicy(identity: Bool = false) -> PolicyFile {
        let features = [
            ObservationFeature(
                channel: "pendulum_encoder", transforms: ["angle", "velocity"], scale: 0.0030679615757712823, wrap: 2048, period: 0.01),
        ]
        if identity {
            let n = 8
            let architecture = PolicyArchitecture(inputSize: n, hiddenSizes: [], outputSize: n, activation: .tanh, head: .gaussian, frames: 2)
            var w = [Float](repeating: 0, count: n * n)
            for i in 0..<n { w[i * n + i] = 1 }
            return PolicyFile(
                architecture: architecture,
                weights: ["actor.0.weight": Tensor(shape: [n, n], scalars: w), "actor.0.bias": Tensor(shape: [n], scalars: [Float](repeating: 0, count: n))],
                observationNormalization: nil, observationChannels: encoderSensors,
                actuatorChannels: (0..<n).map { ChannelSpec(name: "a\($0)", unit: "1", min: -1e6, max: 1e6, safeValue: 0) },
                actionSpace: .continuous(low: [Double](repeating: -1e6, count: n), high: [Double](repeating: 1e6, count: n)),
                provenance: provenance(robot: "furuta"), observationFeatures: features)
        }
        let architecture = PolicyArchitecture(inputSize: 8, hiddenSizes: [16], outputSize: 1, activation: .tanh, head: .gaussian, frames: 2)
        return PolicyFile(
            architecture: architecture, weights: weights(for: architecture),
            observationNormalization: ObservationNormalization(
                mean: [0, 0, 0, 0, 0, 0, 0, 0], variance: [100, 0.5, 0.5, 4, 100, 0.5, 0.5, 4]),
            observationChannels: encoderSensors, actuatorChannels: motorActuators,
            actionSpace: .continuous(low: [-10], high: [10]), provenance: provenance(robot: "furuta"), observationFeatures: features)
    }
}
