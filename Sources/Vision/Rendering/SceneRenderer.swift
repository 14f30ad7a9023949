import ReflexCore
import Simulation

/// Rasterizes a plant's `Scene` into a colour image through `Canvas` (anti-aliased): the scene's view
/// rectangle, grown to the image's aspect ratio with a small margin, fills the image; world y points up.
public struct SceneRenderer: Sendable {
    public let width: Int
    public let height: Int
    /// Fraction of the view added on every side.
    public var margin = 0.04

    public init(width: Int, height: Int) throws {
        try Image.validate(width: width, height: height, channels: 3)
        self.width = width
        self.height = height
    }

    /// A new image of the scene.
    public func render(_ scene: Scene) -> Image {
        var image = Image()
        render(scene, into: &image)
        return image
    }

    /// Draws the scene into `image` (reshaped to this renderer's size, 3 channels).
    public func render(_ scene: Scene, into image: inout Image) {
        if image.width != width || image.height != height || image.channels != 3 {
            // The size was validated at init, so reshaping cannot fail.
            try? image.reshape(width: width, height: height, channels: 3)
        }
        image.fill(color(scene.background))
        var view = scene.view
        let mx = view.width * margin, my = view.height * margin
        view = Scene.Rect(minX: view.minX - mx, minY: view.minY - my, maxX: view.maxX + mx, maxY: view.maxY + my)
            .fitted(aspect: Double(width) / Double(height))
        let scale = Double(width) / view.width
        func pixel(_ p: Scene.Point) -> Point {
            Point((p.x - view.minX) * scale - 0.5, (view.maxY - p.y) * scale - 0.5)
        }
        image.draw { canvas in
            for item in scene.items {
                let c = color(item.color)
                switch item.shape {
                case let .polygon(points):
                    canvas.fillPolygon(points.map(pixel), color: c)
                case let .polyline(points, lineWidth, closed):
                    let thickness = max(1, Int((lineWidth * scale).rounded()))
                    canvas.polyline(points.map(pixel), color: c, thickness: thickness, closed: closed)
                case let .circle(center, radius):
                    canvas.circle(center: pixel(center), radius: max(0.75, radius * scale), color: c, filled: true)
                }
            }
        }
    }

    private func color(_ c: Scene.Color) -> Color {
        func byte(_ v: Double) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
        return Color(r: byte(c.r), g: byte(c.g), b: byte(c.b))
    }
}
