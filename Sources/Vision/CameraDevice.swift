import Dispatch
import Foundation
import ReflexCore

/// A robot whose sensor frame is a camera's preprocessed image: wraps the device that takes the commands
/// (usually the serial link) and, on every `read`, takes the newest camera frame, runs it through the
/// policy's `ImagePreprocessing` and reports those values as the sensors. Its channels are
/// `ImagePreprocessing.observationChannels`, so the control loop's channel check covers pixel policies,
/// and `Control` never needs to know about images.
///
/// The wrapped device's lifecycle, link statistics and freshness pass through: a read is `.fresh` when the
/// wrapped device's frame is (the link supervision stays as it is), and writes go straight to it.
/// Each read pushes one frame onto the stack — the newest, repeated when the camera has not delivered a new
/// one since the last tick — so a stack slot is one control period, as in training.
///
/// Capture modes:
/// - `.eachRead`: every `read` reads the source's next frame on the caller's thread (video files, the
///   renderer: deterministic, one frame per tick). At the end of a file the last frame is held and
///   `endOfStream` turns true.
/// - `.latestFrame`: a capture thread reads the source continuously and `read` takes the newest frame
///   without waiting (live cameras, whose reads block until the next exposure). A camera that delivers no
///   frame for `maxFrameAgeNanos`, or fails, makes `read` throw — the loop then treats the link as lost and
///   sends the safe values.
public final class CameraDevice: Device {
    public enum Capture: Sendable, Equatable {
        case eachRead
        case latestFrame(maxFrameAgeNanos: UInt64)
    }

    /// Camera counters for the run's report.
    public struct CameraStatistics: Sendable, Equatable {
        /// Frames the source delivered to this device.
        public var framesCaptured = 0
        /// Reads that found no new frame and reused the previous one.
        public var framesRepeated = 0
        public init() {}
    }

    public let wrapped: Device
    public let camera: CameraSource
    public let preprocessing: ImagePreprocessing
    public let capture: Capture
    /// True once a file source ran out of frames (`.eachRead`); the last frame is held from then on.
    public private(set) var endOfStream = false
    public private(set) var cameraStatistics = CameraStatistics()

    private var preprocessor: Preprocessor
    private var frame = Image()
    private var haveFrame = false
    private var scratch: [Float] = []
    private var cameraIdentity: DeviceIdentity?
    private var grabber: FrameGrabber?
    private var lastFrameNanos: UInt64 = 0

    /// Throws when `preprocessing` does not fit the camera's frame size.
    public init(wrapping device: Device, camera: CameraSource, preprocessing: ImagePreprocessing, capture: Capture = .eachRead) throws {
        wrapped = device
        self.camera = camera
        self.preprocessing = preprocessing
        self.capture = capture
        do {
            preprocessor = try Preprocessor(preprocessing, sourceWidth: camera.width, sourceHeight: camera.height)
        } catch let error as ReflexError {
            throw ReflexError(error.code, "camera \(camera.name) (\(camera.width)×\(camera.height)): \(error.message)")
        }
        if case .latestFrame = capture {
            let grabber = FrameGrabber(camera: camera)
            grabber.start()
            self.grabber = grabber
        }
    }

    deinit { grabber?.stop() }

    /// Stops the capture thread (`.latestFrame`); the device stays usable for writes.
    public func close() {
        grabber?.stop()
        grabber = nil
    }

    public var state: DeviceState { wrapped.state }
    public var statistics: LinkStatistics { wrapped.statistics }

    /// The wrapped device's identity with the camera's observation as its sensors.
    public var identity: DeviceIdentity? {
        if cameraIdentity == nil, let base = wrapped.identity { cameraIdentity = withCameraSensors(base) }
        return cameraIdentity
    }

    public func configure() throws -> DeviceIdentity {
        let base = try wrapped.configure()
        scratch = [Float](repeating: 0, count: base.sensors.count)
        let identity = withCameraSensors(base)
        cameraIdentity = identity
        return identity
    }

    /// Arms the wrapped device and starts a fresh frame stack (a new episode).
    public func activate() throws {
        try wrapped.activate()
        preprocessor.reset()
    }

    public func deactivate() throws { try wrapped.deactivate() }

    public func write(_ values: UnsafeBufferPointer<Float>) throws { try wrapped.write(values) }

