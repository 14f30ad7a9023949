import ReflexCore
import Simulation
import Vision
import XCTest

/// Scenes rasterized for videos.
final class SceneRenderTests: XCTestCase {
    func testEveryBundledRobotRendersAPictureOfItsState() throws {
        let renderer = try SceneRenderer(width: 160, height: 120)
        for name in RobotDescription.bundledNames() {
            var env = try RobotEnvironments.plain(RobotDescription.bundled(named: name), seed: 1)
            _ = env.reset(seed: 1)
            let scene = try XCTUnwrap((env as? SceneProviding)?.scene, name)
            let image = renderer.render(scene)
            XCTAssertEqual(image.width, 160)
            XCTAssertEqual(image.channels, 3)
            let background = image.pixels[0]
            let differing = stride(from: 0, to: image.pixels.count, by: 3).filter { image.pixels[$0] != background }.count
            XCTAssertGreaterThan(differing, 100, "\(name): the picture is nearly blank")
        }
    }

    func testWorldPointsLandWhereTheViewSays() throws {
        var scene = Scene(view: Scene.Rect(minX: 0, minY: 0, maxX: 2, maxY: 1), background: .white)
        scene.circle(Scene.Point(1.5, 0.75), radius: 0.05, .black)
        let renderer = try SceneRenderer(width: 200, height: 100)
        let image = renderer.render(scene)
        // The circle sits right of centre and in the upper half (world y up, image y down).
        var sumX = 0, sumY = 0, count = 0
        for y in 0..<100 { for x in 0..<200 where image[x: x, y: y, channel: 0] < 128 { sumX += x; sumY += y; count += 1 } }
        XCTAssertGreaterThan(count, 10)
        XCTAssertEqual(Double(sumX) / Double(count), 149, accuracy: 8)
        XCTAssertEqual(Double(sumY) / Double(count), 27, accuracy: 8)
    }
}
