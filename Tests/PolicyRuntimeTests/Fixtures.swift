import Foundation
import NeuralNet
@testable import PolicyRuntime
import ReflexCore
import XCTest

/// Small policies and files shared by the PolicyRuntime tests.
enum Fixtures {
    static func provenance(robot: String = "cartpole") -> Provenance {
        Provenance(
            robot: robot, algorithm: "ppo", seed: UInt64.max - 7, envSteps: 500_000, meanReturn: 487.25,
            evaluationEpisodes: 20, trainingSeconds: 93.5, date: "2025-01-31T12:00:00Z", reflexVersion: "0.1.0",
            command: "reflex train cartpole --algo ppo --seed 42 --out policies/cartpole.safetensors",
            robotDescription: "name: cartpole\n# a comment with \"quotes\" and a / slash\nsensors:\n  - name: x\n"
        )
    }

    /// CartPole-shaped channels; some ranges are unbounded, as velocities are.
    static let cartPoleSensors = [
        ChannelSpec(name: "cart_position", unit: "m", min: -4.8, max: 4.8),
        ChannelSpec(name: "cart_velocity", unit: "m/s", min: -.infinity, max: .infinity),
        ChannelSpec(name: "pole_angle", unit: "rad", min: -0.418, max: 0.418),
        ChannelSpec(name: "pole_angular_velocity", unit: "rad/s", min: -.infinity, max: .infinity),
    ]
    static let cartPoleActuators = [ChannelSpec(name: "cart_force", unit: "N", min: -10, max: 10, safeValue: 0)]

    /// Deterministic, varied weights for every tensor of `architecture`.
    static func weights(for architecture: PolicyArchitecture, scale: Float = 0.5) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (index, (name, shape)) in architecture.expectedTensors.enumerated() {
            let count = shape.reduce(1, *)
            let scalars = (0..<count).map { scale * Float(sin(Double($0) * 0.731 + Double(index) * 1.37)) }
            result[name] = Tensor(shape: shape, scalars: scalars)
        }
        return result
    }

    /// 4 → 3 (tanh) → 2 logits, CartPole channels, push left/right, with observation normalization.
    static func discretePolicy(normalized: Bool = true, robot: String = "cartpole") -> PolicyFile {
        let architecture = PolicyArchitecture(inputSize: 4, hiddenSizes: [3], outputSize: 2, activation: .tanh, head: .categorical)
        let norm = ObservationNormalization(mean: [0.1, -0.2, 0.01, 0.5], variance: [0.5, 2, 0.01, 4], epsilon: 1e-8, clip: 5)
        return PolicyFile(
            architecture: architecture, weights: weights(for: architecture), observationNormalization: normalized ? norm : nil,
            observationChannels: cartPoleSensors, actuatorChannels: cartPoleActuators,
            actionSpace: .discrete(choices: [[-10], [10]]), provenance: provenance(robot: robot)
        )
    }

    /// 3 → 5 → 4 (tanh) → 2 means, continuous bounds ±2 and −1…3.
    static func gaussianPolicy() -> PolicyFile {
        let architecture = PolicyArchitecture(inputSize: 3, hiddenSizes: [5, 4], outputSize: 2, activation: .tanh, head: .gaussian)
        let sensors = (0..<3).map { ChannelSpec(name: "s\($0)", unit: "counts", min: 0, max: 4095) }
        let actuators = [
            ChannelSpec(name: "motor", unit: "V", min: -2, max: 2, safeValue: 0),
            ChannelSpec(name: "brake", unit: "1", min: -1, max: 3, safeValue: 0.5),
        ]
        return PolicyFile(
            architecture: architecture, weights: weights(for: architecture, scale: 1.5), observationNormalization: nil,
            observationChannels: sensors, actuatorChannels: actuators,
            actionSpace: .continuous(low: [-2, -1], high: [2, 3]), provenance: provenance(robot: "furuta")
        )
    }

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "reflex-policy-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Re-encodes a policy's file after `edit` changed its raw tensors or metadata.
    static func tampered(
        _ policy: PolicyFile, _ edit: (inout [String: Tensor], inout [String: String]) -> Void
    ) throws -> [UInt8] {
        var (tensors, metadata) = try Safetensors.decode(try policy.encoded())
        edit(&tensors, &metadata)
        return Safetensors.encode(tensors: tensors, metadata: metadata)
    }
}

/// Asserts that `body` throws a `ReflexError` with `code` whose message contains every string in `contains`.
func assertReflexError(
    _ code: ReflexError.Code, contains: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected \(code) error containing \(contains), nothing was thrown", file: file, line: line)
    } catch let error as ReflexError {
        XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
        for part in contains {
            XCTAssertTrue(error.message.contains(part), "message '\(error.message)' lacks '\(part)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected ReflexError, got \(error)", file: file, line: line)
    }
}

/// Asserts that decoding `bytes` throws a `SafetensorsError` of `kind` whose message contains `contains`.
func assertSafetensorsError(
    _ bytes: [UInt8], _ kind: SafetensorsError.Kind, contains: [String] = [], file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try Safetensors.decode(bytes)
        XCTFail("expected \(kind) error, decode succeeded", file: file, line: line)
    } catch let error as SafetensorsError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        for part in contains {
            XCTAssertTrue(error.message.contains(part), "message '\(error.message)' lacks '\(part)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected SafetensorsError, got \(error)", file: file, line: line)
    }
}

/// Writes raw bytes to `path` (for files our own writer would refuse to produce).
func writeFile(_ path: String, _ data: Data) throws {
    try data.write(to: URL(fileURLWithPath: path))
}
