import COpenCV
import Foundation
import ReflexCore

/// Writes frames to a video file, choosing the codec from the extension.
///
/// `.mp4` (also `.m4v`, `.mov`) tries MPEG-4 Part 2 (`mp4v`), then H.264 (`avc1`); if this OpenCV build can
/// open neither, it falls back to Motion-JPEG in an `.avi` beside it — `path` is then the file actually
/// written and `fellBack` is true, so callers can say which. `.avi` writes Motion-JPEG directly.
public final class VideoWriter {
    /// The file being written (may differ from `requestedPath` after a fallback).
    public let path: String
    public let requestedPath: String
    /// The four-character codec in use ("mp4v", "avc1" or "MJPG").
    public let codec: String
    public let width: Int
    public let height: Int
    /// 3 for colour (BGR) frames, 1 for gray.
    public let channels: Int
    public let frameRate: Double
    public private(set) var framesWritten = 0
    private var handle: OpaquePointer?

    /// True when the requested container could not be written and an `.avi` was written instead.
    public var fellBack: Bool { path != requestedPath }

    public init(path: String, width: Int, height: Int, frameRate: Double, color: Bool = true) throws {
        try Image.validate(width: width, height: height, channels: color ? 3 : 1)
        guard frameRate > 0, frameRate.isFinite else {
            throw ReflexError(.invalidArgument, "video \(path): frame rate must be positive, got \(frameRate)")
        }
        try VideoWriter.checkDirectory(of: path)
        let ext = (path as NSString).pathExtension.lowercased()
        var attempts: [(path: String, codec: String)]
        switch ext {
        case "mp4", "m4v", "mov":
            let avi = ((path as NSString).deletingPathExtension as NSString).appendingPathExtension("avi") ?? path + ".avi"
            attempts = [(path, "mp4v"), (path, "avc1"), (avi, "MJPG")]
        case "avi":
            attempts = [(path, "MJPG")]
        default:
            throw ReflexError(.invalidArgument, "video \(path): unsupported extension '.\(ext)' (use .mp4 or .avi)")
        }
        var failures: [String] = []
        for attempt in attempts {
            if let h = rcv_writer_open(attempt.path, attempt.codec, frameRate, Int32(width), Int32(height), color ? 1 : 0) {
                handle = h
                self.path = attempt.path
                codec = attempt.codec
                requestedPath = path
                self.width = width
                self.height = height
                channels = color ? 3 : 1
                self.frameRate = frameRate
                return
            }
            failures.append("\(attempt.codec): \(lastOpenCVError())")
            // A failed attempt may leave an empty file behind.
            if let size = (try? FileManager.default.attributesOfItem(atPath: attempt.path))?[.size] as? NSNumber, size.intValue == 0 {
                try? FileManager.default.removeItem(atPath: attempt.path)
            }
        }
        throw ReflexError(.io, "video \(path): OpenCV cannot write it with any codec tried (\(failures.joined(separator: "; ")))")
    }

    deinit { close() }

    /// Appends `image`, which must have the video's size and channel count.
    public func write(_ image: Image) throws {
        guard let handle else { throw ReflexError(.io, "video \(path): already closed") }
        guard image.width == width, image.height == height, image.channels == channels else {
            throw ReflexError(
                .invalidArgument,
                "video \(path): frame is \(image.width)×\(image.height)×\(image.channels), the video is \(width)×\(height)×\(channels)")
        }
        // The shim only reads the frame; the view is mutable because the C type is shared with drawing.
        let status = image.pixels.withUnsafeBufferPointer { p in
            rcv_writer_write(handle, rcv_view(data: UnsafeMutablePointer(mutating: p.baseAddress), width: Int32(width), height: Int32(height), channels: Int32(channels)))
        }
        guard status == RCV_OK else { throw ReflexError(.io, "video \(path): \(lastOpenCVError())") }
        framesWritten += 1
    }

    /// Finishes the file (writes the container's index). Further writes throw; closing twice is harmless.
    public func close() {
        if let handle { rcv_writer_release(handle) }
        handle = nil
    }

    static func checkDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let dir = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReflexError(.io, "\(path): no such directory \(dir)")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else {
            throw ReflexError(.io, "\(path): permission denied (cannot write in \(dir))")
        }
    }
}

/// Reading and writing single image files (PNG is lossless; JPEG, BMP … follow the extension).
public enum ImageFile {
    /// Reads `path` as 8-bit gray (1 channel) or BGR (3), as stored; `channels` forces one or the other.
    public static func read(path: String, channels: Int? = nil) throws -> Image {
        if let channels, channels != 1 && channels != 3 {
            throw ReflexError(.invalidArgument, "\(path): an image is read with 1 or 3 channels, not \(channels)")
        }
        try VideoFileSource.checkFile(path)
        var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
        guard let handle = rcv_imread(path, &w, &h, &c) else {
            throw ReflexError(.io, "\(path): not an image OpenCV can decode")
        }
        defer { rcv_image_release(handle) }
        var image = try Image(width: Int(w), height: Int(h), channels: channels ?? (c == 1 ? 1 : 3))
        let (ww, hh, cc) = (w, h, Int32(image.channels))
        let status = image.pixels.withUnsafeMutableBufferPointer { p in
            rcv_image_copy(handle, rcv_view(data: p.baseAddress, width: ww, height: hh, channels: cc))
        }
        guard status == RCV_OK else { throw ReflexError(.io, "\(path): \(lastOpenCVError())") }
        return image
    }

    /// Writes `image` to `path`; the format follows the extension.
    public static func write(_ image: Image, path: String) throws {
        guard !image.isEmpty else { throw ReflexError(.invalidArgument, "\(path): cannot write an empty image") }
        try VideoWriter.checkDirectory(of: path)
        let status = image.pixels.withUnsafeBufferPointer { p in
            rcv_imwrite(path, rcv_view(data: UnsafeMutablePointer(mutating: p.baseAddress), width: Int32(image.width), height: Int32(image.height), channels: Int32(image.channels)))
        }
        guard status == RCV_OK else {
            throw ReflexError(.io, "\(path): \(lastOpenCVError()) (is the extension an image format, e.g. .png?)")
        }
    }
}
