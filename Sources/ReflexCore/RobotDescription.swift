/// A robot as the rest of Reflex sees it: channels, physics, task and timing, loaded from
/// `simulators/<robot>.yaml`. Immutable once loaded (MuJoCo's mjModel habit).
///
/// Loading and validation live in `RobotDescription+Loading.swift`.
public struct RobotDescription: Sendable, Equatable {
    /// Robot name (`cartpole`); matches the file name.
    public var name: String
    /// Which plant model in `Simulation` serves this robot (`cartpole`).
    public var simulator: String
    /// One-line human description.
    public var summary: String
    /// Control period in seconds: one policy step, one wire SENSORS/ACTUATE exchange.
    public var controlPeriod: Double
    /// Physical parameters by name, SI units (`gravity`, `cart_mass`, …); the plant model says which it needs.
    public var physics: [String: Double]
    /// Integration scheme of the plant (`euler`, `semi-implicit-euler`, `rk4`).
    public var integrator: String
    /// Task parameters by name (termination limits, reward, start-state range); the plant model says which.
    public var task: [String: Double]
    /// Episode length limit in control steps (truncation, not termination).
    public var maxEpisodeSteps: Int
    /// Sensor channels in observation order.
    public var sensors: [ChannelSpec]
    /// Actuator channels in action order.
    public var actuators: [ChannelSpec]
    /// How policy actions map onto the actuators.
    public var actionSpace: ActionSpace
    /// The YAML text the description was loaded from (recorded in policy files as provenance).
    public var sourceText: String
    /// Integration steps per control period (`physics_substeps`, default 1).
    public var physicsSubsteps: Int
    /// How each sensor channel is measured (quantization, noise, latency, raw encoding), parallel to `sensors`.
    public var sensorModels: [SensorModel]
    /// How each actuator channel responds (deadzone, rate limit, latency), parallel to `actuators`.
    public var actuatorModels: [ActuatorModel]
    /// Domain-randomization ranges for numeric physics and task parameters, sorted by key path.
    public var randomization: [ParameterRange]
    /// The robot's camera (`camera:`): native frame, mount and preprocessing; nil for robots without one.
    public var camera: CameraSpec?

    public init(
        name: String, simulator: String, summary: String, controlPeriod: Double, physics: [String: Double],
        integrator: String, task: [String: Double], maxEpisodeSteps: Int, sensors: [ChannelSpec],
        actuators: [ChannelSpec], actionSpace: ActionSpace, sourceText: String = "", physicsSubsteps: Int = 1,
        sensorModels: [SensorModel]? = nil, actuatorModels: [ActuatorModel]? = nil, randomization: [ParameterRange] = [],
        camera: CameraSpec? = nil
    ) {
        self.name = name
        self.simulator = simulator
        self.summary = summary
        self.controlPeriod = controlPeriod
        self.physics = physics
        self.integrator = integrator
        self.task = task
        self.maxEpisodeSteps = maxEpisodeSteps
        self.sensors = sensors
        self.actuators = actuators
        self.actionSpace = actionSpace
        self.sourceText = sourceText
        self.physicsSubsteps = physicsSubsteps
        self.sensorModels = sensorModels ?? Array(repeating: SensorModel(), count: sensors.count)
        self.actuatorModels = actuatorModels ?? Array(repeating: ActuatorModel(), count: actuators.count)
        self.randomization = randomization
        self.camera = camera
    }
}
