import Foundation
import XCTest

/// `reflex eval --randomize`: the same episodes on the nominal plant and under the description's
/// randomization and hardware models, side by side, so robustness is a number.
final class EvalRandomizeTests: XCTestCase {
    func testShippedRigPolicyReportsNominalAndRandomizedReturns() throws {
        let result = try ReflexBinary.run(["eval", "policies/cartpole-rig.safetensors", "--randomize", "--episodes", "10", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try ReflexBinary.json(result.stdout)
        XCTAssertEqual(report["robot"] as? String, "cartpole-rig")
        XCTAssertEqual(report["episodes"] as? Int, 10)
        let nominal = try XCTUnwrap(report["nominal"] as? [String: Any])
        let randomized = try XCTUnwrap(report["randomized"] as? [String: Any])
        // Balanced for the whole 1000-step episode, nominally and randomized (the ≥ 95 % goal).
        XCTAssertGreaterThanOrEqual(nominal["mean_return"] as? Double ?? 0, 980)
        XCTAssertEqual(nominal["terminated"] as? Int, 0)
        XCTAssertGreaterThanOrEqual(randomized["mean_return"] as? Double ?? 0, 0.95 * (nominal["mean_return"] as? Double ?? 0))
        XCTAssertGreaterThanOrEqual(report["ratio"] as? Double ?? 0, 0.95)
        let parameters = try XCTUnwrap(report["randomized_parameters"] as? [String])
        XCTAssertTrue(parameters.contains("physics.cart_mass"), "\(parameters)")
        XCTAssertTrue(parameters.contains("actuators.latency_ticks"), "\(parameters)")
    }

    func testRandomizedAndNominalRowsDifferUnderRandomization() throws {
        // The randomized episodes are not the nominal ones replayed: drawn parameters and encoder
        // quantization change the returns (the control cost depends on every duty the policy sends).
        let result = try ReflexBinary.run(["eval", "policies/cartpole-rig.safetensors", "--randomize", "--episodes", "5", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try ReflexBinary.json(result.stdout)
        let nominal = try XCTUnwrap(report["nominal"] as? [String: Any])
        let randomized = try XCTUnwrap(report["randomized"] as? [String: Any])
        XCTAssertNotEqual(nominal["mean_return"] as? Double, randomized["mean_return"] as? Double)
    }

    func testHumanReadableReportHasBothRowsAndTheRatio() throws {
        let result = try ReflexBinary.run(["eval", "policies/furuta-balance.safetensors", "--randomize", "--episodes", "5"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("nominal"), result.stdout)
        XCTAssertTrue(result.stdout.contains("randomized"), result.stdout)
        XCTAssertTrue(result.stdout.contains("randomized / nominal:"), result.stdout)
    }

    func testRandomizeRefusesAMissingPolicyFile() throws {
        let result = try ReflexBinary.run(["eval", "policies/no-such.safetensors", "--randomize", "--episodes", "3"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("no-such.safetensors"), result.stderr)
    }
}
