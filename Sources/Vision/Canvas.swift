import COpenCV
import ReflexCore

/// A point in pixel coordinates: x to the right, y down, pixel centres at whole numbers.
public struct Point: Hashable, Sendable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
    public init(_ x: Double, _ y: Double) { self.init(x: x, y: y) }
}

/// Draws overlays and shapes onto an `Image` in place (OpenCV's drawing functions, sub-pixel coordinates).
///
/// Drawing never fails: shapes are clipped to the image, and a shape with a non-finite coordinate or a
/// non-positive size draws nothing. Text is ASCII in OpenCV's Hershey simplex font; other characters
/// are drawn as `?`.
///
/// ```swift
/// image.draw { canvas in
///     canvas.rectangle(from: Point(0, 0), to: Point(120, 16), color: .black, filled: true)
///     canvas.text("step 12", at: Point(2, 12), color: .white)
/// }
/// ```
public struct Canvas {
    public var image: Image
    /// Smooth (anti-aliased) edges; off draws hard 8-connected edges (exactly reproducible pixels).
    public var antialiased: Bool

    public init(_ image: Image, antialiased: Bool = true) {
        self.image = image
        self.antialiased = antialiased
    }

    /// A canvas over a new image filled with `background`.
    public init(width: Int, height: Int, background: Color = .black, antialiased: Bool = true) throws {
        var image = try Image(width: width, height: height, channels: 3)
        image.fill(background)
        self.init(image, antialiased: antialiased)
    }

    public mutating func line(from a: Point, to b: Point, color: Color, thickness: Int = 1) {
        guard let (x0, y0) = fixed(a), let (x1, y1) = fixed(b) else { return }
        let t = Int32(clampThickness(thickness))
        let aa = Int32(antialiased ? 1 : 0)
        let c = cvColor(color)
        withView { _ = rcv_draw_line($0, x0, y0, x1, y1, c, t, aa) }
    }

    /// A polyline through `points` (closed when `closed`).
    public mutating func polyline(_ points: [Point], color: Color, thickness: Int = 1, closed: Bool = false) {
        guard points.count >= 2 else { return }
        for i in 1..<points.count { line(from: points[i - 1], to: points[i], color: color, thickness: thickness) }
        if closed, let first = points.first, let last = points.last { line(from: last, to: first, color: color, thickness: thickness) }
    }

    /// The axis-aligned rectangle with corners `a` and `b` (both inclusive).
    public mutating func rectangle(from a: Point, to b: Point, color: Color, thickness: Int = 1, filled: Bool = false) {
        guard let (x0, y0) = fixed(a), let (x1, y1) = fixed(b) else { return }
        let t = filled ? -1 : Int32(clampThickness(thickness))
        let aa = Int32(antialiased ? 1 : 0)
        let c = cvColor(color)
        withView { _ = rcv_draw_rectangle($0, x0, y0, x1, y1, c, t, aa) }
    }

    public mutating func circle(center: Point, radius: Double, color: Color, thickness: Int = 1, filled: Bool = false) {
        guard let (cx, cy) = fixed(center), radius.isFinite, radius > 0, radius < 1e6 else { return }
        let r = Int32((radius * Double(1 << RCV_SHIFT)).rounded())
        let t = filled ? -1 : Int32(clampThickness(thickness))
        let aa = Int32(antialiased ? 1 : 0)
        let c = cvColor(color)
        withView { _ = rcv_draw_circle($0, cx, cy, r, c, t, aa) }
    }

    /// Fills the polygon with these vertices (in order; self-intersecting polygons fill by OpenCV's rule).
    public mutating func fillPolygon(_ points: [Point], color: Color) {
        guard points.count >= 3 else { return }
        var xy = [Int32]()
        xy.reserveCapacity(points.count * 2)
        for p in points {
            guard let (x, y) = fixed(p) else { return }
            xy.append(x)
            xy.append(y)
        }
        let aa = Int32(antialiased ? 1 : 0)
        let c = cvColor(color)
        withView { view in
            xy.withUnsafeBufferPointer { _ = rcv_fill_polygon(view, $0.baseAddress, Int32(points.count), c, aa) }
        }
    }

    /// Draws `string` with the left end of its baseline at `origin`; `scale` 1 is about 22 pixels tall.
    public mutating func text(_ string: String, at origin: Point, color: Color, scale: Double = 0.5, thickness: Int = 1) {
        guard origin.x.isFinite, origin.y.isFinite, abs(origin.x) < 1e6, abs(origin.y) < 1e6, scale.isFinite, scale > 0 else { return }
        let ascii = Canvas.ascii(string)
        let t = Int32(clampThickness(thickness))
        let aa = Int32(antialiased ? 1 : 0)
        let c = cvColor(color)
        withView { view in
            _ = rcv_draw_text(view, ascii, Int32(origin.x.rounded()), Int32(origin.y.rounded()), scale, c,
                              t, aa)
        }
    }

    /// Width and height above the baseline of `string` as `text` would draw it, and the descent below.
    public static func textSize(_ string: String, scale: Double = 0.5, thickness: Int = 1) -> (width: Int, height: Int, baseline: Int) {
        guard scale.isFinite, scale > 0 else { return (0, 0, 0) }
        var w: Int32 = 0, h: Int32 = 0, b: Int32 = 0
        _ = rcv_text_size(ascii(string), scale, Int32(max(1, min(thickness, 50))), &w, &h, &b)
        return (Int(w), Int(h), Int(b))
    }

    // MARK: helpers

    private func clampThickness(_ t: Int) -> Int { max(1, min(t, 255)) }

    private func cvColor(_ c: Color) -> rcv_color {
        if image.channels == 1 { let v = Double(c.luminance); return rcv_color(b: v, g: v, r: v) }
        return rcv_color(b: Double(c.b), g: Double(c.g), r: Double(c.r))
    }

    /// Fixed point with RCV_SHIFT fractional bits; nil for coordinates that are not finite or absurdly far.
    private func fixed(_ p: Point) -> (Int32, Int32)? {
        guard p.x.isFinite, p.y.isFinite, abs(p.x) < 1e6, abs(p.y) < 1e6 else { return nil }
        let s = Double(1 << RCV_SHIFT)
        return (Int32((p.x * s).rounded()), Int32((p.y * s).rounded()))
    }

    private static func ascii(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.isASCII && $0.value >= 32 ? $0 : "?" }))
    }

    private mutating func withView(_ body: (rcv_view) -> Void) {
        guard !image.isEmpty else { return }
        let (w, h, c) = (Int32(image.width), Int32(image.height), Int32(image.channels))
        image.pixels.withUnsafeMutableBufferPointer { p in
            body(rcv_view(data: p.baseAddress, width: w, height: h, channels: c))
        }
    }
}

extension Image {
    /// Draws on this image in place (no copy of the pixels).
    public mutating func draw(antialiased: Bool = true, _ body: (inout Canvas) throws -> Void) rethrows {
        var canvas = Canvas(self, antialiased: antialiased)
        self = Image()  // hand the pixel storage to the canvas so drawing does not copy it
        defer { self = canvas.image }
        try body(&canvas)
    }
}
