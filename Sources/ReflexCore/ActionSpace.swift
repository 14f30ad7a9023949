/// How a policy's output becomes actuator values.
public enum ActionSpace: Codable, Hashable, Sendable {
    /// The policy picks one of `choices.count` actions; choice `i` sets the actuators to `choices[i]`
    /// (one value per actuator channel). CartPole's push left/right is `[[-10], [10]]`.
    case discrete(choices: [[Double]])
    /// The policy emits one value per actuator channel in `low...high` (per channel).
    case continuous(low: [Double], high: [Double])

    /// Number of actuator values one action produces.
    public var actuatorCount: Int {
        switch self {
        case .discrete(let choices): return choices.first?.count ?? 0
        case .continuous(let low, _): return low.count
        }
    }
}
