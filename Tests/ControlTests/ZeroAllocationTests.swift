import CAllocationCounter
import Foundation
import PolicyRuntime
import ReflexCore
import ReflexTestSupport
import XCTest
@testable import Control

/// The loop's steady state allocates nothing: thousands of ticks of read → MLP inference → filter → write →
/// telemetry, counted by a malloc interposer on the loop's thread.
final class ZeroAllocationTests: XCTestCase {
    func testTicksDoNotAllocate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try PolicyFile.load(path: root.appendingPathComponent("policies/cartpole.safetensors").path)
        let policy = try MLPPolicy(file: file)
        let device = MockDevice(
            identity: DeviceIdentity(
                name: "mock", firmwareVersion: "1.0.0", periodMicros: 1000, sensors: file.observationChannels,
                actuators: file.actuatorChannels),
            script: [[0, 0, 0.01, 0], [0.01, 0.1, -0.02, 0.2], [0.02, -0.1, 0.03, -0.3], [0, 0, .nan, 0], [0, 0, 0, 0]])
        device.keepsWrites = false
        _ = try device.configure()
        try device.activate()
        let clock = ManualClock()
        let recorder = try TelemetryRecorder(
            sensors: file.observationChannels, actuators: file.actuatorChannels, periodNanos: 1_000_000, path: "/dev/null",
            capacity: 16384)
        recorder.start()
        let loop = ControlLoop(
            device: device, policy: policy, clock: clock, periodNanos: 1_000_000, options: .init(maxChangePerTick: 5))
        loop.recorder = recorder
        var sum: Float = 0
        loop.run(ticks: 200) { _, s in sum += s[0]; return true }  // warm-up: lazy one-time setup happens here

        allocation_counter_start()
        let reason = loop.run(ticks: 5000) { _, s in sum += s[0]; return true }
        let allocations = allocation_counter_stop()

        recorder.finish()
        XCTAssertEqual(reason, .completed)
        XCTAssertEqual(loop.statistics.ticks, 5200)
        XCTAssertEqual(allocations, 0, "heap allocations over 5000 ticks")
        XCTAssertEqual(recorder.dropped, 0)
        XCTAssertEqual(recorder.recordsWritten, 5200)
        // The counter does count: one array allocation on this thread is seen.
        allocation_counter_start()
        let array = [Float](repeating: sum, count: 64 + Int(loop.statistics.ticks % 7))
        let seen = allocation_counter_stop()
        XCTAssertGreaterThanOrEqual(seen, 1)
        XCTAssertEqual(array.count, 64 + 5200 % 7)
    }
}
