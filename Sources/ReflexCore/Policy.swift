/// A deterministic sensor-to-actuator mapping, as deployed.
///
/// `act` writes into caller-owned buffers so a control loop can call it every tick without allocating.
public protocol Policy: AnyObject {
    /// Sensor channels the policy reads, in order.
    var observationChannels: [ChannelSpec] { get }
    /// Actuator channels the policy drives, in order.
    var actuatorChannels: [ChannelSpec] { get }
    /// Computes actuator values (`actuatorChannels.count`) from sensor values (`observationChannels.count`).
    func act(observation: UnsafeBufferPointer<Float>, actuators: UnsafeMutableBufferPointer<Float>)
    /// Forgets what earlier readings left behind (stacked frames, the previous reading a velocity is taken
    /// from): the next reading starts afresh. A control loop calls it when a run starts, including after a
    /// reconnect, because the robot kept moving while nobody read it. Must not allocate.
    func reset()
}

extension Policy {
    /// Policies that keep nothing between calls have nothing to forget.
    public func reset() {}
}
