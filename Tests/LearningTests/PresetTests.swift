import XCTest
import ReflexCore
@testable import Learning

/// Preset files and `--set` overrides: values land in the config, mistakes are named.
final class PresetTests: XCTestCase {
    func testBundledPresetsLoadAndApply() throws {
        let preset = try PresetFile.bundled(robot: "pendulum", knownSections: TrainingSetup.algorithms)
        XCTAssertEqual(preset.algorithms, ["ppo", "sac"])
        var ppo = PPOConfig()
        try preset.settings.apply(to: &ppo, section: "ppo", fields: PPOConfig.fields)
        XCTAssertEqual(ppo.hiddenSizes, [64, 64])
        XCTAssertTrue(ppo.normalizeObservations)
        XCTAssertEqual(ppo.solvedReturn, -200)

        // The CartPole preset is the tuned configuration the code ships as PPOConfig.cartpole.
        let cartpole = try PresetFile.bundled(robot: "cartpole", knownSections: TrainingSetup.algorithms)
        var config = PPOConfig.cartpole
        try cartpole.settings.apply(to: &config, section: "ppo", fields: PPOConfig.fields)
        XCTAssertEqual(config, PPOConfig.cartpole)
    }

    func testSetOverridesWinAndAcceptCommonSpellings() throws {
        var config = PPOConfig()
        let settings = try ["ppo.learning_rate=3e-4", "ppo.total_steps=1e5", "ppo.hidden_sizes=[32, 16]", "ppo.target_kl=none",
                            "ppo.normalize_rewards=yes"].map(ConfigSetting.parse)
        try settings.apply(to: &config, section: "ppo", fields: PPOConfig.fields)
        XCTAssertEqual(config.learningRate, 3e-4)
        XCTAssertEqual(config.totalSteps, 100_000)
        XCTAssertEqual(config.hiddenSizes, [32, 16])
        XCTAssertNil(config.targetKL)
        XCTAssertTrue(config.normalizeRewards)
    }

    func testMistakesAreNamed() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        var config = PPOConfig()
        let unknown = message { try [ConfigSetting.parse("ppo.learnin_rate=1")].apply(to: &config, section: "ppo", fields: PPOConfig.fields) }
        XCTAssertTrue(unknown.contains("unknown key 'ppo.learnin_rate'") && unknown.contains("learning_rate"), unknown)
        let bad = message { try [ConfigSetting.parse("ppo.epochs=ten")].apply(to: &config, section: "ppo", fields: PPOConfig.fields) }
        XCTAssertTrue(bad.contains("ppo.epochs") && bad.contains("'ten'"), bad)
        let zero = message { try [ConfigSetting.parse("ppo.epochs=0")].apply(to: &config, section: "ppo", fields: PPOConfig.fields) }
        XCTAssertTrue(zero.contains("must be > 0"), zero)
        XCTAssertTrue(message { _ = try ConfigSetting.parse("learning_rate=1") }.contains("section.key=value"))
        XCTAssertTrue(message { _ = try ConfigSetting.parse("ppo.learning_rate") }.contains("section.key=value"))

        let wrongSection = message {
            _ = try TrainingSetup.make(
                description: RobotDescription.bundled(named: "pendulum"), algorithm: "ppo", seed: 1,
                preset: PresetFile(settings: []), overrides: [ConfigSetting.parse("sac.tau=0.01")], totalSteps: nil)
        }
        XCTAssertTrue(wrongSection.contains("must start with 'ppo.'"), wrongSection)
        let indivisible = message {
            _ = try TrainingSetup.make(
                description: RobotDescription.bundled(named: "pendulum"), algorithm: "ppo", seed: 1,
                preset: PresetFile(settings: []), overrides: [ConfigSetting.parse("ppo.minibatches=7")], totalSteps: nil)
        }
        XCTAssertTrue(indivisible.contains("not divisible"), indivisible)
    }

    func testPresetFileErrorsNameTheFile() {
        func message(_ yaml: String) -> String {
            do { _ = try PresetFile.parse(yaml: yaml, file: "presets/x.yaml", knownSections: ["ppo", "sac"]) } catch { return "\(error)" }
            return "no error"
        }
        XCTAssertTrue(message("dqn:\n  lr: 1\n").contains("presets/x.yaml: unknown section 'dqn'"))
        XCTAssertTrue(message("ppo: 3\n").contains("expected a mapping"))
        XCTAssertTrue(message("ppo: [\n").contains("not valid YAML"))
        XCTAssertTrue(message("ppo:\n  gamma: {a: 1}\n").contains("ppo.gamma"))
    }
}
