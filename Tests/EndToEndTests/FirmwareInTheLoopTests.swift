import Bridge
import Foundation
import ReflexCore
import XCTest

/// `reflex hil`: the real firmware image on an emulated ATmega328P, its pins wired to the Swift
/// cartpole-rig plant, driven over its pseudo-terminal with the same `SerialDevice` that `reflex run` uses.
final class FirmwareInTheLoopTests: XCTestCase {
    var hil: Process?
    var output: Pipe?
    var workDir: URL!

    static var firmware: String {
        ReflexBinary.packageRoot.appendingPathComponent("firmware-bridge/build/firmware.elf").path
    }

    override func setUpWithError() throws {
        workDir = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-fil-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let hil, hil.isRunning {
            hil.terminate()
            hil.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: workDir)
    }

    /// Starts `reflex hil` on the built firmware and waits until its link appears.
    func startHIL(seed: UInt64 = 3) throws -> String {
        guard FileManager.default.fileExists(atPath: Self.firmware) else {
            XCTFail("\(Self.firmware) is missing: build it with `make firmware` (`make test` does so before the Swift tests)")
            throw XCTSkip("no firmware image")
        }
        let link = workDir.appendingPathComponent("uart0").path
        let process = ReflexBinary.start([
            "hil", "--firmware", Self.firmware, "--robot", "cartpole-rig", "--link", link, "--seed", "\(seed)",
        ])
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        hil = process
        output = pipe
        let deadline = Date().addingTimeInterval(10)
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil {
            XCTAssertTrue(process.isRunning, "reflex hil exited early with status \(process.terminationStatus)")
            guard process.isRunning, Date() < deadline else {
                throw NSError(domain: "FirmwareInTheLoopTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "reflex hil never published \(link)"])
            }
            usleep(20_000) // polling for the link to appear, not waiting out a race
        }
        return link
    }

    /// Sends `duty` every time a SENSORS frame arrives, for `seconds` of wall time; returns the last counts.
    func drive(_ device: SerialDevice, duty: Float, seconds: Double) throws -> [Float] {
        var counts: [Float] = [0, 0]
        let end = Date().addingTimeInterval(seconds)
        var fresh = 0
        while Date() < end {
            let reading = try counts.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 50_000_000) }
            if case .fresh = reading { fresh += 1 }
            try [duty].withUnsafeBufferPointer { try device.write($0) }
        }
        XCTAssertGreaterThan(fresh, Int(seconds * 50), "SENSORS should arrive every 10 ms while driving")
        return counts
    }

    func testTheFirmwareDrivesTheSwiftPlantAndReportsItsEncoders() throws {
        let link = try startHIL()
        // A generous command watchdog: this shared machine can deschedule the test for longer than 30 ms.
        let device = try SerialDevice(path: link, configuration: .init(hostName: "fil-test", watchdogMillis: 250))
        defer { device.close() }
        let identity = try device.configure()
        XCTAssertEqual(identity.name, "cartpole-rig")
        XCTAssertEqual(identity.sensors.map(\.name), ["cart_encoder", "pole_encoder"])
        XCTAssertEqual(identity.actuators.map(\.name), ["motor_duty"])
        XCTAssertEqual(identity.periodMicros, 10_000)

        // Until the motor is driven, the plant is held in its start pose: the counts do not move.
        var held: [Float] = [0, 0], later: [Float] = [0, 0]
        usleep(150_000) // let the encoder edges of the start pose reach the firmware (held plant, no race on motion)
        _ = try held.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 100_000_000) }
        usleep(100_000)
        _ = try later.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 100_000_000) }
        XCTAssertEqual(held, later, "a held plant's encoders must not move")

        // Forward duty: the cart's counter climbs; reverse duty: it comes back down.
        try device.activate()
        let forward = try drive(device, duty: 0.25, seconds: 0.4)
        XCTAssertGreaterThan(forward[0], held[0] + 1000, "duty +0.25 for 0.4 s should move the cart forward (counts \(held[0]) → \(forward[0]))")
        let back = try drive(device, duty: -0.25, seconds: 0.6)
        XCTAssertLessThan(back[0], forward[0] - 1000, "duty −0.25 should bring the cart back (counts \(forward[0]) → \(back[0]))")
        XCTAssertNotEqual(back[1], held[1], "the released pole should have moved")
        try device.deactivate()
        XCTAssertEqual(device.statistics.badFrames, 0)
        device.close()

        // SIGTERM ends it cleanly and removes the link.
        hil?.terminate()
        hil?.waitUntilExit()
        XCTAssertEqual(hil?.terminationStatus, 0)
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: link), "link left behind")
        let text = String(decoding: output?.fileHandleForReading.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        XCTAssertTrue(text.contains("listening on \(link)"), text)
        XCTAssertTrue(text.contains("plant released"), text)
        XCTAssertTrue(text.contains("stopped after"), text)
    }

    func testRefusesAMissingFirmwareAndAnotherRobot() throws {
        let link = workDir.appendingPathComponent("uart0").path
        let missing = try ReflexBinary.run(
            ["hil", "--firmware", workDir.appendingPathComponent("none.elf").path, "--robot", "cartpole-rig", "--link", link], timeout: 20)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("none.elf"), "error should name the firmware: \(missing.stderr)")
        let other = try ReflexBinary.run(["hil", "--firmware", Self.firmware, "--robot", "pendulum", "--link", link], timeout: 20)
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("pendulum") && other.stderr.contains("cartpole-rig"), other.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: link))
    }
}
