import COpenCV
import ReflexCore

#if canImport(Glibc)
import Glibc
#endif

/// A video4linux camera, by index (`/dev/video<index>`) or device path, through OpenCV's V4L2 backend.
///
/// Before OpenCV sees the device, the path is checked here so a failure says what is wrong: no such device,
/// not a camera (a regular file, another kind of device, a V4L2 node without video capture), permission
/// denied (the `video` group), or busy (another program is streaming from it).
public final class V4L2Camera: CameraSource {
    public let path: String
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var frameRate: Double
    /// The driver's name for the device (VIDIOC_QUERYCAP's card), e.g. "HD Webcam C525".
    public let card: String
    public var name: String { path }
    private let capture: Capture

    /// Opens camera `index` (`/dev/video<index>`).
    public convenience init(index: Int, width: Int? = nil, height: Int? = nil, frameRate: Double? = nil) throws {
        guard index >= 0 else { throw ReflexError(.invalidArgument, "camera index must be 0 or more, got \(index)") }
        try self.init(path: "/dev/video\(index)", width: width, height: height, frameRate: frameRate)
    }

    /// Opens the camera at `path` (`/dev/video*`), asking for this size and rate (the driver may choose the
    /// nearest it supports; `width`, `height`, `frameRate` then say what it chose).
    public init(path: String, width: Int? = nil, height: Int? = nil, frameRate: Double? = nil) throws {
        if let width, width <= 0 { throw ReflexError(.invalidArgument, "camera \(path): width must be positive, got \(width)") }
        if let height, height <= 0 { throw ReflexError(.invalidArgument, "camera \(path): height must be positive, got \(height)") }
        if let frameRate, !(frameRate > 0 && frameRate.isFinite) {
            throw ReflexError(.invalidArgument, "camera \(path): frame rate must be positive, got \(frameRate)")
        }
        self.path = path
        card = try V4L2Camera.check(path: path)
        guard let handle = rcv_capture_open_path(path, RCV_API_V4L2) else {
            throw ReflexError(.io, "camera \(path) (\(card)): OpenCV's V4L2 backend could not open it: \(lastOpenCVError())")
        }
        capture = Capture(handle: handle, name: "camera \(path)")
        capture.configure(width: width, height: height, fps: frameRate)
        // The first frame proves the camera streams and tells the size it really delivers.
        var first = Image()
        let delivered: Bool
        do {
            delivered = try capture.read(into: &first)
        } catch {
            throw ReflexError(.io, "camera \(path) (\(card)) opened but did not stream: \(error) — is another program using it?")
        }
        guard delivered else {
            throw ReflexError(.io, "camera \(path) (\(card)) opened but delivered no frame — is another program using it?")
        }
        self.width = first.width
        self.height = first.height
        let fps = capture.properties.fps
        self.frameRate = fps > 0 ? fps : (frameRate ?? 0)
    }

    public func read(into image: inout Image) throws -> Bool {
        guard try capture.read(into: &image) else {
            throw ReflexError(.io, "camera \(path): stopped delivering frames (unplugged?)")
        }
        return true
    }

    /// Stops streaming and frees the device (also done on deinit).
    public func close() { capture.close() }

    /// The V4L2 character-device major number (Documentation/admin-guide/devices.txt).
    static let videoMajor: UInt64 = 81

    /// Checks that `path` is a free video4linux capture device; returns its card name or throws naming the problem.
    static func check(path: String) throws -> String {
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            if e == ENOENT {
                throw ReflexError(.io, "camera \(path): no such device — no camera is connected there (`ls /dev/video*` lists the cameras)")
            }
            throw ReflexError(.io, "camera \(path): cannot inspect it: \(String(cString: strerror(e)))")
        }
        let type = st.st_mode & S_IFMT
        guard type == S_IFCHR else {
            let what = type == S_IFREG ? "a regular file (for a video file, pass it as a video source)" : type == S_IFDIR ? "a directory" : "not a device"
            throw ReflexError(.invalidArgument, "camera \(path): not a camera: it is \(what)")
        }
        let rdev = UInt64(st.st_rdev)
        let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~UInt64(0xfff))
        guard major == videoMajor else {
            throw ReflexError(.invalidArgument, "camera \(path): not a camera: a character device of another kind (major \(major), video4linux is \(videoMajor))")
        }
        var card = [CChar](repeating: 0, count: 64)
        var step: UnsafePointer<CChar>?
        let e = card.withUnsafeMutableBufferPointer { rcv_v4l2_probe(path, $0.baseAddress, $0.count, &step) }
        let name = String(cString: card)
        guard e != 0 else { return name.isEmpty ? "unnamed camera" : name }
        let stepName = step.map { String(cString: $0) } ?? "open"
        switch (stepName, e) {
        case (_, EACCES), (_, EPERM):
            throw ReflexError(.io, "camera \(path): permission denied — add your user to the '\(groupName(st.st_gid))' group or run with access to the device")
        case (_, EBUSY):
            throw ReflexError(.io, "camera \(path)\(name.isEmpty ? "" : " (\(name))"): busy — another program is streaming from it (`fuser \(path)` names it)")
        case ("querycap", _):
            throw ReflexError(.invalidArgument, "camera \(path): not a video4linux capture device (VIDIOC_QUERYCAP: \(String(cString: strerror(e))))")
        case ("capture", _):
            throw ReflexError(.invalidArgument, "camera \(path) (\(name)): this node has no video capture (a metadata or output node; try another /dev/video*)")
        default:
            throw ReflexError(.io, "camera \(path): cannot open it: \(String(cString: strerror(e)))")
        }
    }

    private static func groupName(_ gid: gid_t) -> String {
        guard let group = getgrgid(gid), let name = group.pointee.gr_name else { return "video" }
        return String(cString: name)
    }
}
