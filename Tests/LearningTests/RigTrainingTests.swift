import Foundation
import XCTest
import PolicyRuntime
import ReflexCore
import Simulation
@testable import Learning

/// The rig robots (cartpole-rig, furuta) in training: their presets, the `environment` settings, frame
/// stacking recorded in the policy file and kept by `MLPPolicy`, and the shipped policies.
final class RigTrainingTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func shipped(_ name: String) throws -> MLPPolicy {
        try MLPPolicy(path: Self.root.appendingPathComponent("policies/\(name).safetensors").path)
    }

    /// Nominal episodes of `robot` driven by `policy`, one frame at a time as a device would feed it.
    func nominalReturns(_ policy: MLPPolicy, robot: String, episodes: Int) throws -> Robustness.Returns {
        let description = try RobotDescription.bundled(named: robot)
        return try Robustness.returns(description, options: .nominal, episodes: episodes, seed: 11) {
            policy.reset()
            var out = [Float](repeating: 0, count: policy.actuatorCount)
            return { observation in
                observation.withUnsafeBufferPointer { o in out.withUnsafeMutableBufferPointer { policy.act(observation: o, actuators: $0) } }
                return .continuous(out.map(Double.init))
            }
        }
    }

    func testShippedCartPoleRigPolicyBalancesForWholeEpisodes() throws {
        let policy = try shipped("cartpole-rig")
        XCTAssertEqual(policy.frames, 4)
        XCTAssertEqual(policy.file.provenance.robot, "cartpole-rig")
        let r = try nominalReturns(policy, robot: "cartpole-rig", episodes: 3)
        XCTAssertEqual(r.terminated, 0)
        XCTAssertEqual(r.meanLength, 1000)
        XCTAssertGreaterThan(r.min, 980)
    }

    func testShippedFurutaBalancePolicyBalancesForWholeEpisodes() throws {
        let policy = try shipped("furuta-balance")
        XCTAssertEqual(policy.frames, 4)
        let r = try nominalReturns(policy, robot: "furuta-balance", episodes: 3)
        XCTAssertEqual(r.terminated, 0)
        XCTAssertEqual(r.meanLength, 500)
        XCTAssertGreaterThan(r.min, 490)
    }

    func testWithoutItsFramesTheRigPolicyDropsThePole() throws {
        // The stack matters: fed the same frame every time (no motion visible) the policy cannot balance.
        let policy = try shipped("cartpole-rig")
        let description = try RobotDescription.bundled(named: "cartpole-rig")
        let r = try Robustness.returns(description, options: .nominal, episodes: 2, seed: 11) {
            var out = [Float](repeating: 0, count: 1)
            return { observation in
                let frozen = observation + observation + observation + observation
                frozen.withUnsafeBufferPointer { o in out.withUnsafeMutableBufferPointer { policy.act(observation: o, actuators: $0) } }
                return .continuous(out.map(Double.init))
            }
        }
        XCTAssertGreaterThan(r.terminated, 0)
    }

    func testSingleFramesGiveTheSameActionsAsTheTrainingStack() throws {
        // MLPPolicy keeping its own stack (deployment) acts exactly as on the vector environment's
        // stacked observations (training), step by step.
        let policy = try shipped("cartpole-rig")
        let single = try shipped("cartpole-rig")
        let description = try RobotDescription.bundled(named: "cartpole-rig")
        let env = try PlantVectorEnvironment<CartPoleRigModel>(
            description: description, count: 1, threads: 1, options: .init(frames: 4))
        env.reset(seed: 5)
        var a = [Float](repeating: 0, count: 1), b = [Float](repeating: 0, count: 1)
        for _ in 0..<200 {
            let stacked = env.observations
            let newest = Array(stacked[0..<2])
            stacked.withUnsafeBufferPointer { o in a.withUnsafeMutableBufferPointer { policy.act(observation: o, actuators: $0) } }
            newest.withUnsafeBufferPointer { o in b.withUnsafeMutableBufferPointer { single.act(observation: o, actuators: $0) } }
            XCTAssertEqual(a, b)
            env.step(a)
            if env.terminated[0] || env.truncated[0] { break }
        }
    }

    func testPresetsParseAndSetFramesAndRandomization() throws {
        for robot in ["cartpole-rig", "furuta-balance", "furuta"] {
            let preset = try PresetFile.bundled(robot: robot, knownSections: TrainingSetup.sections)
            var environment = EnvironmentConfig()
            try preset.settings.apply(to: &environment, section: "environment", fields: EnvironmentConfig.fields)
            // furuta (swing-up) reads cos/sin and velocities of both encoders instead of stacked counts.
            let expected = robot == "furuta"
                ? EnvironmentConfig(frames: 1, randomize: true, angles: ["arm_encoder", "pendulum_encoder"], velocities: ["arm_encoder", "pendulum_encoder"])
                : EnvironmentConfig(frames: 4, randomize: true)
            XCTAssertEqual(environment, expected, robot)
            var ppo = PPOConfig()
            try preset.settings.apply(to: &ppo, section: "ppo", fields: PPOConfig.fields)
            XCTAssertNotNil(ppo.solvedReturn, robot)
        }
    }

    func testTrainerExportsAFrameStackedPolicyThatLoads() throws {
        let description = try RobotDescription.bundled(named: "furuta-balance")
        let preset = try PresetFile.bundled(robot: "furuta-balance", knownSections: TrainingSetup.sections)
        let trainer = try TrainingSetup.make(
            description: description, algorithm: "ppo", seed: 3, preset: preset,
            overrides: [try ConfigSetting.parse("environment.frames=3")], totalSteps: nil)
        let provenance = Provenance(
            robot: description.name, algorithm: "ppo", seed: 3, envSteps: 0, meanReturn: 0, evaluationEpisodes: 0,
            trainingSeconds: 0, date: "", reflexVersion: "", command: "", robotDescription: description.sourceText)
        let file = trainer.policyFile(description: description, provenance: provenance)
        XCTAssertEqual(file.architecture.frames, 3)
        XCTAssertEqual(file.architecture.inputSize, 2 * 3)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rig-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: path)
        let loaded = try PolicyFile.load(path: path)
        XCTAssertEqual(loaded.architecture.frames, 3)
        XCTAssertEqual(try MLPPolicy(file: loaded).frames, 3)
        // A checkpoint remembers the environment, so a resumed run rebuilds the same one.
        let resumed = try TrainingSetup.resume(description: description, checkpoint: trainer.checkpoint(), totalSteps: nil)
        XCTAssertEqual(resumed.policyFile(description: description, provenance: provenance).architecture.frames, 3)
    }

    func testEnvironmentMistakesAreNamed() throws {
        func message(_ robot: String, _ setting: String) -> String {
            do {
                let description = try RobotDescription.bundled(named: robot)
                _ = try TrainingSetup.make(
                    description: description, algorithm: "ppo", seed: 1, preset: PresetFile(settings: []),
                    overrides: [try ConfigSetting.parse(setting)], totalSteps: nil)
            } catch { return "\(error)" }
            return "no error"
        }
        XCTAssertTrue(message("cartpole-rig", "environment.frames=0").contains("environment.frames"))
        XCTAssertTrue(message("cartpole-rig", "environment.stack=2").contains("unknown key 'environment.stack'"))
        XCTAssertTrue(message("cartpole", "environment.frames=4").contains("plant robots"))
    }

    func testAFileWhoseInputDisagreesWithItsFramesIsRefused() throws {
        var file = try PolicyFile.load(path: Self.root.appendingPathComponent("policies/cartpole-rig.safetensors").path)
        file.architecture.frames = 3
        XCTAssertThrowsError(try file.validate()) { error in
            XCTAssertTrue("\(error)".contains("2 observation channels × 3 frames"), "\(error)")
        }
    }
}
