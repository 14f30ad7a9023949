import Foundation
import ReflexCore

extension CartPole {
    /// CSV header of `rolloutCSV`.
    public static let rolloutHeader = "step,x,x_dot,theta,theta_dot,reward,terminated,truncated"

    /// Reads discrete actions, one per line (`0` push left, `1` push right); blank lines are skipped.
    ///
    /// - Throws: `ReflexError(.invalidArgument, "<file>:<line>: …")` for any other line.
    public static func parseActions(_ text: String, file: String) throws -> [Int] {
        var actions: [Int] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            // "\r\n" is one Character in Swift, and isNewline covers it.
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            switch line {
            case "0": actions.append(0)
            case "1": actions.append(1)
            default:
                throw ReflexError(
                    .invalidArgument, "\(file):\(index + 1): expected an action 0 (push left) or 1 (push right), got '\(line)'")
            }
        }
        return actions
    }

    /// Runs `actions` from `start` and returns CSV lines: the header, a `step 0` line for the start state
    /// (reward 0), then one line per step; stops at termination or truncation, or when the actions run out.
    /// State values are printed with `%.9g`; flags are 0/1.
    public static func rolloutCSV(model: CartPoleModel, start: CartPoleState, actions: [Int]) -> [String] {
        var env = CartPoleEnvironment(model: model)
        env.reset(to: start)
        var lines = [rolloutHeader, csvLine(step: 0, env.state, reward: 0, terminated: false, truncated: false)]
        for action in actions {
            let result = env.step(.discrete(action))
            lines.append(csvLine(
                step: env.elapsedSteps, env.state, reward: result.reward, terminated: result.terminated,
                truncated: result.truncated))
            if result.terminated || result.truncated { break }
        }
        return lines
    }

    private static func csvLine(step: Int, _ s: CartPoleState, reward: Double, terminated: Bool, truncated: Bool) -> String {
        let values = [s.x, s.xDot, s.theta, s.thetaDot].map { String(format: "%.9g", $0) }
        return "\(step)," + values.joined(separator: ",")
            + ",\(String(format: "%g", reward)),\(terminated ? 1 : 0),\(truncated ? 1 : 0)"
    }
}
