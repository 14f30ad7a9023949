import Foundation
import PolicyRuntime
import XCTest

/// A plant robot trained with observation features (environment.angles / environment.velocities) for a
/// few updates: the policy file records them, and `reflex eval` runs it one reading per tick.
final class FeatureTrainingTests: XCTestCase {
    func testFurutaWithFeaturesTrainsAndEvaluates() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("p.safetensors").path
        let train = try ReflexBinary.run([
            "train", "furuta", "--seed", "2", "--steps", "8192", "--out", out, "--json", "--quiet",
            "--set", "environment.frames=2", "--set", "environment.angles=[arm_encoder, pendulum_encoder]",
            "--set", "environment.velocities=pendulum_encoder", "--set", "ppo.evaluation_episodes=4",
        ])
        XCTAssertEqual(train.status, 2, "not solved in 8192 steps: exit status 2\n" + train.stderr)
        let summary = try ReflexBinary.json(train.stdout)
        XCTAssertEqual(summary["env_steps"] as? Int, 8192)

        let file = try PolicyFile.load(path: out)
        XCTAssertEqual(file.observationFeatures?.map(\.channel), ["arm_encoder", "pendulum_encoder"])
        XCTAssertEqual(file.observationFeatures?.map(\.transforms), [["angle"], ["angle", "velocity"]])
        XCTAssertEqual(file.architecture.inputSize, (2 + 3) * 2)
        XCTAssertEqual(file.observationChannels.map(\.name), ["arm_encoder", "pendulum_encoder"])

        for extra in [[], ["--randomize"]] {
            let eval = try ReflexBinary.run(["eval", out, "--episodes", "3", "--json"] + extra)
            XCTAssertEqual(eval.status, 0, eval.stderr)
            XCTAssertEqual(try ReflexBinary.json(eval.stdout)["episodes"] as? Int, 3)
        }

        let bad = try ReflexBinary.run(["train", "furuta", "--steps", "4096", "--out", out, "--quiet", "--set", "environment.angles=motor_voltage"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("environment.angles: 'motor_voltage' is not a sensor channel of furuta"), bad.stderr)
    }
}
