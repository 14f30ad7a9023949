import ReflexCore
import Simulation
import XCTest

/// The belt-driven cart-pole rig: motor model, actuator shaping, encoders, integration, task.
final class CartPoleRigTests: XCTestCase {
    private func model(_ changes: [(ParameterRange.Section, String, Double)] = []) throws -> CartPoleRigModel {
        try CartPoleRigModel(description: try RobotDescription.bundled(named: "cartpole-rig").with(changes))
    }

    private func run(_ m: CartPoleRigModel, from start: CartPoleRigModel.State, duty: Double, steps: Int) -> CartPoleRigModel.State {
        var s = start
        var u = duty
        for _ in 0..<steps { m.step(&s, actuators: &u) }
        return s
    }

    func testStallForceFollowsTheMotorConstants() throws {
        let m = try model()
        XCTAssertEqual(m.motorForce(duty: 1, speed: 0), 0.028 * 12 / (1.5 * 0.00637), accuracy: 1e-9)
        // Back-EMF: at the no-load speed the motor gives no force.
        let noLoad = 12 * 0.00637 / 0.028
        XCTAssertEqual(m.motorForce(duty: 1, speed: noLoad), 0, accuracy: 1e-9)
    }

    func testUprightAtRestStaysPut() throws {
        let s = run(try model(), from: .init(), duty: 0, steps: 200)
        XCTAssertEqual(s, .init())
    }

    func testThePoleFallsWithoutControlAndTerminates() throws {
        let m = try model()
        var s = CartPoleRigModel.State(theta: 0.01)
        var u = 0.0
        var steps = 0
        while !m.isTerminal(s) && steps < 300 {
            m.step(&s, actuators: &u)
            steps += 1
        }
        XCTAssertTrue(m.isTerminal(s), "the pole should fall within 3 s")
        XCTAssertGreaterThan(s.theta, 0.35, "it falls the way it leans")
        XCTAssertGreaterThan(steps, 20)
    }

    func testPositiveDutyDrivesTheCartRightAndTipsThePoleBack() throws {
        let s = run(try model(), from: .init(), duty: 0.5, steps: 20)
        XCTAssertGreaterThan(s.x, 0.01)
        XCTAssertGreaterThan(s.xDot, 0)
        XCTAssertLessThan(s.theta, -0.01)
    }

    func testDeadzoneSaturationAndNonFiniteCommands() throws {
        let m = try model()
        let start = CartPoleRigModel.State(theta: 0.05)
        XCTAssertEqual(run(m, from: start, duty: 0.05, steps: 30), run(m, from: start, duty: 0, steps: 30), "below the deadzone")
        XCTAssertNotEqual(run(m, from: start, duty: 0.07, steps: 30), run(m, from: start, duty: 0, steps: 30), "above the deadzone")
        XCTAssertEqual(run(m, from: start, duty: 3, steps: 30), run(m, from: start, duty: 1, steps: 30), "saturation")
        XCTAssertEqual(run(m, from: start, duty: .nan, steps: 30), run(m, from: start, duty: 0, steps: 30), "NaN gives the safe value")
    }

    func testRK4ConvergesWithSubsteps() throws {
        let coarse = try model()
        var d = try RobotDescription.bundled(named: "cartpole-rig")
        d.physicsSubsteps = 200
        let fine = try CartPoleRigModel(description: d)
        let start = CartPoleRigModel.State(theta: 0.1)
        let a = run(coarse, from: start, duty: 0.3, steps: 30), b = run(fine, from: start, duty: 0.3, steps: 30)
        // The pole swings through more than a radian in 0.3 s; RK4 at 1 ms stays within 0.05 mrad of 50 µs steps.
        XCTAssertEqual(a.theta, b.theta, accuracy: 5e-5)
        XCTAssertEqual(a.x, b.x, accuracy: 2e-6)
        XCTAssertGreaterThan(abs(a.theta - 0.1), 0.05, "the state moved")
    }

    func testEncodersReportWholeCounts() throws {
        let m = try model()
        var obs: [Float] = [0, 0]
        m.observe(.init(x: 0.1, theta: -0.01), into: &obs)
        XCTAssertEqual(obs[0], Float((0.1 / 1.9543032e-05).rounded(.down)))
        XCTAssertEqual(obs[1], -4, "floor(−0.01 / (2π/2048)) = −4")
    }

    func testEnvironmentRewardAndTermination() throws {
        var env = try CartPoleRigEnvironment(description: try RobotDescription.bundled(named: "cartpole-rig"), seed: 1)
        let obs = env.reset(seed: 1)
        XCTAssertEqual(obs.count, 2)
        XCTAssertLessThanOrEqual(abs(obs[1]), 17, "start angle within ±0.05 rad")
        let first = env.step(.continuous([0.5]))
        XCTAssertEqual(first.reward, 1 - 0.01 * 0.25, accuracy: 1e-12)
        XCTAssertFalse(first.terminated)
        var result = first
        var steps = 1
        while !result.terminated && steps < 1000 {
            result = env.step(.continuous([1]))
            steps += 1
        }
        XCTAssertTrue(result.terminated, "full duty one way ends the episode")
        XCTAssertEqual(env.step(.continuous([0])).reward, 0, "no reward after termination")
    }
}
