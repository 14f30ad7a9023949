/// What the description loader knows about each bundled plant model: the physics and task keys it
/// reads (all required), their units and limits, and the integrators it implements.
///
/// The loader lives in ReflexCore and cannot see the plant models in `Simulation`, so the keys are
/// listed here; each model's `init(description:)` checks again for the keys it uses.
struct SimulatorSchema: Sendable {
    /// One named parameter: SI unit (for messages and the README) and the values it may take.
    struct Parameter: Sendable {
        enum Rule: Sendable {
            /// A finite number > 0.
            case positive
            /// A finite number ≥ 0.
            case nonNegative
            /// Any finite number.
            case finite
        }

        let name: String
        let unit: String
        let rule: Rule
    }

    let name: String
    let physics: [Parameter]
    let task: [Parameter]
    /// Supported `integrator` values; the first is the reference model's.
    let integrators: [String]

    /// Known simulators by name.
    static let all: [String: SimulatorSchema] = [
        "cartpole": SimulatorSchema(
            name: "cartpole",
            physics: [
                Parameter(name: "gravity", unit: "m/s²", rule: .nonNegative),
                Parameter(name: "cart_mass", unit: "kg", rule: .positive),
                Parameter(name: "pole_mass", unit: "kg", rule: .positive),
                Parameter(name: "pole_half_length", unit: "m", rule: .positive),
                Parameter(name: "force_magnitude", unit: "N", rule: .positive),
            ],
            task: [
                Parameter(name: "x_threshold", unit: "m", rule: .positive),
                Parameter(name: "theta_threshold", unit: "rad", rule: .positive),
                Parameter(name: "reward_per_step", unit: "1", rule: .finite),
                Parameter(name: "initial_state_range", unit: "SI per component", rule: .nonNegative),
            ],
            integrators: ["euler", "semi-implicit-euler"]
        ),
    ]

    /// Names of the known simulators, sorted.
    static var names: [String] { all.keys.sorted() }
}
