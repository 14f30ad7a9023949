import ReflexCore

/// Judges, from a device's sensor values alone, whether a robot's task has failed — what `reflex run`
/// reports as the outcome on real hardware, where there is no simulator state to ask.
///
/// The rule comes from the robot description: for the cart-poles, the cart position and pole angle
/// channels (physical values, or encoder counts converted with the channel's `raw` scale) against
/// `task.x_threshold` and `task.theta_threshold`. Robots without such a rule have no monitor.
public struct TaskMonitor: Sendable {
    struct Limit: Sendable {
        var channel: Int
        /// physical = offset + value × scale
        var scale: Double
        var offset: Double
        var bound: Double
    }

    let limits: [Limit]

    /// A monitor for `description`'s task, or nil when the description states no failure rule that
    /// can be read off its sensors.
    public init?(description d: RobotDescription) {
        let rules: [(names: [String], key: String)]
        switch d.simulator {
        case "cartpole", "cartpole-rig":
            rules = [(["cart_position", "cart_encoder"], "x_threshold"), (["pole_angle", "pole_encoder"], "theta_threshold")]
        default:
            return nil
        }
        var limits: [Limit] = []
        for rule in rules {
            guard let bound = d.task[rule.key],
                  let channel = d.sensors.firstIndex(where: { rule.names.contains($0.name) })
            else { return nil }
            let raw = channel < d.sensorModels.count ? d.sensorModels[channel].raw : nil
            limits.append(Limit(channel: channel, scale: raw?.scale ?? 1, offset: raw?.offset ?? 0, bound: bound))
        }
        self.limits = limits
    }

    /// The task has failed given these sensor values (in the description's channel order). Non-finite
    /// values are ignored.
    public func hasFailed(_ sensors: UnsafeBufferPointer<Float>) -> Bool {
        for limit in limits where limit.channel < sensors.count {
            let physical = limit.offset + Double(sensors[limit.channel]) * limit.scale
            // A non-finite reading is a sensor fault (the safety filter handles it), not evidence that the
            // task failed: judge only real numbers.
            if physical.isFinite && abs(physical) > limit.bound { return true }
        }
        return false
    }

    public func hasFailed(_ sensors: [Float]) -> Bool {
        sensors.withUnsafeBufferPointer { hasFailed($0) }
    }
}
