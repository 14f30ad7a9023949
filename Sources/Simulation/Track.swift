import ReflexCore
#if canImport(Glibc)
import Glibc
#endif

/// A closed line-following track: a smooth loop around the origin in polar form,
///
///     R(θ) = R₀ (1 + Σ_{k=2…5} a_k cos kθ + b_k sin kθ),   P(θ) = R(θ) (cos θ, sin θ),
///
/// so every ray from the origin crosses it once, with bends of many radii (the harmonics), and a line
/// whose width varies along it, w(θ) = w₀ (1 + v sin(3θ + φ)). Driven counter-clockwise (increasing θ),
/// so "left of the line" is towards the inside.
///
/// All fields are plain numbers (it travels inside `DiffDriveModel.State`, so the vectorized environment
/// can store it); `Track.random` draws one from a seed with a lower bound on its bend radius.
public struct Track: Sendable, Equatable {
    /// Mean radius R₀, m.
    public var radius: Double
    /// Relative amplitudes a_k, b_k of harmonics k = 2, 3, 4, 5.
    public var cosine: SIMD4<Double>
    public var sine: SIMD4<Double>
    /// Mean line width w₀, m, its relative variation v along the track and the variation's phase φ, rad.
    public var width: Double
    public var widthVariation: Double
    public var widthPhase: Double
    /// Length of one lap, m (computed from the shape).
    public private(set) var length: Double

    /// Plain numbers stored per track (`store`/`load`).
    public static let storedSize = 13

    public init(
        radius: Double, cosine: SIMD4<Double> = .zero, sine: SIMD4<Double> = .zero, width: Double,
        widthVariation: Double = 0, widthPhase: Double = 0
    ) {
        self.radius = radius
        self.cosine = cosine
        self.sine = sine
        self.width = width
        self.widthVariation = widthVariation
        self.widthPhase = widthPhase
        length = 0
        length = measuredLength()
    }

    /// A track drawn from `seed`: harmonics with amplitudes up to `wobble / k`, shrunk until no bend is
    /// tighter than `minimumBendRadius` and the loop stays at least half its mean radius from the centre;
    /// mean width `width · (1 ± widthVariation)`, varying along the track by ± `widthVariation / 2`.
    public static func random(
        seed: UInt64, radius: Double, wobble: Double, width: Double, widthVariation: Double,
        minimumBendRadius: Double
    ) -> Track {
        var g = SeededGenerator(seed: seed)
        var c = SIMD4<Double>.zero, s = SIMD4<Double>.zero
        for i in 0..<4 {
            let k = Double(i + 2)
            c[i] = g.uniform(-1, 1) * wobble / k
            s[i] = g.uniform(-1, 1) * wobble / k
        }
        let v = max(0, min(widthVariation, 0.9))
        let meanWidth = width * (1 + g.uniform(-v, v))
        let phase = g.uniform(0, 2 * .pi)
        var track = Track(radius: radius, cosine: c, sine: s, width: meanWidth, widthVariation: v / 2, widthPhase: phase)
        for _ in 0..<40 where !track.isGentle(minimumBendRadius: minimumBendRadius) {
            c *= 0.85
            s *= 0.85
            track = Track(radius: radius, cosine: c, sine: s, width: meanWidth, widthVariation: v / 2, widthPhase: phase)
        }
        return track
    }

    /// No bend tighter than `minimumBendRadius` (sampled every 0.7°), and R(θ) ≥ R₀ / 2 everywhere.
    public func isGentle(minimumBendRadius: Double) -> Bool {
        let n = 512
        for i in 0..<n {
            let t = 2 * .pi * Double(i) / Double(n)
            let (r, r1, r2) = radii(t)
            if r < radius / 2 { return false }
            // Curvature of a polar curve: (R² + 2R'² − R R'') / (R² + R'²)^{3/2}.
            let q = r * r + r1 * r1
            let curvature = (r * r + 2 * r1 * r1 - r * r2) / (q * q.squareRoot())
            if abs(curvature) * minimumBendRadius > 1 { return false }
        }
        return true
    }

    /// R(θ), R'(θ), R''(θ) in m (per rad, per rad²).
    @inline(__always)
    public func radii(_ theta: Double) -> (Double, Double, Double) {
        // cos kθ, sin kθ for k = 2…5 by angle addition from one sincos.
        let c1 = cos(theta), s1 = sin(theta)
        let c2 = c1 * c1 - s1 * s1, s2 = 2 * s1 * c1
        let c3 = c2 * c1 - s2 * s1, s3 = s2 * c1 + c2 * s1
        let c4 = c3 * c1 - s3 * s1, s4 = s3 * c1 + c3 * s1
        let c5 = c4 * c1 - s4 * s1, s5 = s4 * c1 + c4 * s1
        let ck = SIMD4(c2, c3, c4, c5), sk = SIMD4(s2, s3, s4, s5)
        let k = SIMD4<Double>(2, 3, 4, 5)
        let r = radius * (1 + (cosine * ck + sine * sk).sum())
        let r1 = radius * (k * (sine * ck - cosine * sk)).sum()
        let r2 = -radius * (k * k * (cosine * ck + sine * sk)).sum()
        return (r, r1, r2)
    }

