import ReflexCore

/// The one implementation of `ImagePreprocessing`: camera frame → policy observation, used by training
/// (rendered frames) and deployment (camera frames) alike, so both see bit-identical values.
///
/// Pure Swift integer arithmetic, the same on every machine; no OpenCV. The steps, exactly:
/// 1. **Crop** to `spec.crop` (source pixels), or keep the whole frame.
/// 2. **Resize** the `n`-pixel crop axis to `m` output pixels by area averaging, on each axis: output pixel
///    `j` covers the source interval `[j·n/m, (j+1)·n/m)`, each source pixel `i` weighs its overlap with it
///    (an integer in units of 1/m pixel: `max(0, min((j+1)·n, (i+1)·m) − max(j·n, i·m))`); the weighted
///    sum over both axes is divided by `n_x·n_y` and rounded half up. Shrinking by a whole factor is the
///    plain box mean; enlarging spreads each source pixel over the output pixels it covers (pixel mixing).
/// 3. **Grayscale** (if asked, from 3 channels): ITU-R BT.601 luma `(299·R + 587·G + 114·B + 500) / 1000`
///    in integers. A gray source feeding a colour spec repeats its value in all three channels.
/// 4. **Normalize**: each 8-bit value `v` becomes `Float(v) * scale + offset`.
/// 5. **Frame stack**: the observation is `frames` frames, newest first, each channel-major (CHW; colour
///    channels in the image's blue, green, red order). After `reset()` the first frame fills every slot,
///    as `Simulation.FrameStack` does.
///
/// `process` writes into a caller-owned buffer and allocates nothing (all scratch is sized at init).
public struct Preprocessor {
    public let spec: ImagePreprocessing
    /// The frame size this preprocessor takes (the camera's native size).
    public let sourceWidth: Int
    public let sourceHeight: Int
    /// Floats in one preprocessed frame: `channelsPerFrame × height × width`.
    public var frameValueCount: Int { spec.channelsPerFrame * spec.height * spec.width }
    /// Floats in one observation: `frames × frameValueCount` (= `spec.observationCount`).
    public var observationCount: Int { spec.observationCount }

    private let cropX: Int, cropY: Int, cropWidth: Int, cropHeight: Int
    /// Per output column (row): first source column (row) relative to the crop, tap count, offset into the weights.
    private let xSpans: [Int], xWeights: [Int]
    private let ySpans: [Int], yWeights: [Int]
    /// `Float(v) * scale + offset` for v in 0…255.
    private let table: [Float]
    /// Horizontal pass: `cropHeight × width × 3` weighted sums.
    private var rows: [Int]
    /// One resized frame, 8-bit, CHW.
    private var bytes: [UInt8]
    /// Ring of `frames` normalized frames; `head` holds the newest.
    private var stack: [Float]
    private var head = 0
    private var filled = false

    public init(_ spec: ImagePreprocessing, sourceWidth: Int, sourceHeight: Int) throws {
        try Preprocessor.validate(spec, sourceWidth: sourceWidth, sourceHeight: sourceHeight)
        self.spec = spec
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        let crop = spec.crop ?? ImagePreprocessing.Crop(x: 0, y: 0, width: sourceWidth, height: sourceHeight)
        (cropX, cropY, cropWidth, cropHeight) = (crop.x, crop.y, crop.width, crop.height)
        (xSpans, xWeights) = Preprocessor.taps(source: crop.width, output: spec.width)
        (ySpans, yWeights) = Preprocessor.taps(source: crop.height, output: spec.height)
        table = (0..<256).map { Float($0) * spec.scale + spec.offset }
        rows = [Int](repeating: 0, count: crop.height * spec.width * 3)
        bytes = [UInt8](repeating: 0, count: spec.channelsPerFrame * spec.height * spec.width)
        stack = [Float](repeating: 0, count: spec.observationCount)
    }

    /// Checks a spec against a source frame size; throws naming the first problem.
    public static func validate(_ spec: ImagePreprocessing, sourceWidth: Int, sourceHeight: Int) throws {
        func fail(_ message: String) -> ReflexError { ReflexError(.invalidArgument, "image preprocessing: \(message)") }
        guard sourceWidth > 0, sourceHeight > 0 else { throw fail("camera frame size must be positive, got \(sourceWidth)×\(sourceHeight)") }
        guard spec.width > 0, spec.height > 0 else { throw fail("output size must be positive, got \(spec.width)×\(spec.height)") }
        guard spec.width <= 4096, spec.height <= 4096 else { throw fail("output size \(spec.width)×\(spec.height) is larger than 4096 on a side") }
        guard spec.frames >= 1 else { throw fail("frames must be at least 1, got \(spec.frames)") }
        guard spec.frames <= 64 else { throw fail("frames must be at most 64, got \(spec.frames)") }
        guard spec.scale.isFinite, spec.offset.isFinite else { throw fail("scale and offset must be finite, got \(spec.scale) and \(spec.offset)") }
        if let c = spec.crop {
            guard c.width > 0, c.height > 0 else { throw fail("crop size must be positive, got \(c.width)×\(c.height)") }
            guard c.x >= 0, c.y >= 0, c.x + c.width <= sourceWidth, c.y + c.height <= sourceHeight else {
                throw fail("crop columns \(c.x)..<\(c.x + c.width), rows \(c.y)..<\(c.y + c.height) lie outside the \(sourceWidth)×\(sourceHeight) camera frame")
            }
        }
    }

