import Foundation
import ReflexCore
import ReflexTestSupport
import XCTest
@testable import Control

/// Each fault ends in its documented state: safe values written, a stop reason, counters.
final class ControlLoopFaultTests: XCTestCase {
    let sensors = [ChannelSpec(name: "angle", unit: "rad", min: -1, max: 1)]
    let actuators = [ChannelSpec(name: "force", unit: "N", min: -10, max: 10, safeValue: 0)]
    let period: UInt64 = 20_000_000

    func makeDevice(_ script: [[Float]] = [[0.1]]) throws -> MockDevice {
        let device = MockDevice(
            identity: DeviceIdentity(name: "mock", firmwareVersion: "1.0.0", periodMicros: 20_000, sensors: sensors, actuators: actuators),
            script: script)
        _ = try device.configure()
        try device.activate()
        return device
    }

    func policy(_ value: Float = 7) -> FunctionPolicy {
        FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { _ in [value] }
    }

    func testStopRequestWritesTheSafeValueAtOnce() throws {
        let clock = ManualClock()
        let device = try makeDevice()
        var stop = false
        let loop = ControlLoop(device: device, policy: policy(), clock: clock, periodNanos: period)
        loop.stopRequested = { stop }
        let start = clock.now
        let reason = loop.run(ticks: 100, startNanos: start) { tick, _ in
            if tick == 2 { stop = true }  // the "signal" arrives during tick 2
            return true
        }
        XCTAssertEqual(reason, .stopRequested)
        XCTAssertEqual(device.written, [[7], [7], [7], [0]])
        // Requested during tick 2's work: the safe value goes out before the loop sleeps again (a request that
        // arrives during the sleep is seen at the next deadline, within one period).
        XCTAssertEqual(loop.emergencyStopWrittenNanos, start + 2 * period)
    }

    func testConsecutiveOverrunsStopSafelyUnderTheStopPolicy() throws {
        let clock = ManualClock()
        let device = try makeDevice()
        let slow = policy()
        var calls = 0
        slow.onAct = {
            calls += 1
            if calls >= 3 { clock.advance(byNanos: 30_000_000) }  // from the third tick on, 1.5 periods each
        }
        let loop = ControlLoop(
            device: device, policy: slow, clock: clock, periodNanos: period, options: .init(overrunPolicy: .stopAfter(consecutive: 3)))
        let reason = loop.run(ticks: 1000)
        XCTAssertEqual(reason, .overrunLimit)
        XCTAssertEqual(loop.statistics.overruns, 3)
        XCTAssertEqual(device.written.last, [0], "safe value after the third overrun")
        XCTAssertEqual(device.written.count, 5 + 1)
    }

    func testSkipAndHoldKeepsRunningThroughOverruns() throws {
        let clock = ManualClock()
        let device = try makeDevice()
        let slow = policy()
        slow.onAct = { clock.advance(byNanos: 30_000_000) }
        let loop = ControlLoop(device: device, policy: slow, clock: clock, periodNanos: period)
        XCTAssertEqual(loop.run(ticks: 40), .completed)
        XCTAssertEqual(loop.statistics.ticks, 20)
        XCTAssertEqual(loop.statistics.overruns, 20)
        XCTAssertEqual(loop.statistics.skippedTicks, 20)
        XCTAssertEqual(loop.statistics.longestOverrunStreak, 20)
    }

    func testLinkIsLostAfterTheConfiguredMissedSensorPeriods() throws {
        let clock = ManualClock()
        let device = try makeDevice()
        let loop = ControlLoop(device: device, policy: policy(), clock: clock, periodNanos: period, options: .init(linkTimeoutPeriods: 5))
        let reason = loop.run(ticks: 100) { tick, _ in
            if tick == 3 { device.stalled = true }
            return true
        }
        guard case .linkLost(let why) = reason else { return XCTFail("\(reason)") }
        XCTAssertTrue(why.contains("5 periods"), why)
        XCTAssertEqual(loop.statistics.linkLosses, 1)
        // Ticks 0–3 act; ticks 4–7 are stale but still within the timeout; the 5th stale read ends the run
        // with the safe value written.
        XCTAssertEqual(device.written.count, 4 + 4 + 1)
        XCTAssertEqual(device.written.last, [0])
    }

    func testUnpluggedDeviceEndsTheRunWithLinkLostInsteadOfThrowing() throws {
        let clock = ManualClock()
        let device = try makeDevice()
        let loop = ControlLoop(device: device, policy: policy(), clock: clock, periodNanos: period)
        let reason = loop.run(ticks: 100) { tick, _ in
            if tick == 2 { device.unplugged = true }
            return true
        }
        guard case .linkLost(let why) = reason else { return XCTFail("\(reason)") }
        XCTAssertTrue(why.contains("unplugged"), why)
        XCTAssertEqual(device.written.count, 2)
    }

    func testDeviceFaultEndsTheRun() throws {
        let clock = ManualClock()
        let device = try makeDevice()
        let loop = ControlLoop(device: device, policy: policy(), clock: clock, periodNanos: period)
        let reason = loop.run(ticks: 100) { tick, _ in
            if tick == 1 { device.fault() }
            return true
        }
        XCTAssertEqual(reason, .deviceFault)
        XCTAssertEqual(device.written.count, 1, "no command after the fault")
    }

