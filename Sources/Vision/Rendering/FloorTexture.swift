import ReflexCore
import Simulation
#if canImport(Glibc)
import Glibc
#endif

/// How the floor under a line-following robot looks: reflectances, illumination and texture.
public struct FloorAppearance: Sendable, Equatable {
    /// Fraction of light returned by the floor and by the tape (0…1).
    public var floorReflectance: Double
    public var lineReflectance: Double
    /// Illumination: 1 maps reflectance 1 to pixel value 255.
    public var lightLevel: Double
    /// Relative change of illumination from one side of the track to the other, along `gradientAngle` (rad).
    public var lightGradient: Double
    public var gradientAngle: Double
    /// Contrast of the floor's blotches and grain, relative to the floor's value (0: a uniform floor).
    public var texture: Double

    public init(
        floorReflectance: Double = 0.85, lineReflectance: Double = 0.08, lightLevel: Double = 1, lightGradient: Double = 0,
        gradientAngle: Double = 0, texture: Double = 0
    ) {
        self.floorReflectance = floorReflectance
        self.lineReflectance = lineReflectance
        self.lightLevel = lightLevel
        self.lightGradient = lightGradient
        self.gradientAngle = gradientAngle
        self.texture = texture
    }

    /// The appearance a `diffdrive` description declares (`physics.floor_reflectance`, `line_reflectance`,
    /// `light_level`, `light_gradient`, `floor_texture`); the gradient's direction is drawn from `generator`.
    public init(description d: RobotDescription, using generator: inout SeededGenerator) {
        self.init(
            floorReflectance: d.physics["floor_reflectance"] ?? 0.85, lineReflectance: d.physics["line_reflectance"] ?? 0.08,
            lightLevel: d.physics["light_level"] ?? 1, lightGradient: d.physics["light_gradient"] ?? 0,
            gradientAngle: generator.uniform(0, 2 * .pi), texture: d.physics["floor_texture"] ?? 0)
    }
}

/// The floor of one episode as an 8-bit grayscale texture (pixel values): the track's line
/// drawn with anti-aliased edges at its varying width, on a textured floor under a lighting gradient.
/// Built once per episode; the camera samples it with bilinear interpolation.
public struct FloorTexture: Sendable {
    /// Texels per side and the texel size, m; texel (i, j) is centred at `origin + (i, j) · texel`.
    public let width: Int
    public let height: Int
    public let texel: Double
    public let originX: Double
    public let originY: Double
    /// `height × width` pixel values, row j = y, column i = x.
    public let values: [UInt8]
    /// Value for rays that miss the floor (above the horizon): the room, a dim gray.
    public let sky: UInt8

    /// Default texel size, m: finer than the camera's pixels on the floor near the robot.
    public static let defaultTexel = 0.0025

    /// The floor under `track`, extending `margin` m beyond it (what the camera can see past the line).
    public init(track: Track, appearance a: FloorAppearance, seed: UInt64, texel: Double = FloorTexture.defaultTexel, margin: Double = 0.5) {
        let half = track.extent + margin
        let n = Int((2 * half / texel).rounded(.up)) + 1
        width = n
        height = n
        self.texel = texel
        originX = -half
        originY = -half
        sky = UInt8(max(0, min(255, (255 * a.lightLevel * 0.35).rounded())))
        var g = SeededGenerator(seed: seed)
        var out = [UInt8](repeating: 0, count: n * n)

        // Coarse value noise (blotches, 8 cm cells) plus fine grain per texel, both in −1…1.
        let cell = 0.08
        let cells = Int((2 * half / cell).rounded(.up)) + 2
        let coarse = (0..<(cells * cells)).map { _ in Float(g.uniform(-1, 1)) }
        let texture = Float(a.texture)
        let floorValue = Float(255 * a.floorReflectance), lineValue = Float(255 * a.lineReflectance)
        let gx = a.lightGradient * cos(a.gradientAngle) / (2 * half), gy = a.lightGradient * sin(a.gradientAngle) / (2 * half)
        var grain = SeededGenerator(seed: g.split())
        var coverage = [Float](repeating: 0, count: n * n)
        coverage.withUnsafeMutableBufferPointer { c in
            FloorTexture.drawLine(track, into: c, size: n, texel: texel, origin: -half)
        }
        let lineTexture = Float(0.3) / max(floorValue, 1)
        let cellsPerTexel = texel / cell
        out.withUnsafeMutableBufferPointer { v in
            coverage.withUnsafeBufferPointer { c in
                coarse.withUnsafeBufferPointer { noise in
                    for j in 0..<n {
                        let cy = Double(j) * cellsPerTexel
                        let j0 = Int(cy), fy = Float(cy - Double(j0))
                        let row0 = noise.baseAddress! + j0 * cells, row1 = row0 + cells
                        // Light along the row: level · (1 + gradient · position), linear in i, kept positive.
                        let y = Double(j) * texel - half
                        let light0 = a.lightLevel * (1 + gx * -half + gy * y), lightStep = a.lightLevel * gx * texel
                        for i in 0..<n {
                            let cx = Double(i) * cellsPerTexel
                            let i0 = Int(cx), fx = Float(cx - Double(i0))
                            let top = row0[i0] + (row0[i0 + 1] - row0[i0]) * fx
                            let bottom = row1[i0] + (row1[i0 + 1] - row1[i0]) * fx
                            let blotch = top + (bottom - top) * fy
                            let fine = Float(Int(grain.next() >> 56) - 128) * (1 / 128)
                            let floorHere = floorValue * (1 + texture * (0.75 * blotch + 0.25 * fine))
                            let k = j * n + i
                            let cover = c[k]
                            let tape = lineValue * (1 + lineTexture * (floorHere - floorValue))
                            let mixed = floorHere + (tape - floorHere) * cover
                            let light = Float(max(0.05, light0 + lightStep * Double(i)))
                            v[k] = UInt8(max(0, min(255, mixed * light + 0.5)))
                        }
                    }
                }
            }
        }
        values = out
    }

