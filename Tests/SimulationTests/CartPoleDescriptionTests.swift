import ReflexCore
import Simulation
import XCTest

final class CartPoleDescriptionTests: XCTestCase {
    private func bundled() throws -> RobotDescription { try RobotDescription.bundled(named: "cartpole") }

    func testBundledDescriptionGivesGymnasiumDefaults() throws {
        XCTAssertEqual(try CartPoleModel(description: bundled()), CartPoleModel())
    }

    func testBundledChannelsMatchThePlant() throws {
        let d = try bundled()
        XCTAssertEqual(d.sensors, CartPoleModel.sensorChannels)
        XCTAssertEqual(d.actuators, CartPolePlant(model: CartPoleModel()).actuators)
        let env = try CartPoleEnvironment(description: d)
        XCTAssertEqual(env.observationChannels, d.sensors)
        XCTAssertEqual(env.actuatorChannels, d.actuators)
        XCTAssertEqual(env.actionSpace, .discrete(choices: [[-10], [10]]))
    }

    func testIntegratorMapping() throws {
        var d = try bundled()
        d.integrator = "semi-implicit-euler"
        XCTAssertFalse(try CartPoleModel(description: d).explicitEuler)
        d.integrator = "rk4"
        assertInvalid(d, "integrator", "rk4")
    }

    func testMissingKeysAreNamed() throws {
        var d = try bundled()
        d.physics["pole_mass"] = nil
        assertInvalid(d, "physics.pole_mass: missing field")
        d = try bundled()
        d.task["x_threshold"] = nil
        assertInvalid(d, "task.x_threshold: missing field")
    }

    func testShapeMismatchesAreRefused() throws {
        var d = try bundled()
        d.actionSpace = .discrete(choices: [[-5], [5]])
        assertInvalid(d, "actions")
        d = try bundled()
        d.sensors.removeLast()
        assertInvalid(d, "sensors")
        d = try bundled()
        d.simulator = "pendulum"
        assertInvalid(d, "simulator")
    }

    func testParametersAreRead() throws {
        var d = try bundled()
        d.physics["pole_half_length"] = 0.75
        d.task["theta_threshold"] = 0.3
        d.controlPeriod = 0.01
        d.maxEpisodeSteps = 200
        let m = try CartPoleModel(description: d)
        XCTAssertEqual(m.poleHalfLength, 0.75)
        XCTAssertEqual(m.thetaThreshold, 0.3)
        XCTAssertEqual(m.tau, 0.01)
        XCTAssertEqual(m.maxEpisodeSteps, 200)
    }

    private func assertInvalid(_ d: RobotDescription, _ fragments: String..., line: UInt = #line) {
        XCTAssertThrowsError(try CartPoleModel(description: d), line: line) { error in
            let error = error as? ReflexError
            XCTAssertEqual(error?.code, .invalidDescription, line: line)
            for fragment in fragments {
                XCTAssertTrue(error?.message.contains(fragment) ?? false, "'\(fragment)' not in \(String(describing: error))", line: line)
            }
        }
    }
}
