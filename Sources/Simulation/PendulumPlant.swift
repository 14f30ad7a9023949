import ReflexCore

/// Pendulum served as hardware: the actuator is the hinge torque in N·m.
public struct PendulumPlant: SimulatedPlant {
    public let model: PendulumModel
    public var state = PendulumState()
    public let sensors: [ChannelSpec]
    public let actuators: [ChannelSpec]

    public init(model: PendulumModel, sensors: [ChannelSpec] = PendulumModel.sensorChannels, actuators: [ChannelSpec]? = nil) {
        self.model = model
        self.sensors = sensors
        self.actuators = actuators ?? [
            ChannelSpec(name: "hinge_torque", unit: "N·m", min: -model.maxTorque, max: model.maxTorque, safeValue: 0),
        ]
    }

    public var period: Double { model.dt }

    public mutating func reset(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        state = Pendulum.initialState(model, using: &rng)
    }

    public mutating func step(actuators values: UnsafeBufferPointer<Float>) {
        var torque = values[0]
        if !torque.isFinite { torque = Float(actuators[0].safeValue ?? 0) }
        torque = min(max(torque, Float(actuators[0].min)), Float(actuators[0].max))
        Pendulum.step(model, &state, torque: torque)
    }

    public func observe(into values: UnsafeMutableBufferPointer<Float>) {
        Pendulum.observe(state, into: values.baseAddress!)
    }

    /// The pendulum task has no failure state: it runs until the episode limit.
    public var hasFailed: Bool { false }
}
