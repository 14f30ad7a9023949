import ReflexCore
import Simulation
import Vision
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The camera renderer: it sees the line where the geometry says, and it is deterministic under a seed.
final class RenderFloorCameraTests: XCTestCase {
    private func cameraDescription() throws -> RobotDescription {
        try RobotDescription.bundled(named: "diffdrive-camera")
    }

    func testARobotCentredOnAStraightLineSeesItInTheMiddleColumns() throws {
        let d = try cameraDescription()
        let camera = try XCTUnwrap(d.camera)
        // A circle of 3 m radius is straight to within 2 mm over the 10 cm nearest the camera.
        let track = Track(radius: 3, width: 0.02)
        let floor = FloorTexture(track: track, appearance: FloorAppearance(), seed: 1, texel: 0.004, margin: 0.3)
        let renderer = FloorCamera(camera)
        var image = try Image(width: camera.width, height: camera.height, channels: 1)
        // On the line at θ = 0, i.e. at (3, 0), heading along it (+y).
        try renderer.render(floor, x: 3, y: 0, heading: .pi / 2, into: &image)
        let w = camera.width, h = camera.height
        /// Mean column of the row's tape-dark pixels.
        func bandCentre(_ row: Int) -> Double {
            let dark = (0..<w).filter { image[x: $0, y: row, channel: 0] < 100 }
            return dark.isEmpty ? -1 : Double(dark.reduce(0, +)) / Double(dark.count)
        }
        for row in (h * 3 / 4)..<h {
            let values = (0..<w).map { image[x: $0, y: row, channel: 0] }
            XCTAssertEqual(bandCentre(row), Double(w - 1) / 2, accuracy: 1, "row \(row): the band is off centre")
            XCTAssertLessThan(values[w / 2], 60, "row \(row): the tape is dark")
            XCTAssertGreaterThan(values[2], 180, "row \(row): the floor beside it is bright")
            XCTAssertGreaterThan(values[w - 3], 180, "row \(row)")
        }
        // Turned a little to the left, the line appears right of the middle.
        try renderer.render(floor, x: 3, y: 0, heading: .pi / 2 + 0.15, into: &image)
        XCTAssertGreaterThan(bandCentre(h - 10), Double(w) / 2 + 2, "heading left puts the line to the right")
    }

    func testEveryPixelShowsTapeOrFloorAsTheGeometrySays() throws {
        let d = try cameraDescription()
        let camera = try XCTUnwrap(d.camera)
        let model = try DiffDriveModel(description: d)
        let renderer = FloorCamera(camera)
        var checked = 0
        for seed: UInt64 in [1, 2, 3] {
            var g = SeededGenerator(seed: seed)
            let s = model.initialState(using: &g)
            let floor = FloorTexture(track: s.track, appearance: FloorAppearance(), seed: seed)
            var image = try Image(width: camera.width, height: camera.height, channels: 1)
            try renderer.render(floor, x: s.x, y: s.y, heading: s.heading, into: &image)
            let c = cos(s.heading), sn = sin(s.heading)
            for row in stride(from: camera.height / 3, to: camera.height, by: 3) {
                for column in stride(from: 0, to: camera.width, by: 3) {
                    let (forward, left) = try XCTUnwrap(renderer.floorPoint(column: column, row: row))
                    let x = s.x + forward * c - left * sn, y = s.y + forward * sn + left * c
                    let near = s.track.nearest(x: x, y: y)
                    let half = s.track.lineWidth(near.theta) / 2
                    let value = image[x: column, y: row, channel: 0]
                    if abs(near.distance) < half - 0.004 {
                        XCTAssertLessThan(value, 70, "seed \(seed) pixel (\(column), \(row)) is \(near.distance) m from the line centre")
                        checked += 1
                    } else if abs(near.distance) > half + 0.006 {
                        XCTAssertGreaterThan(value, 170, "seed \(seed) pixel (\(column), \(row)) is \(near.distance) m from the line centre")
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 20, "the starts put the line in view")
    }

    func testRenderingIsDeterministicUnderASeed() throws {
        var a = try CameraEnvironment(robot: "diffdrive-camera", seed: 5)
        var b = try CameraEnvironment(robot: "diffdrive-camera", seed: 5)
        XCTAssertEqual(a.reset(seed: 11), b.reset(seed: 11))
        for k in 0..<20 {
            let action = Action.continuous([0.4 + 0.01 * Double(k), 0.45])
            XCTAssertEqual(a.step(action).observation, b.step(action).observation, "step \(k)")
        }
        XCTAssertEqual(a.frame, b.frame)
        // Another seed: another track, light and texture.
        let other = b.reset(seed: 12)
        XCTAssertNotEqual(a.reset(seed: 11), other)
    }

    func testTheRenderedCameraSourceSeesThePlantsState() throws {
        let d = try cameraDescription()
        let model = try DiffDriveModel(description: d)
        var g = SeededGenerator(seed: 9)
        var state = model.initialState(using: &g)
        let source = try RenderedCameraSource(description: d, seed: 1) { state }
        var image = Image()
        XCTAssertTrue(try source.read(into: &image))
        XCTAssertEqual(image.width, d.camera?.width)
        XCTAssertEqual(image.channels, 1)
        let first = image
        state.heading += 0.3
        XCTAssertTrue(try source.read(into: &image))
        XCTAssertNotEqual(first, image, "the frame follows the plant")
        // The line is in view at the start: some pixels are tape-dark, most floor-bright.
        let dark = first.pixels.filter { $0 < 80 }.count, bright = first.pixels.filter { $0 > 150 }.count
        XCTAssertGreaterThan(dark, 50)
        XCTAssertGreaterThan(bright, first.pixels.count / 2)
        let noCamera = try RobotDescription.bundled(named: "diffdrive")
        XCTAssertThrowsError(try RenderedCameraSource(description: noCamera) { state })
    }
}
