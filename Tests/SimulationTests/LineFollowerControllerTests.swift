import ReflexCore
import Simulation
import XCTest

/// The diffdrive task is solvable through the hardware's channels: a proportional steering law on the
/// reflectance sensors' dark centroid follows the snaking line for a whole episode (with the sensor
/// noise, rate limit, deadzone and randomized floor and tape), earning progress; without steering the
/// robot loses the line.
final class LineFollowerControllerTests: XCTestCase {
    private func run(steer gain: Double, seed: UInt64) throws -> (steps: Int, lost: Bool, progress: Double) {
        let d = try RobotDescription.bundled(named: "diffdrive")
        var env = try RobotEnvironments.make(d, seed: seed, options: .faithful)
        var obs = env.reset(seed: seed)
        var steps = 0, total = 0.0
        while true {
            // Darkness of each sensor relative to the brightest; centroid −2 (left) … +2 (right).
            let readings = obs[2...].map(Double.init)
            let bright = readings.max() ?? 0
            let dark = readings.map { bright - $0 }
            let weight = dark.reduce(0, +)
            let error = weight > 1 ? zip(dark, [-2.0, -1, 0, 1, 2]).reduce(0) { $0 + $1.0 * $1.1 } / weight : 0
            let base = 0.6
            let result = env.step(.continuous([base + gain * error, base - gain * error]))
            total += result.reward
            steps += 1
            obs = result.observation
            if result.terminated || result.truncated { return (steps, result.terminated, total) }
        }
    }

    func testProportionalSteeringFollowsTheLine() throws {
        let d = try RobotDescription.bundled(named: "diffdrive")
        for seed: UInt64 in 1...3 {
            let (steps, lost, progress) = try run(steer: 0.25, seed: seed)
            XCTAssertFalse(lost, "seed \(seed): lost the line after \(steps) steps")
            XCTAssertEqual(steps, d.maxEpisodeSteps)
            XCTAssertGreaterThan(progress, 300, "seed \(seed): 100 per metre, so more than 3 m along the line")
        }
        XCTAssertTrue(try run(steer: 0, seed: 1).lost, "driving straight leaves the snaking line")
    }
}