    /// Forgets the stacked frames (a new episode): the next frame fills every slot.
    public mutating func reset() { filled = false }

    /// Preprocesses `image`, pushes it onto the frame stack and writes the whole observation
    /// (`observationCount` floats, newest frame first) into `observation`. Allocates nothing.
    public mutating func process(_ image: Image, into observation: UnsafeMutableBufferPointer<Float>) throws {
        guard observation.count >= observationCount else {
            throw ReflexError(.invalidArgument, "image preprocessing: observation buffer holds \(observation.count) floats, needs \(observationCount)")
        }
        try push(image)
        writeStack(into: observation)
    }

    /// `process` into an array (resized to `observationCount` if needed).
    public mutating func process(_ image: Image, into observation: inout [Float]) throws {
        if observation.count != observationCount { observation = [Float](repeating: 0, count: observationCount) }
        try observation.withUnsafeMutableBufferPointer { try process(image, into: $0) }
    }

    /// Preprocesses `image` onto the frame stack without writing the observation.
    public mutating func push(_ image: Image) throws {
        try resize(image)
        let n = frameValueCount
        let frames = spec.frames
        let slot = filled ? (head + 1) % frames : 0
        table.withUnsafeBufferPointer { t in
            bytes.withUnsafeBufferPointer { b in
                stack.withUnsafeMutableBufferPointer { s in
                    let base = s.baseAddress! + slot * n
                    for i in 0..<n { base[i] = t[Int(b[i])] }
                    if !filled {
                        for f in 1..<max(frames, 1) { (s.baseAddress! + f * n).update(from: base, count: n) }
                    }
                }
            }
        }
        head = slot
        filled = true
    }

    /// Writes the current stack (newest first) into `observation` without pushing a frame; zeros before the
    /// first frame.
    public func writeStack(into observation: UnsafeMutableBufferPointer<Float>) {
        let n = frameValueCount
        let frames = spec.frames
        guard observation.count >= frames * n, let out = observation.baseAddress else { return }
        stack.withUnsafeBufferPointer { s in
            for f in 0..<frames {
                let slot = (head - f + frames) % frames
                (out + f * n).update(from: s.baseAddress! + slot * n, count: n)
            }
        }
    }

    /// One frame through crop, resize and grayscale, as 8-bit CHW values (`frameValueCount` bytes), before
    /// normalization — for storing frames compactly. Does not touch the stack.
    public mutating func frameBytes(_ image: Image, into output: UnsafeMutableBufferPointer<UInt8>) throws {
        guard output.count >= frameValueCount else {
            throw ReflexError(.invalidArgument, "image preprocessing: frame buffer holds \(output.count) bytes, needs \(frameValueCount)")
        }
        try resize(image)
        bytes.withUnsafeBufferPointer { b in output.baseAddress!.update(from: b.baseAddress!, count: b.count) }
    }

    /// The normalized value of an 8-bit value (`Float(v) * scale + offset`).
    public func normalized(_ v: UInt8) -> Float { table[Int(v)] }

    /// BT.601 luma in integers: `(299·R + 587·G + 114·B + 500) / 1000`.
    @inlinable
    public static func luma(b: UInt8, g: UInt8, r: UInt8) -> UInt8 {
        let red: Int = 299 * Int(r)
        let green: Int = 587 * Int(g)
        let blue: Int = 114 * Int(b)
        return UInt8((red + green + blue + 500) / 1000)
    }

    // MARK: the resize

    /// Crop + area resize (+ grayscale) of `image` into `bytes` (CHW).
    private mutating func resize(_ image: Image) throws {
        guard image.width == sourceWidth, image.height == sourceHeight else {
            throw ReflexError(
                .invalidArgument,
                "image preprocessing: frame is \(image.width)×\(image.height), expected the camera's \(sourceWidth)×\(sourceHeight)")
        }
        let geometry = Geometry(
            sourceWidth: sourceWidth, channels: image.channels, cropX: cropX, cropY: cropY, cropWidth: cropWidth,
            cropHeight: cropHeight, outWidth: spec.width, outHeight: spec.height, grayscale: spec.grayscale)
        image.pixels.withUnsafeBufferPointer { (px: UnsafeBufferPointer<UInt8>) -> Void in
            rows.withUnsafeMutableBufferPointer { (r: inout UnsafeMutableBufferPointer<Int>) -> Void in
                Preprocessor.horizontal(px.baseAddress!, into: r.baseAddress!, spans: xSpans, weights: xWeights, geometry)
            }
        }
        rows.withUnsafeBufferPointer { (r: UnsafeBufferPointer<Int>) -> Void in
            bytes.withUnsafeMutableBufferPointer { (out: inout UnsafeMutableBufferPointer<UInt8>) -> Void in
                Preprocessor.vertical(r.baseAddress!, into: out.baseAddress!, spans: ySpans, weights: yWeights, geometry)
            }
        }
    }

