import COpenCV
import Foundation
import ReflexCore

/// Frames from a video file (any container/codec OpenCV's FFmpeg backend reads) or an image sequence given
/// as a printf pattern (`frames/%04d.png`, numbered from 0 or 1; PNG keeps frames bit-exact).
///
/// The file is checked before OpenCV sees it (exists, is a file, is readable), and the first frame is read
/// at open, so a file that is not a video fails here with its path in the message rather than later.
public final class VideoFileSource: CameraSource {
    public let path: String
    public let width: Int
    public let height: Int
    public let frameRate: Double
    /// 3 (BGR) or 1 (gray), as asked at open.
    public let channels: Int
    /// Frames in the file as the container reports it (nil when unknown; may be approximate for some codecs).
    public let frameCount: Int?
    /// Frames delivered so far.
    public private(set) var framesRead = 0
    public var name: String { path }
    private let capture: Capture
    private var pending: Image?

    /// Opens `path`; frames are read as 3-channel BGR, or gray with `gray`.
    public init(path: String, gray: Bool = false) throws {
        self.path = path
        channels = gray ? 1 : 3
        let isSequence = path.contains("%")
        if isSequence {
            try VideoFileSource.checkSequence(path)
        } else {
            try VideoFileSource.checkFile(path)
        }
        guard let handle = rcv_capture_open_path(path, isSequence ? RCV_API_IMAGES : RCV_API_ANY) else {
            throw ReflexError(.io, "\(path): not a video or image sequence OpenCV can read (\(lastOpenCVError()))")
        }
        capture = Capture(handle: handle, name: path)
        var first = try Image(width: 1, height: 1, channels: gray ? 1 : 3)
        let delivered: Bool
        do {
            delivered = try capture.read(into: &first)
        } catch {
            throw ReflexError(.io, "\(path): not a video OpenCV can decode (\(error))")
        }
        guard delivered else { throw ReflexError(.io, "\(path): not a video OpenCV can decode (no frame could be read)") }
        pending = first
        width = first.width
        height = first.height
        let properties = capture.properties
        frameRate = properties.fps
        frameCount = properties.frameCount >= 1 ? Int(properties.frameCount) : nil
    }

    public func read(into image: inout Image) throws -> Bool {
        if let first = pending {
            pending = nil
            image = first
            framesRead += 1
            return true
        }
        if image.isEmpty || image.channels != channels { try image.reshape(width: width, height: height, channels: channels) }
        guard try capture.read(into: &image) else { return false }
        guard image.width == width, image.height == height else {
            throw ReflexError(.io, "\(path): frame \(framesRead) is \(image.width)×\(image.height), the first was \(width)×\(height)")
        }
        framesRead += 1
        return true
    }

    /// Frees the decoder (also done on deinit).
    public func close() { capture.close() }

    static func checkFile(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReflexError(.io, "\(path): no such video file")
        }
        guard !isDirectory.boolValue else { throw ReflexError(.io, "\(path): is a directory, not a video file") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw ReflexError(.io, "\(path): permission denied (cannot read the video file)") }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue == 0 {
            throw ReflexError(.io, "\(path): the video file is empty")
        }
    }

    static func checkSequence(_ pattern: String) throws {
        let directory = (pattern as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !directory.isEmpty, !(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw ReflexError(.io, "\(pattern): no such directory \(directory) for the image sequence")
        }
        let firsts = [0, 1].map { String(format: pattern, $0) }
        guard let first = firsts.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ReflexError(.io, "\(pattern): image sequence has no first frame (neither \(firsts[0]) nor \(firsts[1]) exists)")
        }
        guard FileManager.default.isReadableFile(atPath: first) else { throw ReflexError(.io, "\(first): permission denied") }
    }
}

/// Opens what a `--camera` argument names: a number is a camera index, a `/dev/` path a camera device,
/// anything else a video file or image-sequence pattern.
public enum CameraSources {
    public static func open(_ argument: String, width: Int? = nil, height: Int? = nil, frameRate: Double? = nil) throws -> any CameraSource {
        if let index = Int(argument) { return try V4L2Camera(index: index, width: width, height: height, frameRate: frameRate) }
        if argument.hasPrefix("/dev/") { return try V4L2Camera(path: argument, width: width, height: height, frameRate: frameRate) }
        return try VideoFileSource(path: argument)
    }

    /// True when `argument` names a live camera (frames arrive in real time) rather than a file.
    public static func isLive(_ argument: String) -> Bool { Int(argument) != nil || argument.hasPrefix("/dev/") }
}
