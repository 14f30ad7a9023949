import ReflexCore
import Simulation
import XCTest

/// Every bundled robot describes its state as drawing primitives, and the drawing follows the state.
final class SceneTests: XCTestCase {
    func testEveryBundledRobotDrawsANonEmptySceneThatMovesWithItsState() throws {
        let names = RobotDescription.bundledNames()
        XCTAssertTrue(names.contains("diffdrive-camera"))
        for name in names {
            let description = try RobotDescription.bundled(named: name)
            var env = try RobotEnvironments.plain(description, seed: 1)
            _ = env.reset(seed: 1)
            let provider = try XCTUnwrap(env as? SceneProviding, "\(name) draws no scene")
            let before = provider.scene
            XCTAssertGreaterThanOrEqual(before.items.count, 3, name)
            XCTAssertGreaterThan(before.view.width, 0, name)
            XCTAssertGreaterThan(before.view.height, 0, name)
            let action: Action
            switch env.actionSpace {
            case .discrete: action = .discrete(1)
            case let .continuous(low, high): action = .continuous(zip(low, high).map { 0.3 * $0 + 0.7 * $1 })
            }
            for _ in 0..<10 { _ = env.step(action) }
            let after = try XCTUnwrap(env as? SceneProviding).scene
            XCTAssertNotEqual(before.items, after.items, "\(name): the scene does not follow the state")
        }
    }

    func testAClosedTrackSceneShowsTheWholeTrack() throws {
        let model = try DiffDriveModel(description: RobotDescription.bundled(named: "diffdrive-camera"))
        var g = SeededGenerator(seed: 2)
        let s = model.initialState(using: &g)
        let scene = model.scene(s)
        for i in 0..<16 {
            let p = s.track.point(2 * .pi * Double(i) / 16)
            XCTAssertTrue(p.x > scene.view.minX && p.x < scene.view.maxX && p.y > scene.view.minY && p.y < scene.view.maxY)
        }
        let fitted = scene.view.fitted(aspect: 16.0 / 9)
        XCTAssertEqual(fitted.width / fitted.height, 16.0 / 9, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(fitted.height, scene.view.height - 1e-12)
    }
}
