import ReflexCore

/// An 8-bit image: `height` rows of `width` pixels, each `channels` bytes (1 gray, or 3 as blue, green, red),
/// stored contiguously row by row with no padding — the layout OpenCV calls `CV_8UC1`/`CV_8UC3`.
///
/// Pure Swift, so simulators can fill one without OpenCV. Camera sources reshape the image they read into
/// (`reshape`), which allocates only when the size changes.
public struct Image: Equatable, Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    /// 1 (gray) or 3 (BGR interleaved).
    public private(set) var channels: Int
    /// `height × width × channels` bytes, row-major, channels interleaved.
    public var pixels: [UInt8]

    /// A `width × height` image with every byte set to `value`. Throws for sizes ≤ 0 or channels other than 1 or 3.
    public init(width: Int, height: Int, channels: Int = 3, value: UInt8 = 0) throws {
        try Image.validate(width: width, height: height, channels: channels)
        self.width = width
        self.height = height
        self.channels = channels
        pixels = [UInt8](repeating: value, count: width * height * channels)
    }

    /// Wraps existing bytes; `pixels.count` must be `width × height × channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        try Image.validate(width: width, height: height, channels: channels)
        guard pixels.count == width * height * channels else {
            throw ReflexError(.invalidArgument, "image of \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An empty image (0×0), a placeholder for a buffer a source will reshape.
    public init() {
        width = 0
        height = 0
        channels = 3
        pixels = []
    }

    /// Bytes per row.
    public var rowBytes: Int { width * channels }
    public var isEmpty: Bool { width == 0 || height == 0 }

    /// The byte of channel `c` (0 blue, 1 green, 2 red; 0 for gray) at column `x`, row `y`.
    @inlinable
    public subscript(x: Int, y: Int, channel: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + channel] }
        set { pixels[(y * width + x) * channels + channel] = newValue }
    }

    /// The same byte, with labels (`image[x: 3, y: 2, channel: 0]`).
    @inlinable
    public subscript(x x: Int, y y: Int, channel channel: Int) -> UInt8 {
        get { self[x, y, channel] }
        set { self[x, y, channel] = newValue }
    }

    /// Gives the image this size and channel count, keeping the storage when it already fits (contents are
    /// then unspecified). Sources call this before filling the image.
    public mutating func reshape(width: Int, height: Int, channels: Int) throws {
        try Image.validate(width: width, height: height, channels: channels)
        let count = width * height * channels
        if pixels.count != count { pixels = [UInt8](repeating: 0, count: count) }
        self.width = width
        self.height = height
        self.channels = channels
    }

    /// Sets every pixel to `color` (gray images take its luminance).
    public mutating func fill(_ color: Color) {
        if channels == 1 {
            let v = color.luminance
            for i in pixels.indices { pixels[i] = v }
            return
        }
        pixels.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i < p.count {
                p[i] = color.b
                p[i + 1] = color.g
                p[i + 2] = color.r
                i += 3
            }
        }
    }

    static func validate(width: Int, height: Int, channels: Int) throws {
        guard width > 0, height > 0 else {
            throw ReflexError(.invalidArgument, "image size must be positive, got \(width)×\(height)")
        }
        guard channels == 1 || channels == 3 else {
            throw ReflexError(.invalidArgument, "an image has 1 (gray) or 3 (BGR) channels, got \(channels)")
        }
        guard width <= 1 << 15, height <= 1 << 15 else {
            throw ReflexError(.invalidArgument, "image of \(width)×\(height) is larger than 32768 pixels on a side")
        }
    }
}

/// An 8-bit colour. Stored blue, green, red like the image bytes.
public struct Color: Hashable, Sendable {
    public var b: UInt8
    public var g: UInt8
    public var r: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public init(gray: UInt8) { (r, g, b) = (gray, gray, gray) }

    /// ITU-R BT.601 luma, the same integer rule as `Preprocessor` (0.299 R + 0.587 G + 0.114 B, rounded).
    public var luminance: UInt8 { Preprocessor.luma(b: b, g: g, r: r) }

    public static let black = Color(gray: 0)
    public static let white = Color(gray: 255)
    public static let gray = Color(gray: 128)
    public static let red = Color(r: 230, g: 40, b: 40)
    public static let green = Color(r: 40, g: 200, b: 60)
    public static let blue = Color(r: 40, g: 90, b: 230)
    public static let yellow = Color(r: 240, g: 210, b: 40)
}
