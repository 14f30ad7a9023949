/// How raw camera frames become a policy's observation: crop, resize, grayscale, normalization and frame
/// stack, in that order. Declared in a robot description's `camera.preprocessing` block and recorded in
/// every policy file trained from pixels, so training and deployment run the same pipeline
/// (`Vision.Preprocessor` is the one implementation).
public struct ImagePreprocessing: Codable, Hashable, Sendable {
    /// A rectangle in source pixels: columns `x..<x+width`, rows `y..<y+height`.
    public struct Crop: Codable, Hashable, Sendable {
        public var x: Int, y: Int, width: Int, height: Int
        public init(x: Int, y: Int, width: Int, height: Int) {
            (self.x, self.y, self.width, self.height) = (x, y, width, height)
        }
    }

    /// Applied first, in the camera's native pixels; nil keeps the whole frame.
    public var crop: Crop?
    /// Output size in pixels after resizing (area averaging when shrinking).
    public var width: Int
    public var height: Int
    /// Convert to one luminance channel (ITU-R BT.601 weights) before normalizing.
    public var grayscale: Bool
    /// Each 8-bit value v becomes `Float(v) * scale + offset` (default: 0…255 → 0…1).
    public var scale: Float
    public var offset: Float
    /// Frames stacked per observation, newest first (1 = no stack).
    public var frames: Int

    public init(
        crop: Crop? = nil, width: Int = 64, height: Int = 64, grayscale: Bool = true,
        scale: Float = 1.0 / 255.0, offset: Float = 0, frames: Int = 1
    ) {
        self.crop = crop
        self.width = width
        self.height = height
        self.grayscale = grayscale
        self.scale = scale
        self.offset = offset
        self.frames = frames
    }

    /// Channels per frame after preprocessing (1 grayscale, 3 colour).
    public var channelsPerFrame: Int { grayscale ? 1 : 3 }
    /// Floats in one observation: `frames × channelsPerFrame × height × width`, laid out channel-major
    /// (CHW, the layout `Conv2D` reads), frames newest first.
    public var observationCount: Int { frames * channelsPerFrame * height * width }
}

/// A camera mounted on a robot (the robot description's `camera:` block): its native image and where it
/// looks. The simulator's renderer draws what this camera would see; on a robot a `CameraSource` supplies it.
public struct CameraSpec: Codable, Hashable, Sendable {
    /// Native frame size in pixels and rate in frames per second.
    public var width: Int
    public var height: Int
    public var frameRate: Double
    /// Camera pose on the robot: ahead of the axle [m], height above the floor [m], pitch down from
    /// horizontal [rad] (π/2 looks straight down), and horizontal field of view [rad].
    public var forward: Double
    public var height_m: Double
    public var pitch: Double
    public var fieldOfView: Double
    public var preprocessing: ImagePreprocessing

    public init(
        width: Int, height: Int, frameRate: Double, forward: Double, height_m: Double, pitch: Double,
        fieldOfView: Double, preprocessing: ImagePreprocessing
    ) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.forward = forward
        self.height_m = height_m
        self.pitch = pitch
        self.fieldOfView = fieldOfView
        self.preprocessing = preprocessing
    }
}

extension ImagePreprocessing {
    /// The observation a pixel policy reads, as channels: one per preprocessed value, named
    /// `camera[f,c,y,x]` (frame newest first, channel, row, column), in observation order, with the range
    /// the normalization maps 0…255 onto. A camera policy file lists exactly these as its sensor channels,
    /// and a camera-backed device reports them, so the control loop's channel check covers pixel policies too.
    public var observationChannels: [ChannelSpec] {
        let low = Double(offset), high = Double(255 * scale + offset)
        var channels: [ChannelSpec] = []
        channels.reserveCapacity(observationCount)
        for f in 0..<frames {
            for c in 0..<channelsPerFrame {
                for y in 0..<height {
                    for x in 0..<width {
                        channels.append(ChannelSpec(name: "camera[\(f),\(c),\(y),\(x)]", unit: "1", min: Swift.min(low, high), max: Swift.max(low, high)))
                    }
                }
            }
        }
        return channels
    }
}
