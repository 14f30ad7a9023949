import Foundation
import XCTest

/// Issue 5's HIL checks with the shipped `cartpole-rig` policy: `reflex run` drives the real firmware image
/// on the emulated ATmega328P (`reflex hil`), whose pins are wired to the Swift plant.
extension FirmwareInTheLoopTests {
    static let rigPolicy = "policies/cartpole-rig.safetensors"
    /// Longer than the device's default (2 × 10 ms + 10 ms): the emulator can fall behind the wall clock on
    /// a busy machine, and the host's commands must not look late to the firmware because of that.
    static let watchdogMillis: UInt64 = 250

    /// (a) The shipped policy balances the plant through the firmware for 20 s of wall time, no bad frames.
    func testTheShippedRigPolicyBalancesThroughTheEmulatedFirmwareForTwentySeconds() throws {
        let link = try startHIL(seed: 3)
        let result = try ReflexBinary.run([
            "run", "--policy", Self.rigPolicy, "--port", link, "--duration", "20",
            "--watchdog-ms", "\(Self.watchdogMillis)", "--json",
        ], timeout: 90)
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let report = try ReflexBinary.json(result.stdout)
        XCTAssertEqual(report["outcome"] as? String, "upright", result.stdout)
        XCTAssertEqual(report["bad_frames"] as? Int, 0)
        // And none on the firmware's side: it received every frame of the run intact (LINK_STATS after the run).
        let deviceLink = report["device_link"] as? [String: Any]
        XCTAssertNotNil(deviceLink, "reflex run --json should carry the device's link counters: \(result.stdout)")
        XCTAssertEqual(deviceLink?["bad_frames"] as? Int, 0, "\(String(describing: deviceLink))")
        XCTAssertEqual(deviceLink?["sequence_gaps"] as? Int, 0, "\(String(describing: deviceLink))")
        XCTAssertEqual(deviceLink?["frames"] as? Int, report["frames_sent"] as? Int, "every frame reflex sent arrived")
        XCTAssertEqual(report["device_faults"] as? Int, 0)
        let ticks = (report["ticks"] as? Int ?? 0) + (report["skipped_ticks"] as? Int ?? 0)
        XCTAssertEqual(ticks, 2000, "20 s at the rig's 100 Hz")
        XCTAssertGreaterThan(report["frames_received"] as? Int ?? 0, 1000, "SENSORS from the firmware")
    }

    /// (b) `reflex run` is killed (SIGKILL: no chance to send safe values or DISARM) while it drives the motor;
    /// the firmware's own watchdog puts the motor pins to the safe duty 0 within the watchdog time.
    func testKillingTheHostMidRunLeavesTheFirmwareToStopTheMotorWithinItsWatchdog() throws {
        let link = try startHIL(seed: 3, extra: ["--log-motor"])
        let run = ReflexBinary.start([
            "run", "--policy", Self.rigPolicy, "--port", link, "--duration", "60",
            "--watchdog-ms", "\(Self.watchdogMillis)", "--status", "never",
        ])
        run.standardOutput = FileHandle.nullDevice
        run.standardError = FileHandle.nullDevice
        try run.run()
        defer { if run.isRunning { run.terminate(); run.waitUntilExit() } }

        // Let the policy drive for a while (polling the pin log, not sleeping out a race).
        var deadline = Date().addingTimeInterval(30)
        while motorChanges().count < 200 {
            guard Date() < deadline, run.isRunning, hil?.isRunning == true else {
                return XCTFail("the policy never drove the motor: \(output)")
            }
            usleep(20_000)
        }
        kill(run.processIdentifier, SIGKILL)
        run.waitUntilExit()
        XCTAssertEqual(run.terminationReason, .uncaughtSignal)
        let killedAt = motorChanges().count

        deadline = Date().addingTimeInterval(10)
        var changes = motorChanges()
        while !(changes.count > killedAt && changes.last?.duty == 0) {
            guard Date() < deadline, hil?.isRunning == true else { break }
            usleep(20_000)
            changes = motorChanges()
        }
        guard let stopIndex = changes.indices.last(where: { changes[$0].duty == 0 }), stopIndex > 0,
              changes[stopIndex - 1].duty != 0
        else { return XCTFail("the motor pins never went back to 0 after the host was killed: \(output.suffix(2000))") }
        // Each ACTUATE changes the duty on the pins (the policy's output moves every tick), so the last non-zero
        // change marks the last command to within a tick or two; the stop must come no sooner than the
        // watchdog after it (it was the watchdog) and no later than the watchdog plus the firmware's loop and a
        // couple of periods.
        // (Stopping flips the direction pin and the duty within a few µs of each other: the last command is the
        // last change more than 1 ms before the stop — commands come every 10 ms, so nothing real is skipped.)
        let stopped = changes[stopIndex].micros
        guard let lastCommand = changes[..<stopIndex].last(where: { $0.micros + 1_000 < stopped })?.micros else {
            return XCTFail("no command before the stop: \(output.suffix(2000))")
        }
        let gapMillis = Double(stopped - lastCommand) / 1000
        // The pins change some µs after the firmware applies a command (the PWM timer latches the new compare
        // value at its next cycle), so the measured gap may fall short of the watchdog by that much.
        XCTAssertGreaterThanOrEqual(gapMillis, Double(Self.watchdogMillis) - 1, "stopped before the watchdog time")
        XCTAssertLessThanOrEqual(gapMillis, Double(Self.watchdogMillis) + 60, "the firmware took too long to stop the motor")
        XCTAssertTrue(changes[(stopIndex + 1)...].allSatisfy { $0.duty == 0 }, "the motor must stay stopped")
        XCTAssertTrue(hil?.isRunning == true, "the emulated firmware keeps running")
    }
}
