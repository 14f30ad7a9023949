import Control
import Foundation
import ReflexCore
import ReflexTestSupport
import XCTest
@testable import Vision

final class CameraTests: XCTestCase {
    private func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch { return "\(error)" }
    }

    func testMissingAndNonCameraDevicesAreClearErrors() throws {
        XCTAssertTrue(message { try V4L2Camera(path: "/dev/video57") }.contains("camera /dev/video57: no such device"))
        XCTAssertTrue(message { try V4L2Camera(index: 57) }.contains("camera /dev/video57: no such device"))
        XCTAssertTrue(message { try CameraSources.open("57") }.contains("/dev/video57: no such device"))
        XCTAssertTrue(message { try V4L2Camera(path: "/dev/null") }.contains("camera /dev/null: not a camera: a character device of another kind"))
        let dir = try temporaryDirectory(self)
        FileManager.default.createFile(atPath: dir + "/video0", contents: Data([1, 2, 3]))
        XCTAssertTrue(message { try V4L2Camera(path: dir + "/video0") }.contains("not a camera: it is a regular file"))
        XCTAssertTrue(message { try V4L2Camera(path: dir) }.contains("not a camera: it is a directory"))
        XCTAssertTrue(message { try V4L2Camera(index: -1) }.contains("camera index must be 0 or more"))
        XCTAssertTrue(message { try CameraSources.open(dir + "/missing.avi") }.contains("missing.avi: no such video file"))
        XCTAssertTrue(CameraSources.isLive("0"))
        XCTAssertTrue(CameraSources.isLive("/dev/video2"))
        XCTAssertFalse(CameraSources.isLive("run.mp4"))
    }

    private func identity(actuators: Int = 1) -> DeviceIdentity {
        DeviceIdentity(
            name: "mock", firmwareVersion: "1.0.0", periodMicros: 20_000,
            sensors: [ChannelSpec(name: "left_ticks", unit: "tick", min: -1e6, max: 1e6)],
            actuators: (0..<actuators).map { ChannelSpec(name: "motor\($0)", unit: "1", min: -1, max: 1) })
    }

    /// Training and deployment see the same floats: frames → Preprocessor directly, and the same frames
    /// written losslessly (PNG sequence) → VideoFileSource → CameraDevice.read.
    func testTrainingAndDeploymentPathsAreBitIdentical() throws {
        let dir = try temporaryDirectory(self)
        let frames = try (0..<6).map { try syntheticFrame($0, width: 80, height: 60) }
        for (i, f) in frames.enumerated() { try ImageFile.write(f, path: dir + String(format: "/%03d.png", i)) }
        let spec = ImagePreprocessing(crop: .init(x: 4, y: 10, width: 70, height: 45), width: 21, height: 13, grayscale: true, scale: 2 / 255, offset: -1, frames: 3)

        var training = try Preprocessor(spec, sourceWidth: 80, sourceHeight: 60)
        var trainingObservations: [[Float]] = []
        for f in frames {
            var out: [Float] = []
            try training.process(f, into: &out)
            trainingObservations.append(out)
        }

        let device = try CameraDevice(wrapping: MockDevice(identity: identity(), script: [[0]]), camera: VideoFileSource(path: dir + "/%03d.png"), preprocessing: spec)
        let id = try device.configure()
        XCTAssertEqual(id.sensors, spec.observationChannels)
        try device.activate()
        var values = [Float](repeating: .nan, count: spec.observationCount)
        for (i, expected) in trainingObservations.enumerated() {
            let reading = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 0) }
            XCTAssertEqual(reading, .fresh(deviceTimeMicros: UInt64(i + 1)), "the wrapped device's freshness passes through")
            XCTAssertEqual(values.map(\.bitPattern), expected.map(\.bitPattern), "frame \(i)")
        }
        XCTAssertFalse(device.endOfStream)
        _ = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 0) }
        XCTAssertTrue(device.endOfStream, "the sequence ran out; the last frame is held")
        XCTAssertEqual(device.cameraStatistics.framesCaptured, 6)
        XCTAssertEqual(device.cameraStatistics.framesRepeated, 1)
    }

    /// A recorded video drives the control loop: the policy steers toward the side of the bright bar it sees.
    func testRecordedVideoDrivesALoopTick() throws {
        let dir = try temporaryDirectory(self)
        let writer = try VideoWriter(path: dir + "/line.avi", width: 64, height: 48, frameRate: 50)
        // Bright bar on the left for 5 frames, then on the right for 5.
        for i in 0..<10 {
            var frame = try Image(width: 64, height: 48)
            let x = i < 5 ? 10.0 : 54.0
            frame.draw(antialiased: false) { $0.rectangle(from: Point(x - 3, 0), to: Point(x + 3, 47), color: .white, filled: true) }
            try writer.write(frame)
        }
        writer.close()

        let spec = ImagePreprocessing(width: 16, height: 12)
        let mock = MockDevice(identity: identity(), script: [[0]])
        let device = try CameraDevice(wrapping: mock, camera: VideoFileSource(path: writer.path), preprocessing: spec)
        let policy = FunctionPolicy(observationChannels: spec.observationChannels, actuatorChannels: identity().actuators) { obs in
            // Brightness right of centre minus left of centre: where the line is.
            var left: Float = 0, right: Float = 0
            for y in 0..<12 { for x in 0..<16 { if x < 8 { left += obs[y * 16 + x] } else { right += obs[y * 16 + x] } } }
            return [(right - left) / (right + left + 1e-6)]
        }
        let identity = try device.configure()
        try mock.activate()
        XCTAssertEqual(identity.sensors.count, 16 * 12)
        let loop = ControlLoop(device: device, policy: policy, clock: ManualClock(), periodNanos: 20_000_000)
        XCTAssertEqual(loop.run(ticks: 10), .completed)
        XCTAssertEqual(mock.written.count, 10)
        XCTAssertTrue(mock.written[0..<5].allSatisfy { $0[0] < -0.8 }, "\(mock.written)")
        XCTAssertTrue(mock.written[5..<10].allSatisfy { $0[0] > 0.8 }, "\(mock.written)")
    }

    func testPreprocessingThatDoesNotFitTheCameraIsAnError() throws {
        let dir = try temporaryDirectory(self)
        try ImageFile.write(try Image(width: 32, height: 24), path: dir + "/0.png")
        let spec = ImagePreprocessing(crop: .init(x: 0, y: 0, width: 64, height: 48), width: 16, height: 16)
        let text = message { try CameraDevice(wrapping: MockDevice(identity: self.identity(), script: [[0]]), camera: VideoFileSource(path: dir + "/%d.png"), preprocessing: spec) }
        XCTAssertTrue(text.contains("%d.png (32×24)") && text.contains("outside the 32×24 camera frame"), text)
    }

    /// A live source read on the capture thread: reads take the newest frame without waiting, and a source
    /// that stops delivering makes the read throw (the loop then treats the link as lost).
    func testLatestFrameModeAndAStalledCamera() throws {
        final class Scripted: CameraSource {
            let width = 8, height = 8, frameRate = 100.0, name = "scripted"
            let lock = NSLock()
            var remaining: Int
            init(frames: Int) { remaining = frames }
            func read(into image: inout Image) throws -> Bool {
                lock.lock()
                let left = remaining
                remaining -= 1
                lock.unlock()
                if left <= 0 {
                    Thread.sleep(forTimeInterval: 0.05)  // a camera that has stopped: reads block
                    return true && false
                }
                try image.reshape(width: 8, height: 8, channels: 3)
                image.fill(Color(gray: UInt8(left)))
                return true
            }
        }
        let spec = ImagePreprocessing(width: 2, height: 2, scale: 1, offset: 0)
        let mock = MockDevice(identity: identity(), script: [[0]])
        let device = try CameraDevice(wrapping: mock, camera: Scripted(frames: 3), preprocessing: spec, capture: .latestFrame(maxFrameAgeNanos: 2_000_000_000))
        defer { device.close() }
        _ = try device.configure()
        var values = [Float](repeating: 0, count: 4)
        _ = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 0) }
        XCTAssertTrue((1...3).contains(values[0]), "a frame from the source: \(values)")
        // The source ends after 3 frames: once the newest has been taken, reads report the end.
        var failure: String?
        for _ in 0..<200 where failure == nil {
            do {
                _ = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 0) }
                Thread.sleep(forTimeInterval: 0.005)
            } catch { failure = "\(error)" }
        }
        XCTAssertEqual(values[0], 1, "the last frame delivered")
        XCTAssertTrue(failure?.contains("camera scripted: the stream ended") == true, failure ?? "no error")
    }
}
