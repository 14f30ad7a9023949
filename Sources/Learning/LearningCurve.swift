import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Draws a learning curve — return against environment steps (left) and against wall seconds (right) —
/// into an RGB pixel buffer and encodes it as PNG. Axes, ticks and labels use a built-in 3×5 pixel font.
public struct LearningCurve {
    /// (env steps, wall seconds, return)
    public var points: [(steps: Double, seconds: Double, value: Double)]
    /// A horizontal reference line (the solved threshold), if any.
    public var target: Double?
    public var title: String

    public init(points: [(steps: Double, seconds: Double, value: Double)], target: Double?, title: String) {
        self.points = points
        self.target = target
        self.title = title
    }

    public static let panelWidth = 420
    public static let height = 320

    /// The PNG bytes (840 × 320).
    public func png() -> [UInt8] {
        var canvas = Canvas(width: 2 * Self.panelWidth, height: Self.height)
        canvas.text(title, x: 8, y: 6, color: Canvas.black, scale: 2)
        drawPanel(&canvas, originX: 0, xs: points.map(\.steps), xLabel: "env steps")
        drawPanel(&canvas, originX: Self.panelWidth, xs: points.map(\.seconds), xLabel: "wall s")
        return PNG.encode(width: canvas.width, height: canvas.height, rgb: canvas.pixels)
    }

    private func drawPanel(_ c: inout Canvas, originX: Int, xs: [Double], xLabel: String) {
        let left = originX + 64, right = originX + Self.panelWidth - 16
        let top = 30, bottom = Self.height - 40
        let ys = points.map(\.value) + (target.map { [$0] } ?? [])
        var (yMin, yMax) = (ys.min() ?? 0, ys.max() ?? 1)
        if yMax - yMin < 1e-9 { yMin -= 1; yMax += 1 }
        let pad = 0.05 * (yMax - yMin)
        yMin -= pad; yMax += pad
        let xMin = 0.0, xMax = max(xs.max() ?? 1, 1e-9)
        func px(_ x: Double) -> Int { left + Int((x - xMin) / (xMax - xMin) * Double(right - left)) }
        func py(_ y: Double) -> Int { bottom - Int((y - yMin) / (yMax - yMin) * Double(bottom - top)) }

        // Grid, ticks and labels.
        for k in 0...4 {
            let yv = yMin + (yMax - yMin) * Double(k) / 4
            let y = py(yv)
            c.line(left, y, right, y, color: Canvas.grid)
            let label = Canvas.format(yv)
            c.text(label, x: left - 6 - 8 * label.count, y: y - 5, color: Canvas.black, scale: 2)
            let xv = xMin + (xMax - xMin) * Double(k) / 4
            let x = px(xv)
            c.line(x, top, x, bottom, color: Canvas.grid)
            let xl = Canvas.format(xv)
            c.text(xl, x: x - 4 * xl.count, y: bottom + 6, color: Canvas.black, scale: 2)
        }
        c.line(left, bottom, right, bottom, color: Canvas.black)
        c.line(left, top, left, bottom, color: Canvas.black)
        c.text(xLabel, x: (left + right) / 2 - 4 * xLabel.count, y: bottom + 22, color: Canvas.black, scale: 2)
        c.text("return", x: originX + 4, y: top - 11, color: Canvas.black, scale: 2)

        if let target {
            let y = py(target)
            var x = left
            while x < right {
                c.line(x, y, min(x + 6, right), y, color: Canvas.green)
                x += 12
            }
        }
        for i in 1..<max(points.count, 1) {
            c.line(px(xs[i - 1]), py(points[i - 1].value), px(xs[i]), py(points[i].value), color: Canvas.blue, thick: true)
        }
        if points.count == 1 { c.line(px(xs[0]) - 2, py(points[0].value), px(xs[0]) + 2, py(points[0].value), color: Canvas.blue, thick: true) }
    }
}

/// An RGB pixel buffer with lines and text.
struct Canvas {
    let width: Int
    let height: Int
    var pixels: [UInt8]

