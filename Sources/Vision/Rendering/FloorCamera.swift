import ReflexCore
#if canImport(Glibc)
import Glibc
#endif

/// A pinhole camera on a ground robot looking at the floor (`CameraSpec`): renders what it sees of a
/// `FloorTexture` from a robot pose, one gray 8-bit frame at the camera's native size.
///
/// The camera sits `forward` m ahead of the axle and `height_m` m above the floor, pitched `pitch` rad
/// down, with a horizontal field of view `fieldOfView` and square pixels. Every image row meets the floor
/// on a line parallel to the axle, so the floor point under a pixel moves linearly along a row: per row
/// the renderer computes the ray's reach once and then steps through the texture with one addition per
/// pixel (a perspective floor map), sampling bilinearly. Rows above the horizon show the room (`sky`).
public struct FloorCamera: Sendable {
    public let spec: CameraSpec
    /// Per row: floor point in the robot's frame for the row's first pixel (forward, left), its change per
    /// pixel to the right (left component only), and whether the row sees the floor at all.
    private let rowForward: [Double]
    private let rowLeft0: [Double]
    private let rowLeftStep: [Double]
    private let rowHits: [Bool]

    public init(_ spec: CameraSpec) {
        self.spec = spec
        let w = spec.width, h = spec.height
        let focal = (Double(w) / 2) / tan(spec.fieldOfView / 2)
        let sp = sin(spec.pitch), cp = cos(spec.pitch)
        var forward = [Double](), left0 = [Double](), leftStep = [Double](), hits = [Bool]()
        for v in 0..<h {
            // Ray (robot frame: forward, left, up) = f + xn·r + yn·d, f = (cos p, 0, −sin p) the optical axis,
            // r = (0, −1, 0) the image's right, d = (−sin p, 0, −cos p) the image's down.
            let yn = (Double(v) + 0.5 - Double(h) / 2) / focal
            let down = sp + yn * cp  // −(ray's up component)
            guard down > 1e-6 else {
                forward.append(0); left0.append(0); leftStep.append(0); hits.append(false)
                continue
            }
            let t = spec.height_m / down
            forward.append(spec.forward + t * (cp - yn * sp))
            let xn0 = (0.5 - Double(w) / 2) / focal
            left0.append(-t * xn0)
            leftStep.append(-t / focal)
            hits.append(true)
        }
        rowForward = forward
        rowLeft0 = left0
        rowLeftStep = leftStep
        rowHits = hits
    }

    /// Renders the floor seen from pose (x, y, heading) into `pixels` (`spec.width × spec.height` gray bytes).
    ///
    /// Texture coordinates step along a row in 16.16 fixed point and the bilinear weights are 8-bit, so
    /// the inner loop is integer arithmetic (2–3× faster than floating point here); a row whose ends lie
    /// inside the texture stays inside it (it is a straight segment), so only rows reaching past the
    /// texture's edge take the clamped path.
    public func render(_ floor: FloorTexture, x: Double, y: Double, heading: Double, into pixels: UnsafeMutablePointer<UInt8>) {
        let c = cos(heading), s = sin(heading)
        let w = spec.width
        let inv = 1 / floor.texel
        let sky = floor.sky
        floor.values.withUnsafeBufferPointer { values in
            let v = values.baseAddress!
            let tw = floor.width, th = floor.height
            let limitU = Double(tw - 2), limitT = Double(th - 2)
            for row in 0..<spec.height {
                let out = pixels + row * w
                guard rowHits[row] else {
                    out.update(repeating: sky, count: w)
                    continue
                }
                let fwd = rowForward[row], left = rowLeft0[row], step = rowLeftStep[row]
                // Texture coordinates of the row's first pixel and their change per pixel.
                let u0 = (x + fwd * c - left * s - floor.originX) * inv
                let t0 = (y + fwd * s + left * c - floor.originY) * inv
                let du = -step * s * inv, dt = step * c * inv
                let u1 = u0 + Double(w - 1) * du, t1 = t0 + Double(w - 1) * dt
                let inside = min(u0, u1) >= 0 && max(u0, u1) < limitU && min(t0, t1) >= 0 && max(t0, t1) < limitT
                if inside {
                    var u = Int32((u0 * 65536).rounded()), t = Int32((t0 * 65536).rounded())
                    let su = Int32((du * 65536).rounded()), st = Int32((dt * 65536).rounded())
                    for i in 0..<w {
                        let p = v + Int(t >> 16) * tw + Int(u >> 16)
                        let fx = (u >> 8) & 255, fy = (t >> 8) & 255
                        let a = Int32(p[0]), b = Int32(p[1]), cc = Int32(p[tw]), d = Int32(p[tw + 1])
                        let top = (a << 8) + (b - a) * fx
                        let bottom = (cc << 8) + (d - cc) * fx
                        out[i] = UInt8(truncatingIfNeeded: ((top << 8) + (bottom - top) * fy + 32768) >> 16)
                        u &+= su
                        t &+= st
                    }
                } else {
                    for i in 0..<w {
                        let value = FloorTexture.bilinear(v, tw, th, Float(u0 + Double(i) * du), Float(t0 + Double(i) * dt))
                        out[i] = UInt8(max(0, min(255, value + 0.5)))
                    }
                }
            }
        }
    }

    /// Renders into a gray image (reshaped to the camera's size; a colour image gets the value in all three channels).
    public func render(_ floor: FloorTexture, x: Double, y: Double, heading: Double, into image: inout Image) throws {
        let channels = image.isEmpty ? 1 : image.channels
        if image.width != spec.width || image.height != spec.height || image.channels != channels {
            try image.reshape(width: spec.width, height: spec.height, channels: channels)
        }
        if channels == 1 {
            image.pixels.withUnsafeMutableBufferPointer { render(floor, x: x, y: y, heading: heading, into: $0.baseAddress!) }
            return
        }
        var gray = [UInt8](repeating: 0, count: spec.width * spec.height)
        gray.withUnsafeMutableBufferPointer { render(floor, x: x, y: y, heading: heading, into: $0.baseAddress!) }
        image.pixels.withUnsafeMutableBufferPointer { p in
            for k in 0..<gray.count { (p[3 * k], p[3 * k + 1], p[3 * k + 2]) = (gray[k], gray[k], gray[k]) }
        }
    }

    /// Where the centre of pixel (column, row) meets the floor in the robot's frame (forward, left), m;
    /// nil above the horizon. For tests and overlays.
    public func floorPoint(column: Int, row: Int) -> (forward: Double, left: Double)? {
        guard row >= 0, row < spec.height, rowHits[row] else { return nil }
        return (rowForward[row], rowLeft0[row] + Double(column) * rowLeftStep[row])
    }
}