    /// The track's centre line at parameter θ, m.
    @inline(__always)
    public func point(_ theta: Double) -> (x: Double, y: Double) {
        let r = radii(theta).0
        return (r * cos(theta), r * sin(theta))
    }

    /// Direction of travel at θ, rad (counter-clockwise tangent).
    public func heading(_ theta: Double) -> Double {
        let (r, r1, _) = radii(theta)
        let c = cos(theta), s = sin(theta)
        return atan2(r1 * s + r * c, r1 * c - r * s)
    }

    /// ds/dθ = √(R² + R'²), m/rad.
    @inline(__always)
    public func speed(_ theta: Double) -> Double {
        let (r, r1, _) = radii(theta)
        return (r * r + r1 * r1).squareRoot()
    }

    /// Line width at θ, m.
    @inline(__always)
    public func lineWidth(_ theta: Double) -> Double {
        width * (1 + widthVariation * sin(3 * theta + widthPhase))
    }

    /// The centre line's point nearest to (x, y): its parameter θ (near `guess`, unwrapped like it) and
    /// the signed distance to it, m (positive to the left of the direction of travel, inside the loop).
    ///
    /// Newton's method on (P(θ) − p)·P'(θ) = 0 from `guess` (default: the point's polar angle, which is
    /// close because the loop is star-shaped and smooth). Exact near the line, which is all the sensors,
    /// the camera and the termination rule need; far from it the distance is still a distance to a point
    /// of the line, so never smaller than the true one.
    @inline(__always)
    public func nearest(x: Double, y: Double, guess: Double? = nil) -> (theta: Double, distance: Double) {
        var t = guess ?? atan2(y, x)
        var px = 0.0, py = 0.0, dx = 0.0, dy = 0.0
        for _ in 0..<4 {
            let (r, r1, r2) = radii(t)
            let c = cos(t), s = sin(t)
            px = r * c; py = r * s
            dx = r1 * c - r * s; dy = r1 * s + r * c
            let ddx = (r2 - r) * c - 2 * r1 * s, ddy = (r2 - r) * s + 2 * r1 * c
            let ex = px - x, ey = py - y
            let g = ex * dx + ey * dy
            let gp = dx * dx + dy * dy + ex * ddx + ey * ddy
            var step = gp > 0 ? -g / gp : -g / (dx * dx + dy * dy)
            step = max(-0.25, min(0.25, step))
            t += step
        }
        let (r, r1, _) = radii(t)
        let c = cos(t), s = sin(t)
        px = r * c; py = r * s
        dx = r1 * c - r * s; dy = r1 * s + r * c
        let norm = (dx * dx + dy * dy).squareRoot()
        // Left normal of the tangent (dx, dy) is (−dy, dx).
        let signed = ((x - px) * -dy + (y - py) * dx) / norm
        let distance = ((x - px) * (x - px) + (y - py) * (y - py)).squareRoot()
        return (t, signed < 0 ? -distance : distance)
    }

    /// Bounds of the loop, m: largest |x| and |y| of the centre line plus the widest line.
    public var extent: Double {
        var e = 0.0
        for i in 0..<256 {
            let p = point(2 * .pi * Double(i) / 256)
            e = max(e, abs(p.x), abs(p.y))
        }
        return e + width * (1 + widthVariation)
    }

    /// Lap length by the trapezoidal rule over 1024 samples (spectrally accurate for a periodic integrand).
    private func measuredLength() -> Double {
        let n = 1024
        var total = 0.0
        for i in 0..<n { total += speed(2 * .pi * Double(i) / Double(n)) }
        return total * 2 * .pi / Double(n)
    }

    public static func store(_ t: Track, into out: UnsafeMutablePointer<Double>, stride: Int) {
        out[0] = t.radius
        for i in 0..<4 {
            out[(1 + i) * stride] = t.cosine[i]
            out[(5 + i) * stride] = t.sine[i]
        }
        out[9 * stride] = t.width
        out[10 * stride] = t.widthVariation
        out[11 * stride] = t.widthPhase
        out[12 * stride] = t.length
    }

    public static func load(from v: UnsafePointer<Double>, stride: Int) -> Track {
        Track(
            stored: v[0], SIMD4(v[stride], v[2 * stride], v[3 * stride], v[4 * stride]),
            SIMD4(v[5 * stride], v[6 * stride], v[7 * stride], v[8 * stride]),
            v[9 * stride], v[10 * stride], v[11 * stride], v[12 * stride])
    }

    /// Field by field, length included (no re-measuring: `load` runs every vectorized step).
    private init(
        stored radius: Double, _ cosine: SIMD4<Double>, _ sine: SIMD4<Double>, _ width: Double,
        _ widthVariation: Double, _ widthPhase: Double, _ length: Double
    ) {
        (self.radius, self.cosine, self.sine) = (radius, cosine, sine)
        (self.width, self.widthVariation, self.widthPhase, self.length) = (width, widthVariation, widthPhase, length)
    }
}
