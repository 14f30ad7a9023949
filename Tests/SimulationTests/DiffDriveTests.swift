import ReflexCore
import Simulation
import XCTest

/// The line-following differential drive: motors, kinematics, encoders, reflectance sensors, task.
final class DiffDriveTests: XCTestCase {
    private func model() throws -> DiffDriveModel {
        try DiffDriveModel(description: try RobotDescription.bundled(named: "diffdrive"))
    }

    private func drive(_ m: DiffDriveModel, _ s: inout DiffDriveModel.State, _ left: Double, _ right: Double, steps: Int) {
        var u = [left, right]
        for _ in 0..<steps { m.step(&s, actuators: &u) }
    }

    func testEqualDutiesDriveStraightAtTheMotorsSteadySpeed() throws {
        let m = try model()
        var s = DiffDriveModel.State()
        s.heading = 0.3
        drive(m, &s, 0.5, 0.5, steps: 200)
        XCTAssertEqual(s.heading, 0.3, accuracy: 1e-12)
        XCTAssertEqual(s.leftSpeed, s.rightSpeed)
        // G K_t (u V − G K_e ω) / R = b ω
        let omega = 30 * 0.01 * 0.5 * 7.4 / (4 * 1e-4 + 900 * 0.01 * 0.01)
        XCTAssertEqual(s.leftSpeed, omega, accuracy: 1e-6 * omega)
        XCTAssertEqual(s.y / s.x, tan(0.3), accuracy: 1e-9)
        var obs = [Float](repeating: 0, count: 7)
        m.observe(s, into: &obs)
        XCTAssertEqual(obs[0], obs[1])
        XCTAssertEqual(Double(obs[0]), omega * 0.01 / (2 * .pi / 1440), accuracy: 1.01, "counts in one period")
    }

    func testOppositeDutiesTurnInPlace() throws {
        let m = try model()
        var s = DiffDriveModel.State()
        drive(m, &s, -0.5, 0.5, steps: 50)
        XCTAssertEqual(s.x, 0, accuracy: 1e-12)
        XCTAssertEqual(s.y, 0, accuracy: 1e-12)
        XCTAssertGreaterThan(s.heading, 0.5, "right wheel forward turns left (counter-clockwise)")
    }

    func testRateLimitAndDeadzone() throws {
        let m = try model()
        var s = DiffDriveModel.State()
        drive(m, &s, 1, 0.04, steps: 1)
        XCTAssertEqual(s.leftDuty, 0.1, accuracy: 1e-12, "10 per second over 10 ms")
        XCTAssertEqual(s.rightDuty, 0, "inside the 5 % deadzone")
    }

    func testSensorsSeeTheLineUnderTheRobot() throws {
        let m = try model()
        var env = DiffDriveEnvironment(model: m)
        // Start on the line, heading along it: the middle sensor sees the tape, the outer ones the floor.
        var g = SeededGenerator(seed: 0)
        let obs = env.reset(to: m.initialState(using: &g).centred(on: m))
        XCTAssertEqual(obs.count, 7)
        XCTAssertLessThan(obs[4], 300, "middle sensor over the tape: \(obs)")
        XCTAssertGreaterThan(obs[2], 700, "leftmost over the floor: \(obs)")
        XCTAssertGreaterThan(obs[6], 700, "rightmost over the floor: \(obs)")
    }

    func testLeavingTheLineTerminates() throws {
        let m = try model()
        var s = DiffDriveModel.State()
        s.heading = 1.2  // steers off the line
        var steps = 0
        var u = [0.6, 0.6]
        while !m.isTerminal(s) && steps < 500 {
            m.step(&s, actuators: &u)
            steps += 1
        }
        XCTAssertTrue(m.isTerminal(s))
        XCTAssertLessThan(steps, 100)
    }
}

extension DiffDriveModel.State {
    /// This state moved onto the line at x = 0, heading along it.
    func centred(on m: DiffDriveModel) -> Self {
        var s = self
        s.x = 0
        s.y = m.line(0)
        s.heading = atan(m.lineAmplitude * 2 * .pi / m.lineWavelength)
        return s
    }
}
