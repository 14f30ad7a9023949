import ReflexCore

/// A plant's current state as plain drawing primitives in world units (m, y up): what a video frame of
/// the simulator shows. No pixels here — `Vision` rasterizes a scene into an image.
public struct Scene: Sendable, Equatable {
    /// A colour with components in 0…1.
    public struct Color: Sendable, Equatable, Hashable {
        public var r: Double, g: Double, b: Double
        public init(r: Double, g: Double, b: Double) {
            (self.r, self.g, self.b) = (r, g, b)
        }
        public init(gray: Double) { self.init(r: gray, g: gray, b: gray) }

        public static let black = Color(gray: 0)
        public static let white = Color(gray: 1)
        public static let floor = Color(gray: 0.93)
        public static let track = Color(gray: 0.12)
        public static let body = Color(r: 0.22, g: 0.42, b: 0.75)
        public static let pole = Color(r: 0.8, g: 0.45, b: 0.2)
        public static let joint = Color(r: 0.35, g: 0.35, b: 0.4)
        public static let wheel = Color(gray: 0.2)
        public static let accent = Color(r: 0.85, g: 0.15, b: 0.15)
        public static let guide = Color(gray: 0.7)
    }

    /// A point in world units, m.
    public struct Point: Sendable, Equatable, Hashable {
        public var x: Double, y: Double
        public init(_ x: Double, _ y: Double) { (self.x, self.y) = (x, y) }
    }

    /// An axis-aligned rectangle in world units: the part of the world a frame shows.
    public struct Rect: Sendable, Equatable {
        public var minX: Double, minY: Double, maxX: Double, maxY: Double
        public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
            (self.minX, self.minY, self.maxX, self.maxY) = (minX, minY, maxX, maxY)
        }
        public var width: Double { maxX - minX }
        public var height: Double { maxY - minY }
        /// This rectangle grown to the aspect ratio `width / height`, about its centre.
        public func fitted(aspect: Double) -> Rect {
            let cx = (minX + maxX) / 2, cy = (minY + maxY) / 2
            var w = width, h = height
            if w / h < aspect { w = h * aspect } else { h = w / aspect }
            return Rect(minX: cx - w / 2, minY: cy - h / 2, maxX: cx + w / 2, maxY: cy + h / 2)
        }
    }

    /// One primitive.
    public enum Shape: Sendable, Equatable {
        /// A filled polygon (vertices in order).
        case polygon([Point])
        /// An open (or closed) polyline `width` m wide.
        case polyline([Point], width: Double, closed: Bool)
        /// A filled circle.
        case circle(center: Point, radius: Double)
    }

    public struct Item: Sendable, Equatable {
        public var shape: Shape
        public var color: Color
        public init(_ shape: Shape, _ color: Color) {
            self.shape = shape
            self.color = color
        }
    }

    /// Drawn in order, later items on top.
    public var items: [Item] = []
    /// The part of the world a frame should show.
    public var view: Rect
    public var background: Color

    public init(view: Rect, background: Color = .white) {
        self.view = view
        self.background = background
    }

    public mutating func polygon(_ points: [Point], _ color: Color) { items.append(Item(.polygon(points), color)) }

    public mutating func line(_ a: Point, _ b: Point, width: Double, _ color: Color) {
        items.append(Item(.polyline([a, b], width: width, closed: false), color))
    }

    public mutating func polyline(_ points: [Point], width: Double, closed: Bool = false, _ color: Color) {
        items.append(Item(.polyline(points, width: width, closed: closed), color))
    }

    public mutating func circle(_ center: Point, radius: Double, _ color: Color) {
        items.append(Item(.circle(center: center, radius: radius), color))
    }

    /// A rectangle `length × width` centred at `center`, its length along `angle` (rad from +x).
    public mutating func box(center: Point, length: Double, width: Double, angle: Double, _ color: Color) {
        let c = cosine(angle), s = sine(angle)
        let corners = [(length, width), (-length, width), (-length, -width), (length, -width)].map { (u, v) in
            Point(center.x + 0.5 * (u * c - v * s), center.y + 0.5 * (u * s + v * c))
        }
        polygon(corners, color)
    }
}

/// Something that can show its current state as a `Scene` (`reflex render` asks environments for it).
public protocol SceneProviding {
    var scene: Scene { get }
}

/// A plant model that draws a state of itself.
public protocol PlantSceneDrawing: PlantModel {
    func scene(_ state: State) -> Scene
}

extension PlantEnvironment: SceneProviding where Model: PlantSceneDrawing {
    public var scene: Scene { model.scene(state) }
}

extension ModelPlant: SceneProviding where Model: PlantSceneDrawing {
    public var scene: Scene { model.scene(state) }
}

extension AnyEnvironment {
    /// The scene of the wrapped environment, when it draws one.
    public var scene: Scene? { (base as? SceneProviding)?.scene }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func cosine(_ x: Double) -> Double { cos(x) }
@inline(__always) func sine(_ x: Double) -> Double { sin(x) }
