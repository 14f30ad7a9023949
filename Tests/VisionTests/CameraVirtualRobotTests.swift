#if canImport(Glibc)
import Glibc
#endif
import Bridge
import Control
import Foundation
import ReflexCore
import ReflexTestSupport
import Simulation
import VirtualRobot
import XCTest
@testable import Vision

/// Deployment with a camera, end to end: the virtual `diffdrive-camera` robot behind the real wire protocol
/// on a pseudo-terminal takes the motor commands, and the camera is the simulator's renderer looking at
/// that same robot's plant. A stand-in line follower (darkest columns of the preprocessed image → steering)
/// runs on the control loop through `CameraDevice`; the robot must drive along the track without leaving it.
final class CameraVirtualRobotTests: XCTestCase {
    /// The plant's state as the virtual robot's thread last left it, for the renderer on the loop's thread.
    final class StateBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value = DiffDriveModel.State()
        private var failed = false
        var state: DiffDriveModel.State {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
        var everFailed: Bool {
            lock.lock()
            defer { lock.unlock() }
            return failed
        }
        func publish(_ s: DiffDriveModel.State, failed f: Bool) {
            lock.lock()
            value = s
            failed = failed || f
            lock.unlock()
        }
        func clearFailure() {
            lock.lock()
            failed = false
            lock.unlock()
        }
    }

    /// The diffdrive plant, publishing its state after every reset and step.
    struct PublishingPlant: SimulatedPlant {
        var base: DiffDrivePlant
        let box: StateBox
        var sensors: [ChannelSpec] { base.sensors }
        var actuators: [ChannelSpec] { base.actuators }
        var period: Double { base.period }
        var hasFailed: Bool { base.hasFailed }
        mutating func reset(seed: UInt64) {
            base.reset(seed: seed)
            box.publish(base.state, failed: false)
        }
        mutating func step(actuators values: UnsafeBufferPointer<Float>) {
            base.step(actuators: values)
            box.publish(base.state, failed: base.hasFailed)
        }
        func observe(into values: UnsafeMutableBufferPointer<Float>) { base.observe(into: values) }
    }

    func testVirtualRobotDrivenFromRenderedCameraFollowsTheTrack() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var description = try RobotDescription.load(path: root.appendingPathComponent("simulators/diffdrive-camera.yaml").path)
        // The wire's IDENTIFY frame cannot list every reflectance sensor, and the camera replaces them anyway:
        // the served robot keeps its encoders and one line sensor.
        description.sensors = Array(description.sensors.prefix(3))
        let spec = try XCTUnwrap(description.camera?.preprocessing)
        let box = StateBox()
        let plant = PublishingPlant(base: DiffDrivePlant(model: try DiffDriveModel(description: description)), box: box)

        let link = "/tmp/reflex-vision-vr-\(getpid())"
        unlink(link)
        let terminal = try PseudoTerminal(linkPath: link)
        defer { terminal.close() }
        let robot = try VirtualRobot(plant: plant, deviceName: "diffdrive-camera", firmwareVersion: "1.0.0", seed: 3)
        let running = robot.start(on: terminal)
        defer { running.stopAndWait() }

        let serial = try SerialDevice(path: link, configuration: .init(hostName: "vision-test", watchdogMillis: 500))
        defer { serial.close() }
        let camera = try RenderedCameraSource(description: description, seed: 11) { box.state }
        let device = try CameraDevice(wrapping: serial, camera: camera, preprocessing: spec, capture: .eachRead)
        let identity = try device.configure()
        XCTAssertEqual(identity.sensors, spec.observationChannels, "the camera's pixels are the sensor frame")
        XCTAssertEqual(identity.actuators.count, 2)

        // Stand-in policy: the dark line's centroid in the lower half of the newest frame steers the wheels.
        let w = spec.width, h = spec.height
        let policy = FunctionPolicy(observationChannels: spec.observationChannels, actuatorChannels: identity.actuators) { obs in
            var weight: Float = 0, sum: Float = 0
            for y in (h / 2)..<h {
                for x in 0..<w {
                    let darkness = max(0, 0.6 - obs[y * w + x])
                    weight += darkness
                    sum += darkness * Float(x)
                }
            }
            let error = weight > 0 ? (sum / weight - Float(w - 1) / 2) / Float(w / 2) : 0  // + : line to the right
            let base: Float = 0.35, gain: Float = 0.5
            return [base + gain * error, base - gain * error]
        }
        let period = UInt64(identity.periodMicros) * 1000
        let loop = ControlLoop(device: device, policy: policy, clock: MonotonicClock(), periodNanos: period)
        try device.activate()  // the virtual robot resets its plant (a fresh track) on ARM
        box.clearFailure()
        let start = box.state
        var first = [Float](repeating: 0, count: spec.observationCount)
        _ = try first.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 4 * period) }

        let ticks = 60  // 3 s at 20 Hz
        let reason = loop.run(ticks: ticks, startNanos: MonotonicClock.now() + period / 4)
        let end = box.state  // before DISARM, which resets the virtual robot's plant
        let failed = box.everFailed
        try? loop.writeSafeValues()
        try? device.deactivate()

        XCTAssertEqual(reason, .completed)
        // A loaded machine may overrun a tick now and then; the missed deadlines are skipped, not replayed.
        XCTAssertEqual(Int(loop.statistics.ticks + loop.statistics.skippedTicks), ticks)
        XCTAssertEqual(device.cameraStatistics.framesCaptured, Int(loop.statistics.ticks) + 1, "one rendered frame per read")
        XCTAssertFalse(failed, "the robot left the line (more than max_line_offset from it)")
        let driven = end.progress - start.progress
        print("camera-driven virtual diffdrive: \(String(format: "%.2f", driven)) m along the track in \(ticks) ticks")
        XCTAssertGreaterThan(driven, 0.3, "the robot drove along the track")
    }
}
