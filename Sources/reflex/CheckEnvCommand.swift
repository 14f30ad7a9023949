import ArgumentParser
import Foundation
import ReflexCore
import Simulation

/// `reflex check-env`: checks a bundled robot's environment against the reset/step contracts.
struct CheckEnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-env",
        abstract: "Check a robot's simulated environment: spaces, bounds, determinism, reset and episode contracts.",
        discussion: """
            Builds the robot's environment from simulators/<robot>.yaml with everything the description
            declares (domain randomization, sensor noise, quantization and latency, actuator latency;
            --nominal leaves them out) and checks, with random actions: observation and action spaces agree
            with the channels; the same seed gives the same start and the same trajectory, also after a reset
            in mid-episode; observations stay inside their channels' declared ranges; rewards are finite;
            episodes are truncated exactly at episode.max_steps, never before. Exits with status 1 when a
            check fails.
            """)

    @Argument(help: "Robot to check (a bundled robot name; omit with --all).")
    var robot: String?

    @Flag(help: "Check every bundled robot.")
    var all = false

    @Option(help: "Seed of the checks.")
    var seed: UInt64 = 0

    @Option(help: "Steps per determinism rollout.")
    var steps = 300

    @Option(help: "Episodes run to their end for the bounds and episode checks.")
    var episodes = 3

    @Flag(help: "The plant alone: nominal parameters, ideal sensors, no latency.")
    var nominal = false

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard all != (robot != nil) else { throw ValidationError("give a robot name or --all (not both)") }
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard episodes > 0 else { throw ValidationError("--episodes must be positive, got \(episodes)") }
    }

    func run() throws {
        let names = all ? RobotDescription.bundledNames() : [robot ?? ""]
        var results: [[String: Any]] = []
        var failed = false
        for name in names {
            let description = try RobotDescription.bundled(named: name)
            let checker = try EnvironmentChecker.forRobot(
                description, seed: seed, steps: steps, episodes: episodes, options: nominal ? .nominal : .faithful)
            let start = DispatchTime.now().uptimeNanoseconds
            let report = try checker.run()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            failed = failed || !report.passed
            results.append([
                "robot": name, "passed": report.passed, "checks": report.checks, "steps": report.steps,
                "failures": report.failures.map(\.description), "warnings": report.warnings.map(\.description),
                "seconds": seconds,
            ])
            if !json {
                let verdict = report.passed ? "ok" : "FAILED"
                print("\(name): \(verdict) — \(report.checks.count) checks (\(report.checks.joined(separator: ", "))), "
                    + "\(report.steps) steps in \(String(format: "%.2f", seconds)) s")
                for finding in report.failures { print("  failure: \(finding)") }
                for finding in report.warnings { print("  warning: \(finding)") }
            }
        }
        if json {
            try printJSON(["seed": seed, "nominal": nominal, "passed": !failed, "robots": results])
        }
        if failed { throw ExitCode.failure }
    }
}
