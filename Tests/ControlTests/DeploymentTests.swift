import ReflexCore
import ReflexTestSupport
import XCTest
@testable import Control

/// Lifecycle around the loop: a lost link is reconnected with a fresh handshake; re-arming only with `rearm`.
final class DeploymentTests: XCTestCase {
    let sensors = [ChannelSpec(name: "angle", unit: "rad", min: -1, max: 1)]
    let actuators = [ChannelSpec(name: "force", unit: "N", min: -10, max: 10, safeValue: 0)]
    let period: UInt64 = 20_000_000

    /// A device unplugged at tick 5 that comes back on the third reconnect attempt.
    func deploy(rearm: Bool) throws -> (Deployment, MockDevice, Deployment.End, ManualClock) {
        let clock = ManualClock()
        let device = MockDevice(
            identity: DeviceIdentity(name: "mock", firmwareVersion: "1.0.0", periodMicros: 20_000, sensors: sensors, actuators: actuators),
            script: [[0.1]])
        _ = try device.configure()
        try device.activate()
        let policy = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { _ in [7] }
        let loop = ControlLoop(device: device, policy: policy, clock: clock, periodNanos: period)
        let deployment = Deployment(loop: loop, rearm: rearm)
        var attempts = 0
        deployment.reconnect = {
            attempts += 1
            if attempts < 3 { throw ReflexError(.link, "port not there yet") }
            device.unplugged = false
            _ = try device.configure()
        }
        var heartbeats = 0
        deployment.heartbeat = { heartbeats += 1 }
        let start = clock.now
        let end = deployment.run(startNanos: start, endNanos: start + 2_000_000_000) { tick, _ in
            if tick == 5 && device.configureCount == 1 { device.unplugged = true }
            return true
        }
        XCTAssertEqual(heartbeats, deployment.events.heartbeatsSent)
        return (deployment, device, end, clock)
    }

    func testReconnectsWithAFreshHandshakeAndReArmsOnlyWhenAsked() throws {
        let (deployment, device, end, clock) = try deploy(rearm: true)
        XCTAssertEqual(end, .completed)
        XCTAssertEqual(deployment.events.linkLosses, 1)
        XCTAssertEqual(deployment.events.reconnects, 1)
        XCTAssertEqual(deployment.events.rearms, 1)
        XCTAssertEqual(device.configureCount, 2, "a fresh handshake after the reconnect")
        XCTAssertEqual(device.lifecycle, ["configure", "activate", "configure", "activate", "deactivate"])
        XCTAssertEqual(device.written.last, [0], "safe value before the final DISARM")
        XCTAssertEqual(device.written[device.written.count - 2], [7], "commands resumed after re-arming")
        XCTAssertGreaterThan(device.written.count, 50)
        XCTAssertGreaterThanOrEqual(clock.now, 1_000_000_000 + 2_000_000_000 - period, "ran to the end")
    }

    func testWithoutRearmTheDeviceStaysDisarmedAndGetsHeartbeats() throws {
        let (deployment, device, end, _) = try deploy(rearm: false)
        XCTAssertEqual(end, .disarmed)
        XCTAssertEqual(deployment.finalLink, .inactive)
        XCTAssertEqual(deployment.events.rearms, 0)
        XCTAssertEqual(device.state, .inactive)
        XCTAssertEqual(device.lifecycle, ["configure", "activate", "configure"], "never re-armed")
        XCTAssertEqual(device.written.count, 5, "no command after the link loss")
        XCTAssertGreaterThan(deployment.events.heartbeatsSent, 50)
    }

    func testALinkThatNeverReturnsEndsAsLinkLost() throws {
        let clock = ManualClock()
        let device = MockDevice(
            identity: DeviceIdentity(name: "mock", firmwareVersion: "1.0.0", periodMicros: 20_000, sensors: sensors, actuators: actuators),
            script: [[0.1]])
        _ = try device.configure()
        try device.activate()
        let policy = FunctionPolicy(observationChannels: sensors, actuatorChannels: actuators) { _ in [7] }
        let loop = ControlLoop(device: device, policy: policy, clock: clock, periodNanos: period)
        let deployment = Deployment(loop: loop, rearm: true)
        deployment.reconnect = { throw ReflexError(.link, "gone") }
        let end = deployment.run(startNanos: clock.now, endNanos: clock.now + 1_000_000_000) { tick, _ in
            if tick == 2 { device.stalled = true }
            return true
        }
        XCTAssertEqual(end, .linkLost)
        XCTAssertEqual(deployment.finalLink, .lost)
        XCTAssertEqual(deployment.events.lastLossReason, "no SENSORS frame for 10 periods")
        XCTAssertEqual(device.written.last, [0], "safe value written when the link was declared lost")
    }
}
