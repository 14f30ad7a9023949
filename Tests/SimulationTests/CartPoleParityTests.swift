import ReflexCore
import Simulation
import XCTest

/// Reference parity: our CartPole matches Gymnasium CartPole-v1 step for step on recorded trajectories.
/// Not bit for bit: its sin/cos and the division by the total mass are computed faster, within an ulp.
final class CartPoleParityTests: XCTestCase {
    /// One step from Gymnasium's state: a few ulps (CartPole's sin/cos and its division by the total mass
    /// are ours, each within an ulp of Gymnasium's).
    static let stepTolerance = 1e-12

    func testFixtureCoversTheCases() throws {
        let fixture = try CartPoleFixture.load()
        XCTAssertGreaterThanOrEqual(fixture.trajectories.count, 10)
        let ends = fixture.trajectories.compactMap(\.rows.last)
        XCTAssertGreaterThanOrEqual(ends.filter { $0.truncated == true && $0.step == 500 }.count, 1, "a run to the 500-step limit")
        XCTAssertGreaterThanOrEqual(ends.filter { $0.terminated == true }.count, 5, "several terminations")
    }

    /// Every step of every trajectory, taken from Gymnasium's recorded state before it: the state after it
    /// agrees with Gymnasium's to 1e-12 (relative, or absolute below 1), the Float32 observation to one
    /// Float32 rounding, and reward, terminated and truncated exactly; each episode ends where Gymnasium's did.
    func testMatchesGymnasiumStepForStep() throws {
        let fixture = try CartPoleFixture.load()
        let model = try CartPoleModel(description: RobotDescription.bundled(named: "cartpole"))
        var maxDeviation = 0.0
        var steps = 0
        for trajectory in fixture.trajectories {
            let start = trajectory.rows[0].state
            var env = CartPoleEnvironment(model: model)
            let firstObservation = env.reset(to: CartPoleState(x: start[0], xDot: start[1], theta: start[2], thetaDot: start[3]))
            XCTAssertEqual(firstObservation, trajectory.rows[0].observation, trajectory.name)
            for (previous, row) in zip(trajectory.rows, trajectory.rows.dropFirst()) {
                let where_ = "\(trajectory.name) step \(row.step)"
                guard let action = row.action else { return XCTFail("\(where_): no action") }
                let p = previous.state
                env.state = CartPoleState(x: p[0], xDot: p[1], theta: p[2], thetaDot: p[3])
                let result = env.step(.discrete(action))
                XCTAssertEqual(env.elapsedSteps, row.step, where_)
                let ours = [env.state.x, env.state.xDot, env.state.theta, env.state.thetaDot]
                for (i, (a, b)) in zip(ours, row.state).enumerated() {
                    let deviation = abs(a - b) / max(1, abs(b))
                    maxDeviation = max(maxDeviation, deviation)
                    if deviation > Self.stepTolerance { XCTFail("\(where_): state[\(i)] \(a) vs Gymnasium \(b)") }
                }
                for (i, (a, b)) in zip(result.observation, row.observation).enumerated() where abs(a - b) > b.ulp {
                    XCTFail("\(where_): observation[\(i)] \(a) vs Gymnasium \(b)")
                }
                XCTAssertEqual(result.reward, row.reward, where_)
                XCTAssertEqual(result.terminated, row.terminated, where_)
                XCTAssertEqual(result.truncated, row.truncated, where_)
                steps += 1
                // The episode ends exactly where Gymnasium's did: the last row, and only there.
                let ended = result.terminated || result.truncated
                XCTAssertEqual(ended, row.step == trajectory.rows.last?.step, where_)
            }
        }
        XCTAssertGreaterThan(steps, 1000)
        print("CartPole parity: \(fixture.trajectories.count) trajectories, \(steps) steps, max relative |Δstate| = \(maxDeviation)")
    }

    /// Open loop (our own states from the recorded start, the recorded actions) the trajectories stay within
    /// 1e-9 of Gymnasium's for their first 100 steps. Differences of an ulp per step grow by about e^(steps/11)
    /// in the unstable pole, so further out an open-loop replay measures chaos, not the dynamics.
    func testOpenLoopReplayStaysCloseForAHundredSteps() throws {
        let fixture = try CartPoleFixture.load()
        let model = try CartPoleModel(description: RobotDescription.bundled(named: "cartpole"))
        for trajectory in fixture.trajectories {
            let start = trajectory.rows[0].state
            var env = CartPoleEnvironment(model: model)
            env.reset(to: CartPoleState(x: start[0], xDot: start[1], theta: start[2], thetaDot: start[3]))
            for row in trajectory.rows.dropFirst().prefix(100) {
                let result = env.step(.discrete(row.action ?? -1))
                let ours = [env.state.x, env.state.xDot, env.state.theta, env.state.thetaDot]
                for (a, b) in zip(ours, row.state) {
                    XCTAssertEqual(a, b, accuracy: 1e-9, "\(trajectory.name) step \(row.step)")
                }
                XCTAssertEqual(result.terminated, row.terminated, "\(trajectory.name) step \(row.step)")
            }
        }
    }

    /// The plain model functions (`step`, `isTerminal`, the step limit) agree with the fixture as well, step
    /// by step from Gymnasium's states.
    func testModelFunctionsMatchFixture() throws {
        let fixture = try CartPoleFixture.load()
        let model = CartPoleModel()
        for trajectory in fixture.trajectories {
            for (stepCount, (previous, row)) in zip(trajectory.rows, trajectory.rows.dropFirst()).enumerated() {
                let p = previous.state
                var state = CartPoleState(x: p[0], xDot: p[1], theta: p[2], thetaDot: p[3])
                CartPole.step(model, &state, force: CartPole.force(model, action: row.action ?? -1))
                XCTAssertEqual(state.theta, row.state[2], accuracy: Self.stepTolerance, "\(trajectory.name) step \(row.step)")
                XCTAssertEqual(CartPole.isTerminal(model, state), row.terminated, "\(trajectory.name) step \(row.step)")
                XCTAssertEqual(stepCount + 1 >= model.maxEpisodeSteps, row.truncated, "\(trajectory.name) step \(row.step)")
            }
        }
    }
}
