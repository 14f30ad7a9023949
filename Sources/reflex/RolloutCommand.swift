import ArgumentParser
import Foundation
import ReflexCore
import Simulation

/// `reflex rollout cartpole --initial-state x,x_dot,theta,theta_dot --actions FILE`: replays a fixed
/// action sequence from a chosen state and prints the trajectory as CSV (for comparing with Gymnasium).
struct RolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Replay an action sequence in a bundled simulator and print the trajectory as CSV.",
        discussion: """
            Prints `step,x,x_dot,theta,theta_dot,reward,terminated,truncated`: a step-0 line for the start \
            state, then one line per action, stopping at termination or truncation (episode limit).
            """
    )

    @Argument(help: "Bundled robot (simulators/<robot>.yaml); only cartpole for now.")
    var robot: String

    // `.unconditional` so a start state beginning with a minus sign is not taken for an option.
    @Option(
        name: .customLong("initial-state"), parsing: .unconditional,
        help: "Start state x,x_dot,theta,theta_dot (m, m/s, rad, rad/s).")
    var initialState: String

    @Option(help: "File with one action per line: 0 pushes left, 1 pushes right; blank lines are skipped.")
    var actions: String

    func validate() throws {
        _ = try parsedInitialState()
    }

    func run() throws {
        let description = try RobotDescription.bundled(named: robot)
        guard description.simulator == "cartpole" else {
            throw ValidationError("rollout supports the cartpole simulator, '\(robot)' uses '\(description.simulator)'")
        }
        let model = try CartPoleModel(description: description)
        let text: String
        do {
            text = try String(contentsOfFile: actions, encoding: .utf8)
        } catch {
            throw ValidationError("--actions: cannot read '\(actions)': \(error.localizedDescription)")
        }
        let actionList = try CartPole.parseActions(text, file: actions)
        for line in CartPole.rolloutCSV(model: model, start: try parsedInitialState(), actions: actionList) {
            print(line)
        }
    }

    private func parsedInitialState() throws -> CartPoleState {
        let parts = initialState.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 4 else {
            throw ValidationError(
                "--initial-state needs 4 comma-separated numbers x,x_dot,theta,theta_dot, got \(parts.count): '\(initialState)'")
        }
        let names = ["x", "x_dot", "theta", "theta_dot"]
        var values: [Double] = []
        for (name, part) in zip(names, parts) {
            guard let v = Double(part), v.isFinite else {
                throw ValidationError("--initial-state: \(name) must be a finite number, got '\(part)'")
            }
            values.append(v)
        }
        return CartPoleState(x: values[0], xDot: values[1], theta: values[2], thetaDot: values[3])
    }
}
