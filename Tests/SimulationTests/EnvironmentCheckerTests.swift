import ReflexCore
import Simulation
import XCTest

/// `reflex check-env`'s checks: every bundled robot passes, and each kind of broken environment is caught.
final class EnvironmentCheckerTests: XCTestCase {
    func testEveryBundledRobotPasses() throws {
        let names = RobotDescription.bundledNames()
        XCTAssertGreaterThanOrEqual(names.count, 6, "\(names)")
        for name in names {
            let description = try RobotDescription.bundled(named: name)
            for options in [RobotEnvironments.Options.nominal, .faithful] {
                let report = try EnvironmentChecker.forRobot(description, seed: 1, steps: 200, episodes: 2, options: options).run()
                XCTAssertTrue(report.passed, "\(name): \(report.failures)")
                XCTAssertTrue(report.warnings.isEmpty, "\(name): \(report.warnings)")
                XCTAssertEqual(report.checks.count, 6)
            }
        }
    }

    /// A scripted environment broken in one chosen way.
    private struct Broken: Environment {
        enum Fault { case outOfBounds, unseeded, earlyTruncation, neverEnds, wrongCount, bufferOverrun, bufferDiffers }
        let fault: Fault
        var observationChannels = [ChannelSpec(name: "x", unit: "m", min: -1, max: 1)]
        var actuatorChannels = [ChannelSpec(name: "f", unit: "N", min: -1, max: 1, safeValue: 0)]
        var actionSpace = ActionSpace.discrete(choices: [[-1], [1]])
        var steps = 0
        var start: Float = 0
        static nonisolated(unsafe) var counter: Float = 0

        mutating func reset(seed: UInt64?) -> [Float] {
            steps = 0
            if fault == .unseeded {
                Self.counter += 0.01
                start = Self.counter
            } else {
                var g = SeededGenerator(seed: seed ?? 0)
                start = Float(g.uniform(-0.1, 0.1))
            }
            return fault == .wrongCount ? [start, 0] : [start]
        }

        mutating func step(_ action: Action) -> Step {
            steps += 1
            let x = fault == .outOfBounds && steps == 7 ? 1.5 : start
            return Step(observation: [x], reward: 1, terminated: false,
                        truncated: fault == .earlyTruncation ? steps == 5 : (fault == .neverEnds ? false : steps >= 10))
        }

        /// Writes one value too many, or a different observation, into the caller's buffer.
        mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
            let s = step(action)
            observation[0] = fault == .bufferDiffers && steps == 3 ? -s.observation[0] : s.observation[0]
            if fault == .bufferOverrun { observation[1] = 7 }
            return StepOutcome(reward: s.reward, terminated: s.terminated, truncated: s.truncated)
        }
    }

    private func check(_ fault: Broken.Fault) throws -> [String] {
        try EnvironmentChecker(maxEpisodeSteps: 10, seed: 0, steps: 20, episodes: 2) { Broken(fault: fault) }.run().failures.map(\.description)
    }

    func testBrokenEnvironmentsAreCaught() throws {
        let outOfBounds = try check(.outOfBounds), unseeded = try check(.unseeded)
        XCTAssertTrue(outOfBounds.contains { $0.contains("x = 1.5 outside -1.0…1.0") }, "\(outOfBounds)")
        XCTAssertTrue(unseeded.contains { $0.hasPrefix("reset determinism:") }, "\(unseeded)")
        XCTAssertTrue(try check(.earlyTruncation).contains { $0.contains("truncated at step 5, before the limit 10") })
        XCTAssertTrue(try check(.neverEnds).contains { $0.contains("reached the limit 10 without being truncated") })
        XCTAssertTrue(try check(.wrongCount).contains { $0.contains("reset returned 2 values for 1 sensor channels") })
        let overrun = try check(.bufferOverrun), differs = try check(.bufferDiffers)
        XCTAssertTrue(overrun.contains { $0.hasPrefix("step into a buffer: step(_:observation:) differs from step(_:) at step 1") }, "\(overrun)")
        XCTAssertTrue(differs.contains { $0.hasPrefix("step into a buffer: step(_:observation:) differs from step(_:) at step 3") }, "\(differs)")
        XCTAssertTrue(try check(.outOfBounds).allSatisfy { !$0.hasPrefix("step into a buffer") })
    }
}
