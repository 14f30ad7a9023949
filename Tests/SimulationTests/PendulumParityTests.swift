import ReflexCore
import Simulation
import XCTest

/// Reference parity: our Pendulum matches Gymnasium Pendulum-v1 step for step on recorded trajectories.
final class PendulumParityTests: XCTestCase {
    static let tolerance = 1e-9

    func testFixtureCoversTheCases() throws {
        let fixture = try PendulumFixture.load()
        XCTAssertGreaterThanOrEqual(fixture.trajectories.count, 10)
        let rows = fixture.trajectories.flatMap(\.rows)
        XCTAssertTrue(rows.contains { ($0.action ?? 0) > 2 }, "a torque above the limit (clipping)")
        XCTAssertTrue(rows.contains { abs($0.state[1]) == 8 }, "a step at the speed limit")
        XCTAssertTrue(rows.contains { abs($0.state[0]) > 2 * Double.pi }, "an angle past one turn (wrap-around)")
        XCTAssertTrue(fixture.trajectories.allSatisfy { $0.rows.last?.step == 200 && $0.rows.last?.truncated == true })
    }

    /// Replays every trajectory's torques through `PendulumEnvironment` from the recorded start state.
    func testMatchesGymnasiumStepForStep() throws {
        let fixture = try PendulumFixture.load()
        var env = try PendulumEnvironment(description: RobotDescription.bundled(named: "pendulum"))
        var steps = 0, exactSteps = 0
        var maxDeviation = 0.0
        for trajectory in fixture.trajectories {
            let start = trajectory.rows[0].state
            let first = env.reset(to: PendulumState(theta: start[0], thetaDot: start[1]))
            XCTAssertEqual(first, trajectory.rows[0].observation, trajectory.name)
            for row in trajectory.rows.dropFirst() {
                let where_ = "\(trajectory.name) step \(row.step)"
                guard let action = row.action else { return XCTFail("\(where_): no action") }
                let result = env.step(.continuous([Double(action)]))
                let ours = [env.state.theta, env.state.thetaDot]
                if ours == row.state { exactSteps += 1 }
                for (i, (a, b)) in zip(ours, row.state).enumerated() {
                    maxDeviation = max(maxDeviation, abs(a - b))
                    if abs(a - b) > Self.tolerance { XCTFail("\(where_): state[\(i)] \(a) vs Gymnasium \(b)") }
                }
                XCTAssertEqual(result.observation, row.observation, where_)
                XCTAssertEqual(result.reward, row.reward ?? .nan, accuracy: Self.tolerance, where_)
                XCTAssertEqual(result.terminated, row.terminated, where_)
                XCTAssertEqual(result.truncated, row.truncated, where_)
                steps += 1
            }
        }
        XCTAssertEqual(steps, fixture.trajectories.count * 200)
        print("Pendulum parity: \(steps) steps, \(exactSteps) bit-identical, max |Δstate| = \(maxDeviation)")
    }

    /// The vector environment runs the same dynamics, truncates at 200 and resets on its own.
    func testVectorEnvironmentMatchesSingleCopy() throws {
        let model = PendulumModel()
        let vec = PendulumVectorEnvironment(model: model, count: 2)
        vec.reset(seed: 5)
        var states: [PendulumState] = []
        for i in 0..<2 {
            let o = Array(vec.observations[(3 * i)..<(3 * i + 3)])
            states.append(PendulumState(theta: atan2(Double(o[1]), Double(o[0])), thetaDot: Double(o[2])))
        }
        var singles = states.map { s -> PendulumEnvironment in
            var e = PendulumEnvironment(model: model)
            e.reset(to: s)
            return e
        }
        var finished = 0
        for t in 1...200 {
            let torques: [Float] = [Float(t % 5) - 2, 3]
            vec.step(torques)
            for i in 0..<2 {
                let step = singles[i].step(.continuous([Double(torques[i])]))
                XCTAssertEqual(vec.rewards[i], Float(step.reward), accuracy: 1e-4, "copy \(i) step \(t)")
                XCTAssertEqual(vec.truncated[i], t == 200)
                XCTAssertFalse(vec.terminated[i])
                if t == 200 {
                    let final = Array(vec.finalObservations[(3 * i)..<(3 * i + 3)])
                    for (a, b) in zip(final, step.observation) { XCTAssertEqual(a, b, accuracy: 1e-5) }
                } else {
                    let o = Array(vec.observations[(3 * i)..<(3 * i + 3)])
                    for (a, b) in zip(o, step.observation) { XCTAssertEqual(a, b, accuracy: 1e-5, "copy \(i) step \(t)") }
                }
            }
            finished += vec.finishedEpisodes.count
        }
        XCTAssertEqual(finished, 2)
    }

    func testDescriptionRefusesADiscreteActionSpace() throws {
        var d = try RobotDescription.bundled(named: "pendulum")
        d.actionSpace = .discrete(choices: [[-2], [2]])
        XCTAssertThrowsError(try PendulumModel(description: d)) { error in
            XCTAssertTrue("\(error)".contains("actions"), "\(error)")
        }
    }
}
