import Foundation
import XCTest

/// `reflex train --video-every N`: training records evaluation videos of its current policy as it goes.
final class TrainVideoTests: XCTestCase {
    func testTrainingRecordsAnEvaluationVideoEveryNUpdates() throws {
        let dir = NSTemporaryDirectory() + "reflex-train-video-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        // CartPole's preset collects 8 × 32 steps per update: 2048 steps are 8 updates, a video after the 4th and 8th.
        let result = try ReflexBinary.run(
            ["train", "cartpole", "--seed", "3", "--steps", "2048", "--run-dir", dir, "--video-every", "4", "--quiet", "--json"],
            timeout: 300)
        XCTAssertTrue([0, 2].contains(result.status), result.stderr)  // 2: budget spent before solving, still saved
        let summary = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let videos = try XCTUnwrap(summary["videos"] as? [String], result.stdout)
        XCTAssertEqual(videos.map { ($0 as NSString).lastPathComponent.replacingOccurrences(of: ".avi", with: ".mp4") },
                       ["update-00004.mp4", "update-00008.mp4"])
        for path in videos {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let frames = try XCTUnwrap(RenderCommandTests.frameCount(of: data), "\(path) is not a finished video")
            XCTAssertGreaterThan(frames, 1, path)
        }
    }

    func testANegativeIntervalIsRefused() throws {
        let result = try ReflexBinary.run(["train", "cartpole", "--video-every=-1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--video-every must be ≥ 0"), result.stderr)
    }
}