    struct Geometry {
        var sourceWidth: Int, channels: Int, cropX: Int, cropY: Int, cropWidth: Int, cropHeight: Int
        var outWidth: Int, outHeight: Int, grayscale: Bool
    }

    /// Every crop row → `outWidth` weighted sums per channel (3 per column; a gray source repeats its sum).
    private static func horizontal(
        _ px: UnsafePointer<UInt8>, into rows: UnsafeMutablePointer<Int>, spans: [Int], weights: [Int], _ g: Geometry
    ) {
        spans.withUnsafeBufferPointer { (sp: UnsafeBufferPointer<Int>) -> Void in
            weights.withUnsafeBufferPointer { (w: UnsafeBufferPointer<Int>) -> Void in
                let inC = g.channels
                let rowStride = g.outWidth * 3
                for y in 0..<g.cropHeight {
                    let src = px + ((g.cropY + y) * g.sourceWidth + g.cropX) * inC
                    let dst = rows + y * rowStride
                    for j in 0..<g.outWidth {
                        let first = sp[3 * j], count = sp[3 * j + 1], off = sp[3 * j + 2]
                        var s0 = 0, s1 = 0, s2 = 0
                        if inC == 3 {
                            for k in 0..<count {
                                let weight = w[off + k]
                                let p = src + (first + k) * 3
                                s0 += weight * Int(p[0])
                                s1 += weight * Int(p[1])
                                s2 += weight * Int(p[2])
                            }
                        } else {
                            for k in 0..<count { s0 += w[off + k] * Int(src[first + k]) }
                            s1 = s0
                            s2 = s0
                        }
                        dst[j * 3] = s0
                        dst[j * 3 + 1] = s1
                        dst[j * 3 + 2] = s2
                    }
                }
            }
        }
    }

    /// Weighted sums down the columns, divided by the footprint area (rounded half up), then grayscale, into CHW bytes.
    private static func vertical(
        _ rows: UnsafePointer<Int>, into out: UnsafeMutablePointer<UInt8>, spans: [Int], weights: [Int], _ g: Geometry
    ) {
        spans.withUnsafeBufferPointer { (sp: UnsafeBufferPointer<Int>) -> Void in
            weights.withUnsafeBufferPointer { (w: UnsafeBufferPointer<Int>) -> Void in
                let rowStride = g.outWidth * 3
                let denominator = g.cropWidth * g.cropHeight
                let half = denominator / 2
                let plane = g.outWidth * g.outHeight
                let grayFromColor = g.grayscale && g.channels == 3
                for i in 0..<g.outHeight {
                    let first = sp[3 * i], count = sp[3 * i + 1], off = sp[3 * i + 2]
                    for j in 0..<g.outWidth {
                        var s0 = 0, s1 = 0, s2 = 0
                        for k in 0..<count {
                            let weight = w[off + k]
                            let p = rows + (first + k) * rowStride + j * 3
                            s0 += weight * p[0]
                            s1 += weight * p[1]
                            s2 += weight * p[2]
                        }
                        let b = UInt8((s0 + half) / denominator)
                        let at = i * g.outWidth + j
                        if g.grayscale {
                            out[at] = grayFromColor
                                ? luma(b: b, g: UInt8((s1 + half) / denominator), r: UInt8((s2 + half) / denominator)) : b
                        } else {
                            out[at] = b
                            out[plane + at] = UInt8((s1 + half) / denominator)
                            out[2 * plane + at] = UInt8((s2 + half) / denominator)
                        }
                    }
                }
            }
        }
    }

    /// Area-averaging taps for one axis of `source` pixels → `output` pixels (see the type's comment):
    /// `spans` holds (first source pixel, tap count, offset into `weights`) per output pixel.
    static func taps(source n: Int, output m: Int) -> (spans: [Int], weights: [Int]) {
        var spans = [Int](), weights = [Int]()
        for j in 0..<m {
            let lo = j * n, hi = (j + 1) * n  // output pixel j in units of 1/m source pixel
            let i0 = lo / m, i1 = min((hi + m - 1) / m, n)  // source pixels overlapping it: i0..<i1
            var first = i0, count = 0
            let offset = weights.count
            for i in i0..<i1 {
                let w = min(hi, (i + 1) * m) - max(lo, i * m)
                guard w > 0 else { continue }
                if count == 0 { first = i }
                weights.append(w)
                count += 1
            }
            spans += [first, count, offset]
        }
        return (spans, weights)
    }
}
