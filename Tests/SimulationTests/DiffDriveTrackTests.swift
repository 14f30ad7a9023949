import ReflexCore
import Simulation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Closed tracks for the line follower: shape, arc length, distance to the line, laps and progress reward.
final class DiffDriveTrackTests: XCTestCase {
    private func cameraModel() throws -> DiffDriveModel {
        try DiffDriveModel(description: RobotDescription.bundled(named: "diffdrive-camera"))
    }

    func testTrackClosesAndItsLengthIsTheArcLength() {
        for seed: UInt64 in [1, 2, 3, 99] {
            let track = Track.random(seed: seed, radius: 0.5, wobble: 0.3, width: 0.02, widthVariation: 0.3, minimumBendRadius: 0.15)
            let start = track.point(0), end = track.point(2 * .pi)
            XCTAssertEqual(start.x, end.x, accuracy: 1e-12)
            XCTAssertEqual(start.y, end.y, accuracy: 1e-12)
            // A fine polygon through the track is as long as the measured length.
            var polygon = 0.0
            var previous = start
            for i in 1...20_000 {
                let p = track.point(2 * .pi * Double(i) / 20_000)
                polygon += ((p.x - previous.x) * (p.x - previous.x) + (p.y - previous.y) * (p.y - previous.y)).squareRoot()
                previous = p
            }
            XCTAssertEqual(track.length, polygon, accuracy: 1e-6, "seed \(seed)")
            XCTAssertTrue(track.isGentle(minimumBendRadius: 0.15), "seed \(seed): a bend tighter than 0.15 m")
        }
        // A circle of radius 1 is 2π long.
        XCTAssertEqual(Track(radius: 1, width: 0.02).length, 2 * .pi, accuracy: 1e-9)
    }

    func testTracksDifferBySeedWithBendsOfManyRadii() {
        let a = Track.random(seed: 1, radius: 0.5, wobble: 0.3, width: 0.02, widthVariation: 0.3, minimumBendRadius: 0.15)
        let b = Track.random(seed: 2, radius: 0.5, wobble: 0.3, width: 0.02, widthVariation: 0.3, minimumBendRadius: 0.15)
        XCTAssertNotEqual(a, b)
        XCTAssertNotEqual(a.width, b.width, "line width varies between tracks")
        XCTAssertNotEqual(a.lineWidth(0), a.lineWidth(1), "… and along one")
        // Curvature radius along the track spans a wide range (not a circle).
        var radii: [Double] = []
        for i in 0..<360 {
            let (r, r1, r2) = a.radii(2 * .pi * Double(i) / 360)
            let q = r * r + r1 * r1
            radii.append(abs((q * q.squareRoot()) / (r * r + 2 * r1 * r1 - r * r2)))
        }
        XCTAssertGreaterThan(radii.max()! / radii.min()!, 2, "bend radii \(radii.min()!)…\(radii.max()!)")
    }

    func testNearestPointGivesTheSignedDistanceAcrossTheLine() {
        let track = Track.random(seed: 7, radius: 0.5, wobble: 0.3, width: 0.02, widthVariation: 0.3, minimumBendRadius: 0.15)
        for i in 0..<24 {
            let theta = 2 * .pi * Double(i) / 24
            let p = track.point(theta)
            let heading = track.heading(theta)
            for d in [-0.05, -0.01, 0.0, 0.02, 0.06] {
                // Offset along the left normal: positive d is left of the direction of travel.
                let x = p.x - d * sin(heading), y = p.y + d * cos(heading)
                let near = track.nearest(x: x, y: y)
                XCTAssertEqual(near.distance, d, accuracy: 1e-6, "θ \(theta), d \(d)")
                let back = track.point(near.theta)
                XCTAssertEqual(back.x, p.x, accuracy: 1e-6)
                XCTAssertEqual(back.y, p.y, accuracy: 1e-6)
            }
        }
    }

    /// Steers by the true geometry (offset and heading error) round the track.
    private func followTrack(_ m: DiffDriveModel, _ s: inout DiffDriveModel.State, steps: Int) -> Double {
        var total = 0.0
        var u = [0.0, 0.0]
        for _ in 0..<steps {
            let near = s.track.nearest(x: s.x, y: s.y, guess: s.trackAngle)
            var headingError = s.track.heading(near.theta) - s.heading
            headingError -= 2 * .pi * (headingError / (2 * .pi)).rounded()
            let turn = max(-0.3, min(0.3, 2.5 * headingError - 12 * near.distance))
            u = [0.45 - turn, 0.45 + turn]
            m.step(&s, actuators: &u)
            total += m.reward(s, actuators: &u)
            if m.isTerminal(s) { break }
        }
        return total
    }

