import XCTest
import ReflexCore
import ReflexTestSupport
@testable import Control

final class ControlLoopTests: XCTestCase {
    let sensors = [ChannelSpec(name: "angle", unit: "rad", min: -1, max: 1)]
    let actuators = [ChannelSpec(name: "force", unit: "N", min: -10, max: 10, safeValue: 0)]
    let period: UInt64 = 20_000_000

    func makeDevice(_ script: [[Float]]) throws -> MockDevice {
        let device = MockDevice(
            identity: DeviceIdentity(name: "mock", firmwareVersion: "1.0.0", periodMicros: 20_000, sensors: sensors, actuators: actuators),
            script: script)
        _ = try device.configure()
        try device.activate()
        return device
    }

    func testEachTickReadsActsAndWritesOnAbsoluteDeadlines() throws {
        let clock = ManualClock(startNanos: 5_000_000_000)
        let device = try makeDevice([[0.1], [0.2], [0.3]])
        var deadlines: [UInt64] = []
        let policy = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { [$0[0] * 10] }
        policy.onAct = { deadlines.append(clock.now) }
        let loop = ControlLoop(device: device, policy: policy, clock: clock, periodNanos: period)
        try loop.run(ticks: 3, startNanos: clock.now)
        XCTAssertEqual(device.written, [[1], [2], [3]])
        XCTAssertEqual(deadlines, [5_000_000_000, 5_020_000_000, 5_040_000_000])
        XCTAssertEqual(loop.statistics.ticks, 3)
        XCTAssertEqual(loop.statistics.overruns, 0)
        XCTAssertEqual(loop.statistics.latenessMicros.max, 0)
    }

    /// A policy that remembers its previous reading (a velocity feature, stacked frames) must not carry it
    /// from one run into the next: a reconnect starts a new run, and the robot kept moving in between.
    func testEachRunStartsThePolicyAfresh() throws {
        final class DifferencePolicy: Policy {
            let observationChannels: [ChannelSpec], actuatorChannels: [ChannelSpec]
            var previous: Float?
            init(_ s: [ChannelSpec], _ a: [ChannelSpec]) { (observationChannels, actuatorChannels) = (s, a) }
            func act(observation: UnsafeBufferPointer<Float>, actuators: UnsafeMutableBufferPointer<Float>) {
                actuators[0] = previous.map { (observation[0] - $0) * 10 } ?? 0
                previous = observation[0]
            }
            func reset() { previous = nil }
        }
        let clock = ManualClock()
        let device = try makeDevice([[0.1], [0.2], [0.6], [0.7]])
        let loop = ControlLoop(device: device, policy: DifferencePolicy(sensors, actuators), clock: clock, periodNanos: period)
        try loop.run(ticks: 2, startNanos: clock.now)
        try loop.run(ticks: 2, startNanos: clock.now)
        XCTAssertEqual(device.written.map { $0.map { ($0 * 100).rounded() / 100 } }, [[0], [1], [0], [1]],
                       "the second run's first command comes from its own first reading, not 0.2 → 0.6")
    }

    /// A period without a new SENSORS frame repeats the last command; the policy is not fed the same
    /// reading again (a velocity taken from it would read 0, then double at the next fresh frame).
    func testAStaleReadRepeatsTheLastCommandWithoutFeedingThePolicyTwice() throws {
        let clock = ManualClock()
        let device = try makeDevice([[0.1], [0.2]])
        var fed: [Float] = []
        let policy = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { fed.append($0[0]); return [$0[0] * 10] }
        let loop = ControlLoop(device: device, policy: policy, clock: clock, periodNanos: period)
        try loop.run(ticks: 4, startNanos: clock.now) { tick, _ in
            if tick == 1 { device.stalled = true }  // ticks 2 and 3 read no new frame
            return true
        }
        XCTAssertEqual(fed, [0.1, 0.2], "the policy saw each fresh reading once")
        XCTAssertEqual(device.written.map { $0.map { ($0 * 100).rounded() / 100 } }, [[1], [2], [2], [2]])
        XCTAssertEqual(loop.statistics.staleReads, 2)
    }

    func testOverrunIsCountedAndMissedTicksAreSkippedNotReplayed() throws {
        let clock = ManualClock()
        let device = try makeDevice([[0]])
        var calls = 0
        var actTimes: [UInt64] = []
        let policy = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { _ in [0] }
        let start = clock.now
        policy.onAct = {
            calls += 1
            actTimes.append(clock.now - start)
            // The second tick's inference takes 2.5 periods.
            if calls == 2 { clock.advance(byNanos: 50_000_000) }
        }
        let loop = ControlLoop(device: device, policy: policy, clock: clock, periodNanos: period)
        try loop.run(ticks: 6, startNanos: start)
        XCTAssertEqual(loop.statistics.overruns, 1)
        XCTAssertEqual(loop.statistics.skippedTicks, 2)
        // Ticks at 0, 20 ms; the 20 ms tick ends at 70 ms, so 40 and 60 are skipped; next is 80, then 100.
        XCTAssertEqual(actTimes, [0, 20_000_000, 80_000_000, 100_000_000])
        XCTAssertEqual(device.written.count, 4)
    }

    func testLatenessIsMeasuredFromTheDeadline() throws {
        let clock = ManualClock()
        let device = try makeDevice([[0]])
        device.onRead = { clock.advance(byNanos: 0) }
        let policy = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { _ in [0] }
        let loop = ControlLoop(device: device, policy: policy, clock: clock, periodNanos: period)
        // Start 3 ms in the past: the first tick wakes 3 ms late.
        try loop.run(ticks: 1, startNanos: clock.now - 3_000_000)
        XCTAssertEqual(loop.statistics.latenessMicros.max, 3000, accuracy: 5)
    }

    func testNaNSensorSendsTheSafeValueInsteadOfThePolicyAction() throws {
        let clock = ManualClock()
        let device = try makeDevice([[0.5], [.nan], [0.5]])
        let policy = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { _ in [7] }
        let loop = ControlLoop(device: device, policy: policy, clock: clock, periodNanos: period)
        try loop.run(ticks: 3)
        XCTAssertEqual(device.written, [[7], [0], [7]])
        XCTAssertEqual(loop.statistics.nonFiniteValues, 1)
    }

    func testActionsAreClampedToTheActuatorRangeAndNaNActionsReplaced() throws {
        let clock = ManualClock()
        let device = try makeDevice([[0.9], [0.1], [-0.5]])
        let policy = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { obs in
            obs[0] > 0.5 ? [50] : obs[0] > 0 ? [.nan] : [-3]
        }
        let loop = ControlLoop(device: device, policy: policy, clock: clock, periodNanos: period)
        try loop.run(ticks: 3)
        XCTAssertEqual(device.written, [[10], [0], [-3]])
        XCTAssertEqual(loop.statistics.clampedActions, 1)
        XCTAssertEqual(loop.statistics.nonFiniteValues, 1)
    }

    func testObserverCanEndTheRunEarly() throws {
        let clock = ManualClock()
        let device = try makeDevice([[0]])
        let policy = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { _ in [1] }
        let loop = ControlLoop(device: device, policy: policy, clock: clock, periodNanos: period)
        try loop.run(ticks: 100) { tick, _ in tick < 4 }
        XCTAssertEqual(loop.statistics.ticks, 5)
    }
}