    func testTelemetryRecordsEveryTickAndReadsBack() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-telemetry-\(UUID().uuidString).rtl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = ManualClock()
        let device = try makeDevice([[0.5], [.nan], [0.9]])
        let p = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { [$0[0] * 30] }
        let recorder = try TelemetryRecorder(
            sensors: sensors, actuators: actuators, periodNanos: period, path: path, header: ["device": "mock"])
        recorder.start()
        let loop = ControlLoop(device: device, policy: p, clock: clock, periodNanos: period)
        loop.recorder = recorder
        loop.run(ticks: 4)
        recorder.finish()

        let file = try TelemetryFile(path: path)
        XCTAssertEqual(file.periodNanos, period)
        XCTAssertEqual(file.sensorNames, ["angle"])
        XCTAssertEqual(file.actuatorNames, ["force"])
        XCTAssertEqual(file.header["device"] as? String, "mock")
        XCTAssertEqual(file.records.count, 4)
        XCTAssertEqual(file.records.map(\.header.tick), [0, 1, 2, 3])
        XCTAssertEqual(file.records[0].rawAction, [15])
        XCTAssertEqual(file.records[0].filteredAction, [10])
        XCTAssertTrue(file.records[0].header.faults.contains(.clamped))
        XCTAssertTrue(file.records[1].sensors[0].isNaN)
        XCTAssertTrue(file.records[1].header.faults.contains(.nonFiniteSensor))
        XCTAssertEqual(file.records[1].filteredAction, [0])
        XCTAssertEqual(file.records[2].header.deadlineNanos - file.records[0].header.deadlineNanos, 2 * period)
        XCTAssertEqual(file.trailingBytes, 0)
    }

    func testAFullRingDropsRecordsInsteadOfBlocking() throws {
        let recorder = try TelemetryRecorder(sensors: sensors, actuators: actuators, periodNanos: period, path: nil, capacity: 8)
        let values: [Float] = [1]
        // The writer thread is not running: nothing drains the ring.
        for tick in 0..<100 {
            values.withUnsafeBufferPointer { v in
                recorder.record(
                    TickRecordHeader(tick: UInt64(tick), deadlineNanos: 0, wokeNanos: 0, readNanos: 0, actNanos: 0, filterNanos: 0,
                                     writeNanos: 0, faults: [], skipped: 0, link: .active),
                    sensors: v, raw: v, filtered: v)
            }
        }
        XCTAssertEqual(recorder.dropped, 92)
        let status = recorder.finish()
        XCTAssertEqual(status.ticks, 8)
        XCTAssertEqual(status.dropped, 92)
    }

    func testOverrunsAreSummarizedOncePerIntervalNotOneLineEach() throws {
        final class Box: @unchecked Sendable { var statuses: [TelemetryRecorder.LiveStatus] = [] }
        let box = Box()
        let recorder = try TelemetryRecorder(
            sensors: sensors, actuators: actuators, periodNanos: period, path: nil, statusIntervalNanos: 3_600_000_000_000
        ) { box.statuses.append($0) }
        let values: [Float] = [1]
        for tick in 0..<500 {
            values.withUnsafeBufferPointer { v in
                recorder.record(
                    TickRecordHeader(tick: UInt64(tick), deadlineNanos: 1_000, wokeNanos: 1_500, readNanos: 0, actNanos: 30_000_000,
                                     filterNanos: 0, writeNanos: 0, faults: tick % 2 == 0 ? [.overrun] : [], skipped: 1, link: .active),
                    sensors: v, raw: v, filtered: v)
            }
        }
        recorder.finish()
        // The interval (an hour) never elapsed: no report at all, however many overruns.
        XCTAssertTrue(box.statuses.isEmpty)

        let every = try TelemetryRecorder(sensors: sensors, actuators: actuators, periodNanos: period, path: nil, statusIntervalNanos: 1) {
            box.statuses.append($0)
        }
        for tick in 0..<500 {
            values.withUnsafeBufferPointer { v in
                every.record(
                    TickRecordHeader(tick: UInt64(tick), deadlineNanos: 1_000, wokeNanos: 1_500, readNanos: 0, actNanos: 30_000_000,
                                     filterNanos: 0, writeNanos: 0, faults: tick % 2 == 0 ? [.overrun] : [], skipped: 1, link: .active),
                    sensors: v, raw: v, filtered: v)
            }
        }
        every.finish()
        // One summary for the whole interval: 250 overruns in it, the worst tick ~30 ms.
        XCTAssertEqual(box.statuses.count, 1)
        XCTAssertEqual(box.statuses.first?.overrunsInInterval, 250)
        XCTAssertEqual(box.statuses.first?.skippedInInterval, 250)
        XCTAssertEqual(box.statuses.first?.ticks, 500)
        XCTAssertEqual(box.statuses.first?.worstOverrunMicros ?? 0, 30_000, accuracy: 1)
    }

    func testReplayRefusesAFileThatIsNotTelemetry() throws {
        XCTAssertThrowsError(try TelemetryFile(bytes: Array("hello world, not telemetry".utf8), source: "notes.txt")) { error in
            XCTAssertTrue("\(error)".contains("notes.txt") && "\(error)".contains("not a Reflex telemetry file"), "\(error)")
        }
    }
}
