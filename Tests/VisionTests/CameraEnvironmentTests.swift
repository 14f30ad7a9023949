import ReflexCore
import Simulation
import Vision
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The camera-observation environment the pixel policy trains in.
final class CameraEnvironmentTests: XCTestCase {
    func testObservationIsThePreprocessedImageAndActionsRewardsPassThrough() throws {
        var env = try CameraEnvironment(robot: "diffdrive-camera", seed: 1)
        let spec = try XCTUnwrap(env.nominal.camera).preprocessing
        XCTAssertEqual(env.observationChannels.count, spec.observationCount)
        XCTAssertEqual(env.observationChannels, spec.observationChannels)
        XCTAssertEqual(env.actuatorChannels.map(\.name), ["left_motor_duty", "right_motor_duty"])
        let obs = env.reset(seed: 3)
        XCTAssertEqual(obs.count, spec.observationCount)
        XCTAssertTrue(obs.allSatisfy { $0 >= 0 && $0 <= 1 })
        // After a reset every stacked frame is the first one.
        let n = spec.width * spec.height
        XCTAssertEqual(Array(obs[0..<n]), Array(obs[n..<(2 * n)]))
        // Rewards are the plant's: progress along the track.
        var plant = env.plant
        let step = env.step(.continuous([0.5, 0.5]))
        let reference = plant.step(.continuous([0.5, 0.5]))
        XCTAssertEqual(step.reward, reference.reward)
        XCTAssertEqual(step.terminated, reference.terminated)
        XCTAssertNotEqual(Array(step.observation[0..<n]), Array(step.observation[n..<(2 * n)]), "the newest frame comes first")
        XCTAssertEqual(Array(step.observation[n..<(2 * n)]), Array(obs[0..<n]))
    }

    func testDrivingALapIsCountedAndTheEpisodeEndsOffTheLine() throws {
        var env = try CameraEnvironment(robot: "diffdrive-camera", seed: 2, randomize: false)
        _ = env.reset(seed: 4)
        var total = 0.0
        var steps = 0
        while env.lapsCompleted < 1 && steps < 2000 {
            let s = env.plant.state
            let near = s.track.nearest(x: s.x, y: s.y, guess: s.trackAngle)
            var headingError = s.track.heading(near.theta) - s.heading
            headingError -= 2 * .pi * (headingError / (2 * .pi)).rounded()
            let turn = max(-0.3, min(0.3, 1.5 * headingError - 8 * near.distance))
            let result = env.step(.continuous([0.45 - turn, 0.45 + turn]))
            total += result.reward
            steps += 1
            XCTAssertFalse(result.terminated, "step \(steps): off the line")
            if result.terminated || result.truncated { break }
        }
        XCTAssertEqual(env.lapsCompleted, 1, "after \(steps) steps, progress \(env.progress) of \(env.lapLength) m")
        XCTAssertEqual(total, 100 * env.progress, accuracy: 0.01 * Double(steps))
        // Straight ahead off a bend ends the episode.
        var terminated = false
        for _ in 0..<400 where !terminated { terminated = env.step(.continuous([0.6, 0.2])).terminated }
        XCTAssertTrue(terminated)
    }

    func testRandomizationChangesTheFloorAndEvaluationTracksDiffer() throws {
        var env = try CameraEnvironment(robot: "diffdrive-camera", seed: 1)
        _ = env.reset(seed: 1)
        let first = env.appearance
        _ = env.reset(seed: 2)
        XCTAssertNotEqual(first, env.appearance)
        var training = try CameraEnvironment(robot: "diffdrive-camera", seed: 1, trackSet: .training)
        var evaluation = try CameraEnvironment(robot: "diffdrive-camera", seed: 1, trackSet: .evaluation)
        _ = training.reset(seed: 7)
        _ = evaluation.reset(seed: 7)
        XCTAssertNotEqual(training.plant.state.track, evaluation.plant.state.track)
    }

    func testRobotsWithoutACameraOrClosedTrackAreRefused() throws {
        XCTAssertThrowsError(try CameraEnvironment(robot: "diffdrive")) { error in
            XCTAssertTrue("\(error)".contains("camera"), "\(error)")
        }
        XCTAssertThrowsError(try CameraEnvironment(robot: "cartpole"))
    }
}
