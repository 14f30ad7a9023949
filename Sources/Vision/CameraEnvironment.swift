import ReflexCore
import Simulation

/// A `diffdrive` robot seen through its camera: the observation is the preprocessed camera image
/// (`camera.preprocessing.observationCount` floats, CHW, frames newest first, made by the same
/// `Preprocessor` that runs on the robot); actions, rewards, termination and truncation are the plant's.
///
/// Every reset draws, from the episode's seed: the description's randomization (physics, lighting, floor
/// texture, track size), a new closed track (from `trackSet`: training and evaluation tracks never
/// coincide), the start pose, and the floor's texture and light direction. Everything is deterministic
/// under a seed. The description must declare `camera:` and closed tracks (`task.track: 1`).
public struct CameraEnvironment: Environment {
    /// The description as loaded (before per-episode randomization).
    public let nominal: RobotDescription
    public let camera: CameraSpec
    /// `camera.preprocessing.observationChannels`: one channel per observation value.
    public let observationChannels: [ChannelSpec]
    public let actuatorChannels: [ChannelSpec]
    public let actionSpace: ActionSpace
    /// Draw the description's randomization each episode (off: the nominal plant and floor).
    public let randomize: Bool
    public let trackSet: TrackSet
    /// The plant of the current episode.
    public private(set) var plant: PlantEnvironment<DiffDriveModel>
    /// The floor of the current episode.
    public private(set) var floor: FloorTexture
    /// The floor's appearance in the current episode.
    public private(set) var appearance: FloorAppearance
    /// The last native camera frame (gray, `camera.width × camera.height`).
    public private(set) var frame: Image
    private let renderer: FloorCamera
    private var preprocessor: Preprocessor
    private var generator: SeededGenerator
    private var observationBuffer: [Float]

    /// - Parameter preprocessing: the pipeline to use instead of the description's (a policy file's own).
    /// - Throws: `ReflexError(.invalidDescription, …)` when the description has no camera, is not a
    ///   `diffdrive` robot on closed tracks, or its camera's preprocessing does not fit its frame.
    public init(
        description: RobotDescription, seed: UInt64 = 0, trackSet: TrackSet = .training, randomize: Bool = true,
        preprocessing: ImagePreprocessing? = nil
    ) throws {
        guard var camera = description.camera else {
            throw ReflexError(.invalidDescription, "robot '\(description.name)': a camera environment needs a camera: block")
        }
        if let preprocessing { camera.preprocessing = preprocessing }
        let model = try DiffDriveModel(description: description).with(trackSet: trackSet)
        guard model.trackFamily == .closed else {
            throw ReflexError(.invalidDescription, "robot '\(description.name)': task.track: the camera environment renders closed tracks (track: 1)")
        }
        do {
            preprocessor = try Preprocessor(camera.preprocessing, sourceWidth: camera.width, sourceHeight: camera.height)
        } catch let error as ReflexError {
            throw ReflexError(.invalidDescription, "robot '\(description.name)': camera.preprocessing: \(error.message)")
        }
        nominal = description
        self.camera = camera
        self.randomize = randomize
        self.trackSet = trackSet
        observationChannels = camera.preprocessing.observationChannels
        actuatorChannels = description.actuators
        actionSpace = description.actionSpace
        renderer = FloorCamera(camera)
        generator = SeededGenerator(seed: seed)
        plant = PlantEnvironment(model: model, seed: seed)
        var g = SeededGenerator(seed: seed ^ 0x666C_6F6F_72)
        appearance = FloorAppearance(description: description, using: &g)
        floor = FloorTexture(track: plant.state.track, appearance: appearance, seed: g.next())
        frame = try Image(width: camera.width, height: camera.height, channels: 1)
        observationBuffer = [Float](repeating: 0, count: camera.preprocessing.observationCount)
    }

    /// Loads `simulators/<robot>.yaml` and builds its camera environment.
    public init(robot: String, seed: UInt64 = 0, trackSet: TrackSet = .training, randomize: Bool = true) throws {
        try self.init(description: RobotDescription.bundled(named: robot), seed: seed, trackSet: trackSet, randomize: randomize)
    }

    public mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { generator = SeededGenerator(seed: seed) }
        let drawn = randomize ? nominal.randomized(using: &generator) : nominal
        var model = plant.model
        if let m = try? DiffDriveModel(description: drawn) { model = m.with(trackSet: trackSet) }
        let plantSeed = generator.next(), floorSeed = generator.next()
        plant = PlantEnvironment(model: model, seed: plantSeed)
        _ = plant.reset(seed: plantSeed)
        var g = SeededGenerator(seed: floorSeed)
        appearance = FloorAppearance(description: drawn, using: &g)
        floor = FloorTexture(track: plant.state.track, appearance: appearance, seed: g.next())
        preprocessor.reset()
        return observe()
    }

    public mutating func step(_ action: Action) -> Step {
        let result = plant.step(action)
        return Step(observation: observe(), reward: result.reward, terminated: result.terminated, truncated: result.truncated)
    }

    /// Renders the camera frame of the current state and preprocesses it onto the frame stack.
    private mutating func observe() -> [Float] {
        let s = plant.state
        frame.pixels.withUnsafeMutableBufferPointer {
            renderer.render(floor, x: s.x, y: s.y, heading: s.heading, into: $0.baseAddress!)
        }
        // The frame has the camera's size by construction, so preprocessing cannot fail.
        try? preprocessor.process(frame, into: &observationBuffer)
        return observationBuffer
    }

    /// Whole laps of the current episode's track completed so far.
    public var lapsCompleted: Int { plant.model.laps(plant.state) }
    /// Distance driven along the track since the episode's start, m (negative when driven backwards).
    public var progress: Double { plant.state.progress }
    /// Length of one lap of the current track, m.
    public var lapLength: Double { plant.state.track.length }
    /// The plant's scene (for videos).
    public var scene: Scene { plant.scene }
}

extension CameraEnvironment: SceneProviding {}
