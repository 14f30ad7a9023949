import ReflexCore
import Simulation
import XCTest

/// The rotary inverted pendulum: conservation of energy, damping, stability, encoders and tasks.
final class FurutaTests: XCTestCase {
    private func model(_ name: String = "furuta", _ changes: [(ParameterRange.Section, String, Double)] = []) throws -> FurutaModel {
        try FurutaModel(description: try RobotDescription.bundled(named: name).with(changes))
    }

    func testEnergyIsConservedWithDampingAndInputOff() throws {
        // No damping, no voltage, and an open-circuit motor (no back-EMF braking).
        let m = try model("furuta", [(.physics, "arm_damping", 0), (.physics, "pendulum_damping", 0),
                                     (.physics, "motor_back_emf_constant", 1e-12)])
        var s = FurutaModel.State(thetaDot: 3, alpha: .pi - 1.0, alphaDot: 0.5)
        let e0 = m.energy(s)
        var u = 0.0
        var alphaSeen = (min: s.alpha, max: s.alpha)
        var worst = 0.0
        for _ in 0..<1000 {  // 10 s
            m.step(&s, actuators: &u)
            worst = max(worst, abs(m.energy(s) - e0))
            alphaSeen = (min(alphaSeen.min, s.alpha), max(alphaSeen.max, s.alpha))
        }
        // Energy scale: m_p g L_p / 2 ≈ 0.015 J; RK4 at 1 ms keeps it to a few parts in 10⁷ over 10 s.
        XCTAssertLessThan(worst, 1e-7, "energy drifted by \(worst) J")
        XCTAssertGreaterThan(alphaSeen.max - alphaSeen.min, 1.5, "the pendulum swung")
        XCTAssertGreaterThan(abs(s.theta), 1, "the arm turned")
    }

    func testDampingOnlyRemovesEnergy() throws {
        let m = try model()
        var s = FurutaModel.State(thetaDot: 2, alpha: 2.5, alphaDot: 0)
        var u = 0.0
        var previous = m.energy(s)
        for _ in 0..<500 {
            m.step(&s, actuators: &u)
            let e = m.energy(s)
            XCTAssertLessThanOrEqual(e, previous + 1e-12)
            previous = e
        }
        XCTAssertLessThan(previous, m.energy(FurutaModel.State(thetaDot: 2, alpha: 2.5)) - 1e-4)
    }

    func testHangingIsStableAndUprightIsNot() throws {
        let m = try model()
        var hanging = FurutaModel.State(alpha: 0.05)
        var upright = FurutaModel.State(alpha: .pi - 0.01)
        var u = 0.0
        for _ in 0..<300 {
            m.step(&hanging, actuators: &u)
            m.step(&upright, actuators: &u)
        }
        XCTAssertLessThan(abs(hanging.alpha), 0.06)
        XCTAssertGreaterThan(abs(m.angleFromUpright(upright)), 0.5)
    }

    func testVoltageTurnsTheArm() throws {
        let m = try model()
        var s = FurutaModel.State()
        var u = 5.0
        for _ in 0..<20 { m.step(&s, actuators: &u) }
        XCTAssertGreaterThan(s.theta, 0.05)
        var obs: [Float] = [0, 0]
        m.observe(s, into: &obs)
        XCTAssertEqual(obs[0], Float((s.theta / (2 * .pi / 2048)).rounded(.down)))
        // Steady arm speed under a voltage (pendulum hanging, damping D_r): K_t(V − K_m ω)/R = D_r ω.
        for _ in 0..<300 { m.step(&s, actuators: &u) }
        let expected = 0.042 * 5 / 8.4 / (0.0008 + 0.042 * 0.042 / 8.4)
        XCTAssertEqual(s.thetaDot, expected, accuracy: 0.02 * expected)
    }

    func testSwingUpStartsHangingAndBalanceStartsUpright() throws {
        var swing = try FurutaEnvironment(description: try RobotDescription.bundled(named: "furuta"))
        let hanging = swing.reset(seed: 4)
        XCTAssertEqual(abs(hanging[1]), 1024, accuracy: 17, "hanging reads ±1024 (wrapped at upright's opposite)")
        XCTAssertLessThan(swing.step(.continuous([0])).reward, 0.01)

        var balance = try FurutaEnvironment(description: try RobotDescription.bundled(named: "furuta-balance"))
        let upright = balance.reset(seed: 4)
        XCTAssertLessThanOrEqual(abs(upright[1]), 33, "within ±0.1 rad of upright")
        let first = balance.step(.continuous([0]))
        XCTAssertGreaterThan(first.reward, 0.99)
        var result = first
        var steps = 1
        while !result.terminated && steps < 500 {
            result = balance.step(.continuous([0]))
            steps += 1
        }
        XCTAssertTrue(result.terminated, "uncontrolled, the pendulum falls")
    }
}
