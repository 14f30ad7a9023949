// The `camera:` block of a robot description: the camera's native frame, where it is mounted, and the
// preprocessing that turns its frames into a policy's observation. Decoded strictly, then checked into
// `CameraSpec`; every problem names the key path (`camera.mount.pitch`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct CameraFile: Decodable {
    var width: Int
    var height: Int
    var frameRate: Double
    var mount: MountFile
    var preprocessing: PreprocessingFile?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case width, height
        case frameRate = "frame_rate"
        case mount, preprocessing
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        frameRate = try c.decode(Double.self, forKey: .frameRate)
        mount = try c.decode(MountFile.self, forKey: .mount)
        preprocessing = try c.decodeIfPresent(PreprocessingFile.self, forKey: .preprocessing)
    }

    /// `camera.mount`: ahead of the axle [m], height above the floor [m], pitch down from horizontal [rad],
    /// horizontal field of view [rad].
    struct MountFile: Decodable {
        var forward: Double
        var height: Double
        var pitch: Double
        var fieldOfView: Double

        enum CodingKeys: String, CodingKey, CaseIterable {
            case forward, height, pitch
            case fieldOfView = "field_of_view"
        }

        init(from decoder: Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            forward = try c.decode(Double.self, forKey: .forward)
            height = try c.decode(Double.self, forKey: .height)
            pitch = try c.decode(Double.self, forKey: .pitch)
            fieldOfView = try c.decode(Double.self, forKey: .fieldOfView)
        }
    }

    /// `camera.preprocessing`; every key optional, defaults as `ImagePreprocessing.init`.
    struct PreprocessingFile: Decodable {
        var crop: CropFile?
        var width: Int?
        var height: Int?
        var grayscale: Bool?
        var scale: Double?
        var offset: Double?
        var frames: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case crop, width, height, grayscale, scale, offset, frames
        }

        init(from decoder: Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            crop = try c.decodeIfPresent(CropFile.self, forKey: .crop)
            width = try c.decodeIfPresent(Int.self, forKey: .width)
            height = try c.decodeIfPresent(Int.self, forKey: .height)
            grayscale = try c.decodeIfPresent(Bool.self, forKey: .grayscale)
            scale = try c.decodeIfPresent(Double.self, forKey: .scale)
            offset = try c.decodeIfPresent(Double.self, forKey: .offset)
            frames = try c.decodeIfPresent(Int.self, forKey: .frames)
        }
    }

    struct CropFile: Decodable {
        var x: Int, y: Int, width: Int, height: Int

        enum CodingKeys: String, CodingKey, CaseIterable {
            case x, y, width, height
        }

        init(from decoder: Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            x = try c.decode(Int.self, forKey: .x)
            y = try c.decode(Int.self, forKey: .y)
            width = try c.decode(Int.self, forKey: .width)
            height = try c.decode(Int.self, forKey: .height)
        }
    }

    /// Checks every value; throws `DescriptionIssue` naming the first bad one.
    func validated() throws -> CameraSpec {
        let sizes = 1...4096
        guard sizes.contains(width) else { throw DescriptionIssue("camera.width", "must be 1…4096 pixels, got \(width)") }
        guard sizes.contains(height) else { throw DescriptionIssue("camera.height", "must be 1…4096 pixels, got \(height)") }
        guard frameRate.isFinite, frameRate > 0 else {
            throw DescriptionIssue("camera.frame_rate", "must be > 0 frames per second, got \(formatNumber(frameRate))")
        }
        guard mount.forward.isFinite else {
            throw DescriptionIssue("camera.mount.forward", "must be a finite distance (m), got \(formatNumber(mount.forward))")
        }
        guard mount.height.isFinite, mount.height > 0 else {
            throw DescriptionIssue("camera.mount.height", "must be > 0 m above the floor, got \(formatNumber(mount.height))")
        }
        guard mount.pitch.isFinite, mount.pitch > 0, mount.pitch <= Double.pi / 2 + 1e-12 else {
            throw DescriptionIssue(
                "camera.mount.pitch", "must be > 0 and ≤ π/2 rad down from horizontal (the camera sees the floor), got \(formatNumber(mount.pitch))")
        }
        guard mount.fieldOfView.isFinite, mount.fieldOfView > 0, mount.fieldOfView < 3.0 else {
            throw DescriptionIssue(
                "camera.mount.field_of_view", "must be > 0 and < 3 rad (horizontal), got \(formatNumber(mount.fieldOfView))")
        }
        var pre = ImagePreprocessing()
        if let p = preprocessing {
            if let crop = p.crop {
                let path = "camera.preprocessing.crop"
                guard crop.x >= 0, crop.y >= 0, crop.width > 0, crop.height > 0,
                      crop.x + crop.width <= width, crop.y + crop.height <= height
                else {
                    throw DescriptionIssue(
                        path,
                        "x \(crop.x), y \(crop.y), width \(crop.width), height \(crop.height) must lie inside the \(width)×\(height) frame with a positive size")
                }
                pre.crop = ImagePreprocessing.Crop(x: crop.x, y: crop.y, width: crop.width, height: crop.height)
            }
            let outputs = 1...1024
            if let w = p.width {
                guard outputs.contains(w) else { throw DescriptionIssue("camera.preprocessing.width", "must be 1…1024 pixels, got \(w)") }
                pre.width = w
            }
            if let h = p.height {
                guard outputs.contains(h) else { throw DescriptionIssue("camera.preprocessing.height", "must be 1…1024 pixels, got \(h)") }
                pre.height = h
            }
            if let g = p.grayscale { pre.grayscale = g }
            if let s = p.scale {
                guard s.isFinite, s != 0 else {
                    throw DescriptionIssue("camera.preprocessing.scale", "must be a finite non-zero number, got \(formatNumber(s))")
                }
                pre.scale = Float(s)
            }
            if let o = p.offset {
                guard o.isFinite else { throw DescriptionIssue("camera.preprocessing.offset", "must be finite, got \(formatNumber(o))") }
                pre.offset = Float(o)
            }
            if let f = p.frames {
                guard (1...16).contains(f) else { throw DescriptionIssue("camera.preprocessing.frames", "must be 1…16 frames, got \(f)") }
                pre.frames = f
            }
        }
        return CameraSpec(
            width: width, height: height, frameRate: frameRate, forward: mount.forward, height_m: mount.height,
            pitch: mount.pitch, fieldOfView: mount.fieldOfView, preprocessing: pre)
    }
}