    /// Writes into `coverage` the fraction of each texel the line covers (box-filtered edge, one texel wide).
    static func drawLine(_ track: Track, into coverage: UnsafeMutableBufferPointer<Float>, size n: Int, texel: Double, origin: Double) {
        let segments = max(64, Int((track.length / (texel * 0.5)).rounded(.up)))
        var previous = track.point(0)
        for s in 1...segments {
            let t = 2 * Double.pi * Double(s) / Double(segments)
            let p = track.point(t)
            let halfWidth = track.lineWidth(t - .pi / Double(segments)) / 2
            let reach = halfWidth + texel
            let minI = max(0, Int(((min(previous.x, p.x) - reach - origin) / texel).rounded(.down)))
            let maxI = min(n - 1, Int(((max(previous.x, p.x) + reach - origin) / texel).rounded(.up)))
            let minJ = max(0, Int(((min(previous.y, p.y) - reach - origin) / texel).rounded(.down)))
            let maxJ = min(n - 1, Int(((max(previous.y, p.y) + reach - origin) / texel).rounded(.up)))
            let dx = p.x - previous.x, dy = p.y - previous.y
            let length2 = max(dx * dx + dy * dy, 1e-18)
            if minI <= maxI && minJ <= maxJ {
                for j in minJ...maxJ {
                    let y = origin + Double(j) * texel
                    for i in minI...maxI {
                        let x = origin + Double(i) * texel
                        let u = max(0, min(1, ((x - previous.x) * dx + (y - previous.y) * dy) / length2))
                        let ex = x - (previous.x + u * dx), ey = y - (previous.y + u * dy)
                        let distance = (ex * ex + ey * ey).squareRoot()
                        let cover = Float(max(0, min(1, (halfWidth - distance) / texel + 0.5)))
                        let k = j * n + i
                        if cover > coverage[k] { coverage[k] = cover }
                    }
                }
            }
            previous = p
        }
    }

    /// Bilinear sample at world point (x, y); points off the texture take the nearest edge texel.
    @inline(__always)
    public func sample(x: Double, y: Double) -> Float {
        values.withUnsafeBufferPointer { v in
            FloorTexture.bilinear(v.baseAddress!, width, height, Float((x - originX) / texel), Float((y - originY) / texel))
        }
    }

    @inline(__always)
    static func bilinear(_ v: UnsafePointer<UInt8>, _ w: Int, _ h: Int, _ u: Float, _ t: Float) -> Float {
        let uc = min(max(u, 0), Float(w - 1) - 0.001), tc = min(max(t, 0), Float(h - 1) - 0.001)
        let i = Int(uc), j = Int(tc)
        let fx = uc - Float(i), fy = tc - Float(j)
        let p = v + j * w + i
        let top = Float(p[0]) + (Float(p[1]) - Float(p[0])) * fx
        let bottom = Float(p[w]) + (Float(p[w + 1]) - Float(p[w])) * fx
        return top + (bottom - top) * fy
    }
}
