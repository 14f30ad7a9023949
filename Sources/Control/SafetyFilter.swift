import ReflexCore

/// Sits between the policy and the device: non-finite values never reach a motor, and actions stay
/// inside the actuator ranges. (Rate limits and e-stop handling arrive with the deployment issue.)
public struct SafetyFilter {
    public let actuators: [ChannelSpec]

    public init(actuators: [ChannelSpec]) { self.actuators = actuators }

    public enum Verdict: Equatable {
        case passed
        case clamped
        /// A non-finite value was replaced by the channel's safe value.
        case replacedNonFinite
    }

    /// Filters `values` in place; returns the most severe thing it did.
    public func apply(_ values: UnsafeMutableBufferPointer<Float>) -> Verdict {
        var verdict = Verdict.passed
        for i in 0..<Swift.min(values.count, actuators.count) {
            let spec = actuators[i]
            let v = values[i]
            if !v.isFinite {
                values[i] = Float(spec.safeValue ?? Swift.min(Swift.max(0, spec.min), spec.max))
                verdict = .replacedNonFinite
            } else if Double(v) < spec.min || Double(v) > spec.max {
                values[i] = Float(Swift.min(Swift.max(Double(v), spec.min), spec.max))
                if verdict == .passed { verdict = .clamped }
            }
        }
        return verdict
    }

    /// Sets every actuator to its safe value.
    public func safeValues(into values: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<Swift.min(values.count, actuators.count) {
            let spec = actuators[i]
            values[i] = Float(spec.safeValue ?? Swift.min(Swift.max(0, spec.min), spec.max))
        }
    }
}
