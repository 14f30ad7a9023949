import ReflexCore
import Simulation
import XCTest

/// The rigs are controllable through the hardware's own channels: a textbook discrete LQR (gains from
/// the linearized equations at 100 Hz, computed by Fixtures/balance_gains.py) that sees only encoder counts and commands only
/// the actuator balances each robot for a whole episode — with the description's deadzone, actuator
/// latency and randomized parameters — and the same controller with its sign flipped does not.
final class BalanceControllerTests: XCTestCase {
    /// Runs one episode of `env` under a state-feedback law on (position, velocity, angle, angular
    /// velocity, last command) estimated from encoder counts; returns (steps, terminated).
    private func episode(
        _ env: inout AnyEnvironment, seed: UInt64, scales: (Double, Double),
        gains: [Double], limit: Double, sign: Double = 1
    ) -> (Int, Bool) {
        var obs = env.reset(seed: seed)
        let period = 0.01
        func angles(_ o: [Float]) -> (Double, Double) {
            ((Double(o[0]) + 0.5) * scales.0, (Double(o[1]) + 0.5) * scales.1)
        }
        var (p, a) = angles(obs)
        var (pv, av) = (0.0, 0.0)
        var last = 0.0
        var steps = 0
        while true {
            let z = [p, pv, a, av, last]
            var u = sign * zip(gains, z).reduce(0) { $0 + $1.0 * $1.1 }
            u = min(max(u, -limit), limit)
            let result = env.step(.continuous([u]))
            steps += 1
            last = u
            obs = result.observation
            let (np, na) = angles(obs)
            // Finite differences of the counts, lightly smoothed against quantization.
            pv = 0.5 * pv + 0.5 * (np - p) / period
            av = 0.5 * av + 0.5 * (na - a) / period
            (p, a) = (np, na)
            if result.terminated || result.truncated { return (steps, result.terminated) }
        }
    }

    func testLQROnEncoderCountsBalancesTheCartPoleRig() throws {
        let d = try RobotDescription.bundled(named: "cartpole-rig")
        // u = −K z for z = (x, ẋ, θ, θ̇, u_prev), one period of actuator latency in the model.
        let gains = [1.431, 4.324, 5.909, 0.923, -0.284]
        let scales = (d.sensorModels[0].raw?.scale ?? 0, d.sensorModels[1].raw?.scale ?? 0)
        for seed: UInt64 in 1...4 {
            var env = try RobotEnvironments.make(d, seed: seed, options: .faithful)
            let (steps, fell) = episode(&env, seed: seed, scales: scales, gains: gains, limit: 1)
            XCTAssertFalse(fell, "seed \(seed): fell after \(steps) steps")
            XCTAssertEqual(steps, d.maxEpisodeSteps)
        }
        var env = try RobotEnvironments.make(d, seed: 1, options: .faithful)
        let (steps, fell) = episode(&env, seed: 1, scales: scales, gains: gains, limit: 1, sign: -1)
        XCTAssertTrue(fell)
        XCTAssertLessThan(steps, 200)
    }

    func testLQROnEncoderCountsBalancesTheFurutaPendulum() throws {
        let d = try RobotDescription.bundled(named: "furuta-balance")
        // V = −K z for z = (θ, θ̇, α − π, α̇, –).
        let gains = [3.686, 2.255, -50.04, -4.122, 0]
        let scales = (d.sensorModels[0].raw?.scale ?? 0, d.sensorModels[1].raw?.scale ?? 0)
        for seed: UInt64 in 1...4 {
            var env = try RobotEnvironments.make(d, seed: seed, options: .faithful)
            let (steps, fell) = episode(&env, seed: seed, scales: scales, gains: gains, limit: 10)
            XCTAssertFalse(fell, "seed \(seed): fell after \(steps) steps")
            XCTAssertEqual(steps, d.maxEpisodeSteps)
        }
        var env = try RobotEnvironments.make(d, seed: 1, options: .faithful)
        XCTAssertTrue(episode(&env, seed: 1, scales: scales, gains: gains, limit: 10, sign: -1).1)
    }

    /// The robustness figure for a controller: the rig's LQR keeps ≥ 95 % of its nominal return
    /// under the description's randomization, latency and deadzone.
    func testRobustnessOfTheRigLQR() throws {
        let d = try RobotDescription.bundled(named: "cartpole-rig")
        let gains = [1.431, 4.324, 5.909, 0.923, -0.284]
        let scales = (d.sensorModels[0].raw?.scale ?? 0, d.sensorModels[1].raw?.scale ?? 0)
        let report = try Robustness.compare(d, episodes: 6, seed: 5) {
            // A fresh estimator per episode: velocities from count differences, and the last command.
            var previous: (Double, Double)?
            var velocity = (0.0, 0.0)
            var last = 0.0
            return { obs in
                let p = ((Double(obs[0]) + 0.5) * scales.0, (Double(obs[1]) + 0.5) * scales.1)
                if let q = previous {
                    velocity = (0.5 * velocity.0 + 50 * (p.0 - q.0), 0.5 * velocity.1 + 50 * (p.1 - q.1))
                }
                previous = p
                let z = [p.0, velocity.0, p.1, velocity.1, last]
                last = min(max(zip(gains, z).reduce(0) { $0 + $1.0 * $1.1 }, -1), 1)
                return .continuous([last])
            }
        }
        XCTAssertEqual(report.nominal.terminated, 0)
        XCTAssertEqual(report.randomized.terminated, 0)
        XCTAssertGreaterThan(report.nominal.mean, 950)
        XCTAssertGreaterThanOrEqual(report.ratio, 0.95, "nominal \(report.nominal.mean), randomized \(report.randomized.mean)")
    }
}