    public func read(into values: UnsafeMutableBufferPointer<Float>, timeoutNanos: UInt64) throws -> SensorReading {
        guard values.count >= preprocessor.observationCount else {
            throw ReflexError(.invalidArgument, "camera device: sensor buffer holds \(values.count) values, the camera observation has \(preprocessor.observationCount)")
        }
        if let count = wrapped.identity?.sensors.count, scratch.count != count { scratch = [Float](repeating: 0, count: count) }
        let reading = try scratch.withUnsafeMutableBufferPointer { try wrapped.read(into: $0, timeoutNanos: timeoutNanos) }
        try takeFrame()
        try preprocessor.process(frame, into: values)
        return reading
    }

    /// Brings the newest camera frame into `frame`.
    private func takeFrame() throws {
        switch capture {
        case .eachRead:
            if !endOfStream {
                if try camera.read(into: &frame) {
                    haveFrame = true
                    cameraStatistics.framesCaptured += 1
                    return
                }
                endOfStream = true
            }
            guard haveFrame else { throw ReflexError(.io, "camera \(camera.name): no frame (the video has no frames)") }
            cameraStatistics.framesRepeated += 1
        case .latestFrame(let maxAge):
            guard let grabber else { throw ReflexError(.io, "camera \(camera.name): capture stopped") }
            let now = DispatchTime.now().uptimeNanoseconds
            if try grabber.take(into: &frame) {
                haveFrame = true
                lastFrameNanos = now
                cameraStatistics.framesCaptured += 1
                return
            }
            if !haveFrame {
                // Until the first frame arrives, wait up to maxAge for it (once, at the start).
                guard try grabber.waitForFirst(into: &frame, timeoutNanos: maxAge) else {
                    throw ReflexError(.timeout, "camera \(camera.name): no frame within \(maxAge / 1_000_000) ms")
                }
                haveFrame = true
                lastFrameNanos = DispatchTime.now().uptimeNanoseconds
                cameraStatistics.framesCaptured += 1
                return
            }
            if now - lastFrameNanos > maxAge {
                throw ReflexError(.timeout, "camera \(camera.name): no new frame for \((now - lastFrameNanos) / 1_000_000) ms")
            }
            cameraStatistics.framesRepeated += 1
        }
    }

    private func withCameraSensors(_ base: DeviceIdentity) -> DeviceIdentity {
        var identity = base
        identity.sensors = preprocessing.observationChannels
        return identity
    }
}

/// Reads a live source on its own thread and hands over the newest frame by swapping buffers (no copies,
/// no allocation once the buffers have their size).
final class FrameGrabber: @unchecked Sendable {
    private let camera: CameraSource
    private let condition = NSCondition()
    private var shared = Image()
    private var sequence: UInt64 = 0
    private var taken: UInt64 = 0
    private var failure: Error?
    private var ended = false
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private var running = false

    init(camera: CameraSource) { self.camera = camera }

    func start() {
        running = true
        let thread = Thread { [self] in run() }
        thread.name = "reflex camera \(camera.name)"
        thread.start()
    }

    private func run() {
        var back = Image()
        while true {
            condition.lock()
            let stop = stopping
            condition.unlock()
            if stop { break }
            do {
                let delivered = try camera.read(into: &back)
                condition.lock()
                if delivered {
                    swap(&back, &shared)
                    sequence += 1
                } else {
                    ended = true
                }
                condition.broadcast()
                condition.unlock()
                if !delivered { break }
            } catch {
                condition.lock()
                failure = error
                condition.broadcast()
                condition.unlock()
                break
            }
        }
        finished.signal()
    }

    /// Swaps the newest frame into `image` if one arrived since the last take; throws the capture's failure.
    func take(into image: inout Image) throws -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if sequence > taken {
            swap(&image, &shared)
            taken = sequence
            return true
        }
        if let failure { throw failure }
        if ended { throw ReflexError(.io, "camera \(camera.name): the stream ended") }
        return false
    }

    /// Waits for the first frame up to `timeoutNanos`.
    func waitForFirst(into image: inout Image, timeoutNanos: UInt64) throws -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutNanos) / 1e9)
        condition.lock()
        while sequence == taken && failure == nil && !ended {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
        return try take(into: &image)
    }

    /// Asks the thread to stop and waits for it (at most 2 s: a read blocked in a driver is abandoned).
    func stop() {
        guard running else { return }
        running = false
        condition.lock()
        stopping = true
        condition.unlock()
        _ = finished.wait(timeout: .now() + 2)
    }
}
