import Foundation
import XCTest

/// The shipped policy drives the virtual robot through a real pseudo-terminal, both as separate
/// processes, exactly as `make demo` runs them.
final class HardwareInTheLoopTests: XCTestCase {
    var robot: Process?
    var workDir: URL!

    override func setUpWithError() throws {
        workDir = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-hil-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let robot, robot.isRunning {
            robot.terminate()
            robot.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: workDir)
    }

    /// Starts `reflex virtual-robot cartpole` and waits until its link appears.
    func startRobot(extra: [String] = []) throws -> String {
        let link = workDir.appendingPathComponent("robot.tty").path
        let process = ReflexBinary.start(["virtual-robot", "cartpole", "--link", link, "--quiet"] + extra)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        robot = process
        let deadline = Date().addingTimeInterval(10)
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil {
            XCTAssertTrue(process.isRunning, "virtual robot exited early with status \(process.terminationStatus)")
            guard process.isRunning, Date() < deadline else { throw XCTSkip("virtual robot never published \(link)") }
            usleep(20_000) // polling for the link to appear, not waiting out a race
        }
        return link
    }

    func testShippedPolicyKeepsThePoleUpOverTheSerialLinkForSixSeconds() throws {
        let link = try startRobot()
        let result = try ReflexBinary.run(
            ["run", "--policy", "policies/cartpole.safetensors", "--port", link, "--duration", "6", "--json"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let report = try ReflexBinary.json(result.stdout)
        XCTAssertEqual(report["outcome"] as? String, "upright")
        XCTAssertEqual(report["bad_frames"] as? Int, 0)
        let ticks = report["ticks"] as? Int ?? 0
        let skipped = report["skipped_ticks"] as? Int ?? 0
        XCTAssertEqual(ticks + skipped, 300, "6 s at 50 Hz")
        XCTAssertGreaterThanOrEqual(report["frames_received"] as? Int ?? 0, 290)
        XCTAssertGreaterThanOrEqual(report["frames_sent"] as? Int ?? 0, ticks)
        let lateness = report["lateness_us"] as? [String: Any]
        XCTAssertNotNil(lateness?["p99"])

        // SIGTERM ends the robot cleanly and removes its link.
        robot?.terminate()
        robot?.waitUntilExit()
        XCTAssertEqual(robot?.terminationStatus, 0)
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: link), "link left behind")
    }

    func testRunRefusesAMissingPort() throws {
        let result = try ReflexBinary.run(
            ["run", "--policy", "policies/cartpole.safetensors", "--port", workDir.appendingPathComponent("nothing").path, "--duration", "1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("nothing"), "error should name the port: \(result.stderr)")
    }
}

import PolicyRuntime

extension HardwareInTheLoopTests {
    /// A policy whose channels differ from the device's is refused before arming, with the difference spelled out.
    func testRunRefusesADeviceWhoseChannelsDifferFromThePolicys() throws {
        var file = try PolicyFile.load(path: ReflexBinary.packageRoot.appendingPathComponent("policies/cartpole.safetensors").path)
        file.observationChannels[2].unit = "deg"
        file.actuatorChannels[0].max = 20
        let altered = workDir.appendingPathComponent("altered.safetensors").path
        try file.write(to: altered)
        let link = try startRobot()
        let result = try ReflexBinary.run(["run", "--policy", altered, "--port", link, "--duration", "2"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("pole_angle") && result.stderr.contains("deg"), result.stderr)
        XCTAssertTrue(result.stderr.contains("cart_force"), result.stderr)
        XCTAssertFalse(result.stdout.contains("Ran "), "the loop must not start: \(result.stdout)")
    }
}

extension HardwareInTheLoopTests {
    /// `make demo` trains CartPole (seed 1, every evaluation episode to the limit) and then runs it on the
    /// virtual robot for twice an episode. Here the same training, and the same 1000 ticks of plant time
    /// served every 5 ms instead of 20 (the physics step stays 20 ms), must keep the pole up.
    func testTheDemosTrainingGivesAPolicyThatLastsTheDemosRun() throws {
        let policy = workDir.appendingPathComponent("demo.safetensors").path
        let trained = try ReflexBinary.run(
            ["train", "cartpole", "--seed", "1", "--set", "ppo.solved_return=500", "--out", policy, "--quiet"], timeout: 300)
        XCTAssertEqual(trained.status, 0, trained.stderr + trained.stdout)
        let link = try startRobot(extra: ["--period-us", "5000"])
        let result = try ReflexBinary.run(["run", "--policy", policy, "--port", link, "--duration", "5", "--json"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let report = try ReflexBinary.json(result.stdout)
        XCTAssertEqual(report["outcome"] as? String, "upright")
        let ticks = report["ticks"] as? Int ?? 0, skipped = report["skipped_ticks"] as? Int ?? 0
        XCTAssertEqual(ticks + skipped, 1000, "5 s at 200 Hz")
    }
}
