import COpenCV
import ReflexCore

/// Where camera frames come from: a V4L2 camera (`V4L2Camera`), a video file or image sequence
/// (`VideoFileSource`), or the simulator's renderer (`RenderedCameraSource`).
///
/// Frames are 8-bit images, BGR unless a source documents gray; `Preprocessor` takes either.
public protocol CameraSource: AnyObject {
    /// Native frame size in pixels: every frame `read` delivers has this size.
    var width: Int { get }
    var height: Int { get }
    /// Nominal frames per second (0 when unknown).
    var frameRate: Double { get }
    /// What the source is, for messages ("/dev/video0", "run.mp4", "renderer").
    var name: String { get }
    /// Reads the next frame into `image` (reshaped to the source's size if it is not already).
    /// Returns false at the end of the stream (a video file's last frame was read); throws on errors.
    func read(into image: inout Image) throws -> Bool
}

/// The OpenCV capture handle shared by the camera and file sources.
final class Capture {
    private var handle: OpaquePointer?
    let name: String

    init(handle: OpaquePointer, name: String) {
        self.handle = handle
        self.name = name
    }

    deinit { close() }

    func close() {
        if let handle { rcv_capture_release(handle) }
        handle = nil
    }

    var properties: (width: Int, height: Int, fps: Double, frameCount: Double) {
        var w: Int32 = 0, h: Int32 = 0, fps = 0.0, count = 0.0
        if let handle { _ = rcv_capture_properties(handle, &w, &h, &fps, &count) }
        return (Int(w), Int(h), fps.isFinite ? fps : 0, count.isFinite ? count : 0)
    }

    func configure(width: Int?, height: Int?, fps: Double?) {
        guard let handle else { return }
        _ = rcv_capture_configure(handle, Int32(width ?? 0), Int32(height ?? 0), fps ?? 0)
    }

    /// Reads the next frame into `image`, keeping its channel count (3 if it is empty). False at the end.
    func read(into image: inout Image) throws -> Bool {
        guard let handle else { throw ReflexError(.io, "\(name): the source is closed") }
        var w: Int32 = 0, h: Int32 = 0
        switch rcv_capture_read(handle, &w, &h) {
        case RCV_OK: break
        case RCV_END: return false
        default: throw ReflexError(.io, "\(name): \(lastOpenCVError())")
        }
        let channels = image.isEmpty ? 3 : image.channels
        if image.width != Int(w) || image.height != Int(h) || image.channels != channels {
            try image.reshape(width: Int(w), height: Int(h), channels: channels)
        }
        let status = image.pixels.withUnsafeMutableBufferPointer { p in
            rcv_capture_retrieve(handle, rcv_view(data: p.baseAddress, width: w, height: h, channels: Int32(channels)))
        }
        guard status == RCV_OK else { throw ReflexError(.io, "\(name): \(lastOpenCVError())") }
        return true
    }
}

/// The shim's message for this thread's last failure.
func lastOpenCVError() -> String {
    guard let message = rcv_last_error() else { return "unknown OpenCV error" }
    let text = String(cString: message)
    return text.isEmpty ? "unknown OpenCV error" : text
}
