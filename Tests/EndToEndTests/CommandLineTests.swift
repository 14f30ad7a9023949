import Foundation
import XCTest

/// The `reflex` commands as a user calls them: outputs, JSON keys, and refusals of bad input.
final class CommandLineTests: XCTestCase {
    var workDir: URL!

    override func setUpWithError() throws {
        workDir = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: workDir)
    }

    func testEvalOfTheShippedPolicyReachesTheSolvedThreshold() throws {
        let result = try ReflexBinary.run(["eval", "policies/cartpole.safetensors", "--episodes", "100", "--seed", "7", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try ReflexBinary.json(result.stdout)
        XCTAssertEqual(report["episodes"] as? Int, 100)
        XCTAssertGreaterThanOrEqual(report["mean_return"] as? Double ?? 0, 475)
        XCTAssertNotNil(report["std_return"])
        XCTAssertNotNil(report["min_return"])
    }

    func testTrainWritesALoadablePolicyAndAJSONSummary() throws {
        let out = workDir.appendingPathComponent("p.safetensors").path
        let result = try ReflexBinary.run(["train", "cartpole", "--seed", "2", "--out", out, "--json", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try ReflexBinary.json(result.stdout)
        for key in ["robot", "algorithm", "env_steps", "wall_seconds", "mean_return", "solved"] {
            XCTAssertNotNil(summary[key], "summary lacks \(key)")
        }
        XCTAssertEqual(summary["robot"] as? String, "cartpole")
        XCTAssertEqual(summary["solved"] as? Bool, true)
        let eval = try ReflexBinary.run(["eval", out, "--episodes", "20", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
    }

    func testEvalRefusesCorruptAndForeignFiles() throws {
        let shipped = try Data(contentsOf: ReflexBinary.packageRoot.appendingPathComponent("policies/cartpole.safetensors"))
        let truncated = workDir.appendingPathComponent("truncated.safetensors")
        try shipped.prefix(shipped.count / 2).write(to: truncated)
        var result = try ReflexBinary.run(["eval", truncated.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("truncated.safetensors"), result.stderr)

        let text = workDir.appendingPathComponent("notes.safetensors")
        try Data("hello, this is not a policy".utf8).write(to: text)
        result = try ReflexBinary.run(["eval", text.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("notes.safetensors"), result.stderr)

        result = try ReflexBinary.run(["eval", workDir.appendingPathComponent("missing.safetensors").path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("missing.safetensors"), result.stderr)
    }

    func testEvalRefusesAPolicyForAnotherRobot() throws {
        let result = try ReflexBinary.run(["eval", "policies/cartpole.safetensors", "--robot", "pendulum"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("cartpole") && result.stderr.contains("pendulum"), result.stderr)
    }

    func testTrainRefusesAnUnknownRobot() throws {
        let result = try ReflexBinary.run(["train", "hovercraft", "--out", workDir.appendingPathComponent("x").path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("hovercraft"), result.stderr)
    }

    func testRolloutPrintsOneCSVLinePerStep() throws {
        let actions = workDir.appendingPathComponent("actions.txt")
        try "1\n1\n0\n".write(to: actions, atomically: true, encoding: .utf8)
        let result = try ReflexBinary.run(["rollout", "cartpole", "--initial-state", "0,0,0.01,0", "--actions", actions.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 5, "header, the start state (step 0), then one line per action: \(result.stdout)")
        XCTAssertEqual(lines.first, "step,x,x_dot,theta,theta_dot,reward,terminated,truncated")
    }
}
