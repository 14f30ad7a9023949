import ReflexCore
import Simulation
import XCTest

/// Reference parity: our CartPole matches Gymnasium CartPole-v1 step for step on recorded trajectories.
final class CartPoleParityTests: XCTestCase {
    static let tolerance = 1e-5

    func testFixtureCoversTheCases() throws {
        let fixture = try CartPoleFixture.load()
        XCTAssertGreaterThanOrEqual(fixture.trajectories.count, 10)
        let ends = fixture.trajectories.compactMap(\.rows.last)
        XCTAssertGreaterThanOrEqual(ends.filter { $0.truncated == true && $0.step == 500 }.count, 1, "a run to the 500-step limit")
        XCTAssertGreaterThanOrEqual(ends.filter { $0.terminated == true }.count, 5, "several terminations")
    }

    /// Replays every trajectory's actions through `CartPoleEnvironment` from the recorded start state.
    func testMatchesGymnasiumStepForStep() throws {
        let fixture = try CartPoleFixture.load()
        let model = try CartPoleModel(description: RobotDescription.bundled(named: "cartpole"))
        var maxDeviation = 0.0
        var steps = 0
        var exactSteps = 0
        var firstInexact: String?
        for trajectory in fixture.trajectories {
            let start = trajectory.rows[0].state
            var env = CartPoleEnvironment(model: model)
            let firstObservation = env.reset(to: CartPoleState(x: start[0], xDot: start[1], theta: start[2], thetaDot: start[3]))
            XCTAssertEqual(firstObservation, trajectory.rows[0].observation, trajectory.name)
            for row in trajectory.rows.dropFirst() {
                let where_ = "\(trajectory.name) step \(row.step)"
                guard let action = row.action else { return XCTFail("\(where_): no action") }
                let result = env.step(.discrete(action))
                XCTAssertEqual(env.elapsedSteps, row.step, where_)
                let ours = [env.state.x, env.state.xDot, env.state.theta, env.state.thetaDot]
                for (a, b) in zip(ours, row.state) {
                    maxDeviation = max(maxDeviation, abs(a - b))
                }
                if ours == row.state { exactSteps += 1 } else if firstInexact == nil { firstInexact = where_ }
                for (i, (a, b)) in zip(ours, row.state).enumerated() where abs(a - b) > Self.tolerance {
                    XCTFail("\(where_): state[\(i)] \(a) vs Gymnasium \(b)")
                }
                for (i, (a, b)) in zip(result.observation, row.observation).enumerated() where abs(Double(a) - Double(b)) > Self.tolerance {
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
        print(
            "CartPole parity: \(fixture.trajectories.count) trajectories, \(steps) steps, \(exactSteps) bit-identical,"
                + " max |Δstate| = \(maxDeviation), first inexact: \(firstInexact ?? "none")")
    }

    /// The plain model functions (`step`, `isTerminal`, the step limit) agree with the fixture as well.
    func testModelFunctionsMatchFixture() throws {
        let fixture = try CartPoleFixture.load()
        let model = CartPoleModel()
        for trajectory in fixture.trajectories {
            let start = trajectory.rows[0].state
            var state = CartPoleState(x: start[0], xDot: start[1], theta: start[2], thetaDot: start[3])
            var stepCount = 0
            for row in trajectory.rows.dropFirst() {
                CartPole.step(model, &state, force: CartPole.force(model, action: row.action ?? -1))
                stepCount += 1
                XCTAssertEqual(state.theta, row.state[2], accuracy: Self.tolerance, "\(trajectory.name) step \(row.step)")
                XCTAssertEqual(CartPole.isTerminal(model, state), row.terminated, "\(trajectory.name) step \(row.step)")
                XCTAssertEqual(stepCount >= model.maxEpisodeSteps, row.truncated, "\(trajectory.name) step \(row.step)")
            }
        }
    }
}
