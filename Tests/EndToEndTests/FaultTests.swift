import Foundation
import XCTest

/// Faults on a real serial link (pseudo-terminal) between `reflex run` and `reflex virtual-robot`, both as
/// separate processes. Each ends in the state `reflex run --help` documents, with the safe values sent.
final class FaultTests: XCTestCase {
    var workDir: URL!
    var fixture: RobotFixture!
    var children: [ObservedProcess] = []
    let policy = "policies/cartpole.safetensors"

    override func setUpWithError() throws {
        workDir = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-fault-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for child in children where child.process.isRunning {
            child.signal(SIGCONT)
            child.process.terminate()
            child.wait()
        }
        fixture?.stop()
        try? FileManager.default.removeItem(at: workDir)
    }

    func robot(_ extra: [String] = []) throws -> ObservedProcess {
        if fixture == nil { fixture = RobotFixture(directory: workDir, extra: extra) }
        let process = try fixture.start()
        children.append(process)
        return process
    }

    func run(_ args: [String]) throws -> ObservedProcess {
        let process = try ObservedProcess(["run", "--policy", policy, "--port", fixture.link, "--json"] + args)
        children.append(process)
        return process
    }

    func count(_ text: String, in output: String) -> Int { output.components(separatedBy: text).count - 1 }

    // MARK: Link unplugged and replugged

    func testRobotStoppedAndRestartedMidRunIsReconnectedAndReArmedWithRearm() throws {
        let first = try robot()
        let run = try run(["--duration", "3", "--rearm", "--status", "always"])
        first.waitFor("] ARM")
        run.waitFor("link active", inStderr: true)
        fixture.stop()  // unplugged: the pseudo-terminal disappears
        let second = try robot()
        second.waitFor("] ARM")  // replugged: fresh handshake, then re-armed because of --rearm
        XCTAssertEqual(run.wait(), 0, run.stderr)
        let report = try run.json()
        XCTAssertEqual(report["end"] as? String, "completed")
        XCTAssertEqual(report["outcome"] as? String, "upright")
        XCTAssertEqual(report["link_losses"] as? Int, 1)
        XCTAssertEqual(report["reconnects"] as? Int, 1)
        XCTAssertEqual(report["rearms"] as? Int, 1)
        XCTAssertTrue(second.stdout.contains("HELLO from reflex"), second.stdout)
        second.waitFor("DISARM (last command 0.0)")
    }

    func testRobotRestartedMidRunStaysDisarmedWithoutRearm() throws {
        let first = try robot()
        let run = try run(["--duration", "2.5", "--status", "always"])
        first.waitFor("] ARM")
        run.waitFor("link active", inStderr: true)
        fixture.stop()
        let second = try robot()
        second.waitFor("HELLO from reflex")
        XCTAssertEqual(run.wait(), 5, "exit 5: ended without an armed link")
        let report = try run.json()
        XCTAssertEqual(report["end"] as? String, "disarmed")
        XCTAssertEqual(report["link"] as? String, "inactive")
        XCTAssertEqual(report["rearms"] as? Int, 0)
        XCTAssertGreaterThan(report["heartbeats_sent"] as? Int ?? 0, 10, "heartbeats while disarmed")
        XCTAssertEqual(count("] ARM", in: second.stdout), 0, "never re-armed silently: \(second.stdout)")
        XCTAssertTrue(run.stderr.contains("pass --rearm"), run.stderr)
    }

    // MARK: Corrupted, dropped and NaN frames

    func testCorruptedAndDroppedFramesAreCountedAndTheLoopHolds() throws {
        _ = try robot(["--corrupt-every", "5", "--drop-every", "7"])
        let run = try run(["--duration", "2"])
        XCTAssertEqual(run.wait(), 0, run.stderr)
        let report = try run.json()
        XCTAssertEqual(report["outcome"] as? String, "upright")
        XCTAssertEqual(report["end"] as? String, "completed")
        XCTAssertGreaterThanOrEqual(report["bad_frames"] as? Int ?? 0, 10, "one in five frames corrupted over 100 periods")
        XCTAssertGreaterThan(report["stale_reads"] as? Int ?? 0, 10)
        XCTAssertEqual(report["link_losses"] as? Int, 0)
    }

    func testSensorNaNSendsTheSafeValueAndRecordsAFault() throws {
        let robot = try robot(["--nan-every", "10"])
        let telemetry = workDir.appendingPathComponent("run.rtl").path
        let run = try run(["--duration", "2", "--telemetry", telemetry])
        XCTAssertEqual(run.wait(), 0, run.stderr)
        let report = try run.json()
        XCTAssertGreaterThanOrEqual(report["nonfinite_sensors"] as? Int ?? 0, 5)
        XCTAssertEqual(report["faults"] as? Int, 0, "the device never saw a NaN command")
        XCTAssertFalse(robot.stdout.contains("FAULT"), robot.stdout)

        // The telemetry shows the safe value on exactly the NaN ticks.
        let csv = workDir.appendingPathComponent("run.csv").path
        let replay = try ReflexBinary.run(["replay", telemetry, "--csv", csv])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertTrue(replay.stdout.contains("nonfinite_sensor"), replay.stdout)
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = rows[0].map(String.init)
        guard let faults = header.firstIndex(of: "faults"), let force = header.lastIndex(of: "cart_force") else {
            return XCTFail("CSV header: \(header)")
        }
        let nanRows = rows.dropFirst().filter { $0[faults].contains("nonfinite_sensor") }
        XCTAssertGreaterThanOrEqual(nanRows.count, 5)
        for row in nanRows { XCTAssertEqual(Float(row[force]), 0, "safe value on a NaN tick") }
    }

    // MARK: SIGTERM during motion

    func testSIGTERMDuringMotionSendsTheSafeValueAndDisarmWithinOnePeriod() throws {
        let robot = try robot()
        let run = try run(["--duration", "20", "--status", "always"])
        robot.waitFor("] ARM")
        // The first status line comes after a second of motion (the policy commands ±10 N, never 0).
        run.waitFor("link active", inStderr: true)
        run.signal(SIGTERM)
        XCTAssertEqual(run.wait(), 0, run.stderr)
        let report = try run.json()
        XCTAssertEqual(report["end"] as? String, "signal")
        XCTAssertGreaterThan(report["ticks"] as? Int ?? 0, 5)
        let latency = report["estop_latency_us"] as? Double ?? .infinity
        XCTAssertLessThan(latency, 20_000, "safe values within one period (20 ms) of SIGTERM")
        robot.waitFor("DISARM (last command 0.0)")  // on the wire: the safe value, then DISARM
    }

    // MARK: Stalled device

    func testStalledDeviceIsDeclaredLostAndLeftDisarmed() throws {
        let robot = try robot()
        let run = try run(["--duration", "2.5", "--status", "always"])
        robot.waitFor("] ARM")
        run.waitFor("link active", inStderr: true)
        robot.signal(SIGSTOP)  // alive, port open, but silent
        run.waitFor("link lost: no SENSORS frame for 10 periods", inStderr: true)
        robot.signal(SIGCONT)
        XCTAssertEqual(run.wait(), 5, run.stderr)
        let report = try run.json()
        XCTAssertEqual(report["end"] as? String, "disarmed")
        XCTAssertEqual(report["link_losses"] as? Int, 1)
        XCTAssertEqual(count("] ARM", in: robot.stdout), 1, "not re-armed: \(robot.stdout)")
    }
}
