import ReflexCore
import Simulation
import XCTest

/// `reflex run` judges the outcome from the device's sensor values alone.
final class TaskMonitorTests: XCTestCase {
    func testCartPoleFailsPastTheDescriptionsLimits() throws {
        let monitor = try XCTUnwrap(TaskMonitor(description: RobotDescription.bundled(named: "cartpole")))
        XCTAssertFalse(monitor.hasFailed([0.1, 3, 0.2, -2]))
        XCTAssertTrue(monitor.hasFailed([2.5, 0, 0, 0]), "cart beyond 2.4 m")
        XCTAssertTrue(monitor.hasFailed([0, 0, -0.21, 0]), "pole beyond 12°")
        XCTAssertFalse(monitor.hasFailed([0, 0, .nan, 0]), "a NaN reading is a sensor fault, not a fall")
        XCTAssertTrue(monitor.hasFailed([.nan, 0, 0.3, 0]), "the other limit still counts")
    }

    func testCartPoleRigConvertsEncoderCountsWithTheChannelScale() throws {
        let description = try RobotDescription.bundled(named: "cartpole-rig")
        let monitor = try XCTUnwrap(TaskMonitor(description: description))
        let cart = try XCTUnwrap(description.sensors.firstIndex { $0.name == "cart_encoder" })
        let pole = try XCTUnwrap(description.sensors.firstIndex { $0.name == "pole_encoder" })
        let radPerCount = try XCTUnwrap(description.sensorModels[pole].raw?.scale)
        let thetaLimit = try XCTUnwrap(description.task["theta_threshold"])
        var sensors = [Float](repeating: 0, count: description.sensors.count)
        sensors[pole] = Float((thetaLimit / radPerCount).rounded(.down))
        XCTAssertFalse(monitor.hasFailed(sensors), "just inside the angle limit")
        sensors[pole] = Float((thetaLimit / radPerCount).rounded(.up) + 1)
        XCTAssertTrue(monitor.hasFailed(sensors), "just past the angle limit")
        sensors[pole] = 0
        sensors[cart] = -25_000
        XCTAssertTrue(monitor.hasFailed(sensors), "cart at the end of the rail")
    }

    func testRobotsWithoutAFailureRuleHaveNoMonitor() throws {
        XCTAssertNil(TaskMonitor(description: try RobotDescription.bundled(named: "pendulum")))
    }
}