    static let black: (UInt8, UInt8, UInt8) = (20, 20, 20)
    static let grid: (UInt8, UInt8, UInt8) = (225, 225, 225)
    static let blue: (UInt8, UInt8, UInt8) = (31, 119, 180)
    static let green: (UInt8, UInt8, UInt8) = (44, 160, 44)

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = Array(repeating: 255, count: width * height * 3)
    }

    mutating func set(_ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.0; pixels[i + 1] = color.1; pixels[i + 2] = color.2
    }

    /// Bresenham's line; `thick` draws it 2 pixels wide.
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, color: (UInt8, UInt8, UInt8), thick: Bool = false) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            set(x, y, color)
            if thick { set(x, y + 1, color); set(x + 1, y, color) }
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Draws `text` in the 3×5 font, each font pixel `scale` × `scale`, advancing 4 font pixels per glyph.
    mutating func text(_ text: String, x: Int, y: Int, color: (UInt8, UInt8, UInt8), scale: Int) {
        var cursor = x
        for ch in text {
            if let rows = Self.font[ch] {
                for (r, bits) in rows.enumerated() {
                    for col in 0..<3 where bits & (4 >> col) != 0 {
                        for a in 0..<scale { for b in 0..<scale { set(cursor + col * scale + a, y + r * scale + b, color) } }
                    }
                }
            }
            cursor += 4 * scale
        }
    }

    /// A short tick label: 1.2k, 35k, 1.5M, -200, 0.25.
    static func format(_ v: Double) -> String {
        let a = abs(v)
        func trim(_ s: String) -> String {
            var s = s
            if s.contains(".") { while s.hasSuffix("0") { s.removeLast() }; if s.hasSuffix(".") { s.removeLast() } }
            return s == "-0" ? "0" : s
        }
        if a >= 1e6 { return trim(String(format: "%.1f", v / 1e6)) + "M" }
        if a >= 1e4 { return trim(String(format: "%.0f", v / 1e3)) + "k" }
        if a >= 1e3 { return trim(String(format: "%.1f", v / 1e3)) + "k" }
        if a >= 10 { return trim(String(format: "%.0f", v)) }
        return trim(String(format: "%.2f", v))
    }

    /// 3×5 glyphs, one 3-bit row each (bit 2 is the left column).
    static let font: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        "-": [0, 0, 7, 0, 0], ".": [0, 0, 0, 0, 2], ":": [0, 2, 0, 2, 0], "/": [1, 1, 2, 4, 4], "(": [2, 4, 4, 4, 2],
        ")": [2, 1, 1, 1, 2], "=": [0, 7, 0, 7, 0], " ": [0, 0, 0, 0, 0], "k": [4, 5, 6, 5, 5], "M": [5, 7, 7, 5, 5],
        "a": [0, 3, 5, 5, 3], "b": [4, 6, 5, 5, 6], "c": [0, 3, 4, 4, 3], "d": [1, 3, 5, 5, 3], "e": [2, 5, 7, 4, 3],
        "g": [3, 5, 3, 1, 6], "h": [4, 6, 5, 5, 5], "i": [2, 0, 2, 2, 2], "l": [6, 2, 2, 2, 7], "m": [0, 7, 7, 5, 5],
        "n": [0, 6, 5, 5, 5], "o": [0, 2, 5, 5, 2], "p": [0, 6, 5, 6, 4], "r": [0, 5, 6, 4, 4], "s": [0, 3, 6, 3, 6],
        "t": [2, 7, 2, 2, 3], "u": [0, 5, 5, 5, 3], "v": [0, 5, 5, 5, 2], "w": [0, 5, 5, 7, 5], "y": [0, 5, 3, 1, 6],
        "f": [3, 4, 6, 4, 4], "S": [3, 4, 2, 1, 6], "A": [2, 5, 7, 5, 5], "C": [3, 4, 4, 4, 3], "P": [6, 5, 6, 4, 4],
        "O": [2, 5, 5, 5, 2],
    ]
}
