import ReflexCore
import Simulation

/// A camera source fed by the simulator: each `read` renders what a `diffdrive` robot's camera sees in the
/// plant's current state (asked of `state`), so `reflex run --camera` can be tested against a simulated
/// robot. Frames are gray (1 channel) unless the image passed in already has 3 channels.
///
/// The floor is rebuilt whenever the state's track changes (a new episode).
public final class RenderedCameraSource: CameraSource {
    public let camera: CameraSpec
    public let appearance: FloorAppearance
    public var width: Int { camera.width }
    public var height: Int { camera.height }
    public var frameRate: Double { camera.frameRate }
    public let name = "renderer"
    private let renderer: FloorCamera
    private let state: () -> DiffDriveModel.State
    private let seed: UInt64
    private var floor: FloorTexture?
    private var floorTrack: Track?

    /// - Parameter state: the plant's current state, read at every frame.
    /// - Throws: `ReflexError(.invalidDescription, …)` when the description has no `camera:` block.
    public init(description: RobotDescription, seed: UInt64 = 0, state: @escaping () -> DiffDriveModel.State) throws {
        guard let camera = description.camera else {
            throw ReflexError(.invalidDescription, "robot '\(description.name)': a rendered camera needs a camera: block")
        }
        self.camera = camera
        var g = SeededGenerator(seed: seed)
        appearance = FloorAppearance(description: description, using: &g)
        self.seed = g.next()
        renderer = FloorCamera(camera)
        self.state = state
    }

    public func read(into image: inout Image) throws -> Bool {
        let s = state()
        guard s.track.radius > 0 else {
            throw ReflexError(.invalidArgument, "renderer: the plant follows no closed track (task.track: 1), nothing to render")
        }
        if floor == nil || floorTrack != s.track {
            floor = FloorTexture(track: s.track, appearance: appearance, seed: seed)
            floorTrack = s.track
        }
        guard let floor else { return false }
        try renderer.render(floor, x: s.x, y: s.y, heading: s.heading, into: &image)
        return true
    }
}