    func testDrivingRoundTheTrackCountsLapsAndRewardsProgress() throws {
        let m = try cameraModel()
        XCTAssertEqual(m.trackFamily, .closed)
        var g = SeededGenerator(seed: 3)
        var s = m.initialState(using: &g)
        XCTAssertGreaterThan(s.track.length, 2)
        XCTAssertEqual(m.laps(s), 0)
        let steps = Int((1.3 * s.track.length / 0.2 / m.description.controlPeriod).rounded(.up))
        let reward = followTrack(m, &s, steps: steps)
        XCTAssertFalse(m.isTerminal(s), "the geometric controller stays on the line")
        XCTAssertEqual(m.laps(s), 1, "progress \(s.progress) m on a \(s.track.length) m track")
        XCTAssertGreaterThan(s.progress, s.track.length)
        // The reward is the progress (100 per metre) less a small control cost.
        XCTAssertEqual(reward, 100 * s.progress, accuracy: 0.01 * Double(steps) * 0.3)
        // Straight-line distance from the start cannot explain the progress: it is measured along the track.
        XCTAssertLessThan(abs(m.lineOffset(s)), 0.03)
    }

    func testDrivingBackwardsAlongTheTrackIsNegativeProgress() throws {
        let m = try cameraModel()
        var g = SeededGenerator(seed: 4)
        var s = m.initialState(using: &g)
        s.heading += .pi
        var u = [0.3, 0.3]
        var reward = 0.0
        for _ in 0..<10 {
            m.step(&s, actuators: &u)
            reward += m.reward(s, actuators: &u)
        }
        XCTAssertLessThan(s.progress, -0.01)
        XCTAssertLessThan(reward, 0)
        XCTAssertEqual(m.laps(s), 0)
    }

    func testLeavingTheTrackTerminates() throws {
        let m = try cameraModel()
        var g = SeededGenerator(seed: 5)
        var s = m.initialState(using: &g)
        s.heading += 1.2
        var u = [0.6, 0.6]
        var steps = 0
        while !m.isTerminal(s) && steps < 200 {
            m.step(&s, actuators: &u)
            steps += 1
        }
        XCTAssertTrue(m.isTerminal(s))
        XCTAssertGreaterThan(abs(m.lineOffset(s)), m.maxLineOffset)
    }

    func testReflectanceSensorsReadTheSameTrack() throws {
        let m = try cameraModel()
        var g = SeededGenerator(seed: 6)
        var s = m.initialState(using: &g)
        // Centre the robot so its sensor row crosses the line at its middle sensor.
        let theta = s.trackAngle
        let ahead = s.track.nearest(x: s.x, y: s.y, guess: theta)
        let p = s.track.point(ahead.theta)
        s.heading = s.track.heading(ahead.theta)
        s.x = p.x - m.sensorOffset * cos(s.heading)
        s.y = p.y - m.sensorOffset * sin(s.heading)
        s.trackAngle = s.track.nearest(x: s.x, y: s.y, guess: ahead.theta).theta
        var out = [Float](repeating: 0, count: m.description.sensors.count)
        m.observe(s, into: &out)
        // Channels: two wheel encoders, then the reflectance row left to right (an odd count, centred).
        let row = Array(out[2...])
        XCTAssertGreaterThanOrEqual(row.count, 3)
        XCTAssertLessThan(row[row.count / 2], 400, "middle sensor over the tape: \(out)")
        XCTAssertGreaterThan(row[0], 700, "leftmost over the floor: \(out)")
        XCTAssertGreaterThan(row[row.count - 1], 700, "rightmost over the floor: \(out)")
    }

    func testTrainingAndEvaluationTracksAreDisjoint() throws {
        let training = try cameraModel()
        let evaluation = training.with(trackSet: .evaluation)
        var seen = Set<[Double]>()
        for seed: UInt64 in 0..<50 {
            var g = SeededGenerator(seed: seed)
            let t = training.initialState(using: &g).track
            seen.insert([t.radius, t.cosine[0], t.sine[0], t.width])
        }
        for seed: UInt64 in 0..<50 {
            var g = SeededGenerator(seed: seed)
            let t = evaluation.initialState(using: &g).track
            XCTAssertFalse(seen.contains([t.radius, t.cosine[0], t.sine[0], t.width]), "seed \(seed): an evaluation track was a training track")
        }
        XCTAssertEqual(TrackSet.training.trackSeed(.max) >> 63, 0)
        XCTAssertEqual(TrackSet.evaluation.trackSeed(0) >> 63, 1)
    }

    func testTheStateWithItsTrackSurvivesTheVectorEnvironmentsStorage() throws {
        let m = try cameraModel()
        var g = SeededGenerator(seed: 8)
        var s = m.initialState(using: &g)
        var u = [0.4, 0.5]
        m.step(&s, actuators: &u)
        var storage = [Double](repeating: 0, count: DiffDriveModel.stateSize * 3)
        storage.withUnsafeMutableBufferPointer { DiffDriveModel.store(s, into: $0.baseAddress! + 1, stride: 3) }
        let back = storage.withUnsafeBufferPointer { DiffDriveModel.load(from: $0.baseAddress! + 1, stride: 3) }
        XCTAssertEqual(back, s)
    }

    func testTheSineLineIsStillTheDefault() throws {
        let m = try DiffDriveModel(description: RobotDescription.bundled(named: "diffdrive"))
        XCTAssertEqual(m.trackFamily, .sine)
        var g = SeededGenerator(seed: 1)
        XCTAssertEqual(m.initialState(using: &g).track, Track.none)
    }
}
