import ReflexCore
import Simulation
import XCTest

/// `reflex rollout` prints `CartPole.rolloutCSV`; check it against Gymnasium's recorded trajectories.
final class CartPoleRolloutTests: XCTestCase {
    func testRolloutCSVMatchesFixture() throws {
        let fixture = try CartPoleFixture.load()
        // The whole of a short trajectory that terminates, and the first 100 steps of the 500-step one: an
        // open-loop replay of the unstable pole amplifies ulp-level differences by about e^(steps/11), so
        // further out it would measure chaos (the dynamics are checked step by step in CartPoleParityTests).
        for (name, steps) in [("near_left_edge_random7", Int.max), ("balance_small", 100)] {
            guard var trajectory = fixture.trajectories.first(where: { $0.name == name }) else {
                return XCTFail("no trajectory \(name) in the fixture")
            }
            trajectory.rows = Array(trajectory.rows.prefix(steps == .max ? .max : steps + 1))
            let s = trajectory.rows[0].state
            // Extra actions after the end must be ignored: the rollout stops at termination/truncation.
            let lines = CartPole.rolloutCSV(
                model: CartPoleModel(), start: CartPoleState(x: s[0], xDot: s[1], theta: s[2], thetaDot: s[3]),
                actions: trajectory.actions + (steps == .max ? [0, 1, 0] : []))
            XCTAssertEqual(lines.first, "step,x,x_dot,theta,theta_dot,reward,terminated,truncated")
            XCTAssertEqual(lines.count, trajectory.rows.count + 1, name)
            for (line, row) in zip(lines.dropFirst(), trajectory.rows) {
                let fields = line.split(separator: ",").map(String.init)
                XCTAssertEqual(fields.count, 8, line)
                XCTAssertEqual(Int(fields[0]), row.step, line)
                for i in 0..<4 {
                    XCTAssertEqual(Double(fields[1 + i]) ?? .nan, row.state[i], accuracy: 1e-5, "\(name): \(line)")
                }
                XCTAssertEqual(Double(fields[5]), row.reward ?? 0, line)
                XCTAssertEqual(fields[6], row.terminated == true ? "1" : "0", line)
                XCTAssertEqual(fields[7], row.truncated == true ? "1" : "0", line)
            }
        }
    }

    func testParseActions() throws {
        XCTAssertEqual(try CartPole.parseActions("0\n1\n\n  1 \r\n0", file: "a.txt"), [0, 1, 1, 0])
        XCTAssertEqual(try CartPole.parseActions("", file: "a.txt"), [])
        XCTAssertThrowsError(try CartPole.parseActions("0\n1\n\n2\n", file: "moves.txt")) { error in
            XCTAssertEqual((error as? ReflexError)?.code, .invalidArgument)
            XCTAssertEqual((error as? ReflexError)?.message,
                           "moves.txt:4: expected an action 0 (push left) or 1 (push right), got '2'")
        }
        XCTAssertThrowsError(try CartPole.parseActions("left\n", file: "moves.txt")) { error in
            XCTAssertTrue((error as? ReflexError)?.message.hasPrefix("moves.txt:1: ") ?? false)
        }
    }
}
