import Foundation
import ReflexCore
import Simulation
import XCTest

/// `diffdrive-camera.yaml`: the closed-track keys and the `camera:` block, and errors for bad ones.
final class DiffDriveTrackDescriptionTests: XCTestCase {
    func testTheCameraRobotLoadsItsCameraAndTrackKeys() throws {
        let d = try RobotDescription.bundled(named: "diffdrive-camera")
        let camera = try XCTUnwrap(d.camera)
        XCTAssertEqual(camera.width, 128)
        XCTAssertEqual(camera.height, 96)
        XCTAssertEqual(camera.height_m, 0.10)
        XCTAssertEqual(camera.pitch, 0.9)
        XCTAssertEqual(camera.preprocessing.width, 64)
        XCTAssertEqual(camera.preprocessing.height, 64)
        XCTAssertTrue(camera.preprocessing.grayscale)
        XCTAssertEqual(d.task["track"], 1)
        XCTAssertNil(try RobotDescription.bundled(named: "diffdrive").camera, "robots without a camera: block have none")
    }

    private func load(replacing old: String, with new: String) throws -> RobotDescription {
        let directory = try XCTUnwrap(RobotDescription.simulatorsDirectory())
        let text = try String(contentsOfFile: directory + "/diffdrive-camera.yaml", encoding: .utf8)
        XCTAssertTrue(text.contains(old), "fixture text '\(old)' not in the description")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("diffdrive-camera-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        let path = url.appendingPathComponent("diffdrive-camera.yaml").path
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
        return try RobotDescription.load(path: path)
    }

    private func assertError(_ old: String, _ new: String, mentions parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(replacing: old, with: new), file: file, line: line) { error in
            let text = "\(error)"
            for part in parts { XCTAssertTrue(text.contains(part), "'\(part)' missing from: \(text)", file: file, line: line) }
            XCTAssertTrue(text.contains("diffdrive-camera.yaml"), "no file name in: \(text)", file: file, line: line)
        }
    }

    func testBadCameraValuesNameTheKeyPath() {
        assertError("    pitch: 0.9 ", "    pitch: -0.2 ", mentions: ["camera.mount.pitch", "π/2"])
        assertError("  width: 128 ", "  width: 0 ", mentions: ["camera.width", "1…4096"])
        assertError("    field_of_view: 1.2 ", "    field_of_view: 4 ", mentions: ["camera.mount.field_of_view"])
        assertError("    frames: 2 ", "    frames: 0 ", mentions: ["camera.preprocessing.frames"])
        assertError("    grayscale: true", "    grayscale: true\n    crop: {x: 100, y: 0, width: 64, height: 64}",
                    mentions: ["camera.preprocessing.crop", "128×96"])
        assertError("  frame_rate: 20 ", "  frame_rate: 20\n  lens: wide ", mentions: ["camera.lens", "unknown key"])
        assertError("    height: 0.10 ", "    height: 0.10\n    roll: 0.1 ", mentions: ["camera.mount.roll", "unknown key"])
    }

    func testBadTrackValuesAreRefused() {
        assertError("  track_wobble: 0.3 ", "  track_wobbles: 0.3 ", mentions: ["task.track_wobbles", "unknown key"])
        XCTAssertThrowsError(try DiffDriveModel(description: load(replacing: "  track: 1 ", with: "  track: 2 "))) { error in
            XCTAssertTrue("\(error)".contains("task.track"), "\(error)")
        }
    }

    func testTheSineDescriptionIsUnchanged() throws {
        let d = try RobotDescription.bundled(named: "diffdrive")
        XCTAssertNil(d.task["track"])
        XCTAssertEqual(DiffDriveModel.stateSize, 15 + Track.storedSize)
    }
}
