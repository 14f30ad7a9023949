import ReflexCore

/// A plant advanced in real units, one control period at a time: actuator values in, sensor values out.
///
/// This is the face a plant shows to anything that serves it as hardware (the virtual robot, a
/// simulated device, the firmware-in-the-loop harness): no discrete actions, no rewards, just the
/// channels of the robot description.
public protocol SimulatedPlant {
    var sensors: [ChannelSpec] { get }
    var actuators: [ChannelSpec] { get }
    /// Seconds per `step`.
    var period: Double { get }
    /// Puts the plant in a start state drawn from `seed`.
    mutating func reset(seed: UInt64)
    /// Advances one period holding the actuator values (`actuators.count`, clamped to their ranges).
    mutating func step(actuators values: UnsafeBufferPointer<Float>)
    /// Writes the current sensor values (`sensors.count`).
    func observe(into values: UnsafeMutableBufferPointer<Float>)
    /// The task's failure condition holds (CartPole: the pole fell or the cart left the track).
    var hasFailed: Bool { get }
}

/// CartPole served as hardware: the actuator is the horizontal force on the cart in newtons.
public struct CartPolePlant: SimulatedPlant {
    public let model: CartPoleModel
    public var state = CartPoleState()
    public let sensors: [ChannelSpec]
    public let actuators: [ChannelSpec]

    public init(model: CartPoleModel, sensors: [ChannelSpec] = CartPoleModel.sensorChannels, actuators: [ChannelSpec]? = nil) {
        self.model = model
        self.sensors = sensors
        self.actuators = actuators ?? [
            ChannelSpec(name: "cart_force", unit: "N", min: -model.forceMagnitude, max: model.forceMagnitude, safeValue: 0),
        ]
    }

    public var period: Double { model.tau }

    public mutating func reset(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        state = CartPole.initialState(model, using: &rng)
    }

    public mutating func step(actuators values: UnsafeBufferPointer<Float>) {
        var force = Double(values[0])
        if !force.isFinite { force = actuators[0].safeValue ?? 0 }
        force = min(max(force, actuators[0].min), actuators[0].max)
        CartPole.step(model, &state, force: force)
    }

    public func observe(into values: UnsafeMutableBufferPointer<Float>) {
        CartPole.observe(state, into: values.baseAddress!)
    }

    public var hasFailed: Bool { CartPole.isTerminal(model, state) }
}
