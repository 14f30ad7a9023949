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
        /// May be left out (the plant model has a default).
        var optional = false
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
        "pendulum": SimulatorSchema(
            name: "pendulum",
            physics: [
                Parameter(name: "gravity", unit: "m/s²", rule: .nonNegative),
                Parameter(name: "mass", unit: "kg", rule: .positive),
                Parameter(name: "length", unit: "m", rule: .positive),
                Parameter(name: "max_speed", unit: "rad/s", rule: .positive),
                Parameter(name: "max_torque", unit: "N·m", rule: .positive),
            ],
            task: [
                Parameter(name: "initial_angle_range", unit: "rad", rule: .nonNegative),
                Parameter(name: "initial_speed_range", unit: "rad/s", rule: .nonNegative),
            ],
            integrators: ["semi-implicit-euler"]
        ),
        "cartpole-rig": SimulatorSchema(
            name: "cartpole-rig",
            physics: [
                Parameter(name: "gravity", unit: "m/s²", rule: .nonNegative),
                Parameter(name: "cart_mass", unit: "kg", rule: .positive),
                Parameter(name: "pole_mass", unit: "kg", rule: .positive),
                Parameter(name: "pole_half_length", unit: "m", rule: .positive),
                Parameter(name: "pole_damping", unit: "N·m·s/rad", rule: .nonNegative),
                Parameter(name: "cart_viscous_friction", unit: "N·s/m", rule: .nonNegative),
                Parameter(name: "cart_coulomb_friction", unit: "N", rule: .nonNegative),
                Parameter(name: "supply_voltage", unit: "V", rule: .positive),
                Parameter(name: "motor_torque_constant", unit: "N·m/A", rule: .positive),
                Parameter(name: "motor_back_emf_constant", unit: "V·s/rad", rule: .positive),
                Parameter(name: "motor_resistance", unit: "Ω", rule: .positive),
                Parameter(name: "motor_inertia", unit: "kg·m²", rule: .nonNegative),
                Parameter(name: "pulley_radius", unit: "m", rule: .positive),
            ],
            task: [
                Parameter(name: "x_threshold", unit: "m", rule: .positive),
                Parameter(name: "theta_threshold", unit: "rad", rule: .positive),
                Parameter(name: "initial_position_range", unit: "m", rule: .nonNegative),
                Parameter(name: "initial_angle_range", unit: "rad", rule: .nonNegative),
                Parameter(name: "control_cost", unit: "1", rule: .nonNegative),
            ],
            integrators: ["rk4"]
        ),
        "furuta": SimulatorSchema(
            name: "furuta",
            physics: [
                Parameter(name: "gravity", unit: "m/s²", rule: .nonNegative),
                Parameter(name: "arm_mass", unit: "kg", rule: .positive),
                Parameter(name: "arm_length", unit: "m", rule: .positive),
                Parameter(name: "pendulum_mass", unit: "kg", rule: .positive),
                Parameter(name: "pendulum_length", unit: "m", rule: .positive),
                Parameter(name: "arm_damping", unit: "N·m·s/rad", rule: .nonNegative),
                Parameter(name: "pendulum_damping", unit: "N·m·s/rad", rule: .nonNegative),
                Parameter(name: "motor_resistance", unit: "Ω", rule: .positive),
                Parameter(name: "motor_torque_constant", unit: "N·m/A", rule: .positive),
                Parameter(name: "motor_back_emf_constant", unit: "V·s/rad", rule: .positive),
            ],
            task: [
                Parameter(name: "start_angle", unit: "rad", rule: .finite),
                Parameter(name: "start_range", unit: "rad", rule: .nonNegative),
                Parameter(name: "fall_angle", unit: "rad", rule: .positive),
                Parameter(name: "arm_limit", unit: "rad", rule: .positive),
                Parameter(name: "arm_cost", unit: "1/rad²", rule: .nonNegative),
                Parameter(name: "control_cost", unit: "1", rule: .nonNegative),
            ],
            integrators: ["rk4"]
        ),
        "diffdrive": SimulatorSchema(
            name: "diffdrive",
            physics: [
                Parameter(name: "wheel_radius", unit: "m", rule: .positive),
                Parameter(name: "axle_width", unit: "m", rule: .positive),
                Parameter(name: "wheel_inertia", unit: "kg·m²", rule: .positive),
                Parameter(name: "wheel_damping", unit: "N·m·s/rad", rule: .nonNegative),
                Parameter(name: "supply_voltage", unit: "V", rule: .positive),
                Parameter(name: "motor_torque_constant", unit: "N·m/A", rule: .positive),
                Parameter(name: "motor_back_emf_constant", unit: "V·s/rad", rule: .positive),
                Parameter(name: "motor_resistance", unit: "Ω", rule: .positive),
                Parameter(name: "gear_ratio", unit: "1", rule: .positive),
                Parameter(name: "sensor_offset", unit: "m", rule: .finite),
                Parameter(name: "sensor_spacing", unit: "m", rule: .positive),
                Parameter(name: "line_width", unit: "m", rule: .positive),
                Parameter(name: "line_amplitude", unit: "m", rule: .nonNegative),
                Parameter(name: "line_wavelength", unit: "m", rule: .positive),
                Parameter(name: "floor_reflectance", unit: "1", rule: .nonNegative),
                Parameter(name: "line_reflectance", unit: "1", rule: .nonNegative),
                // Floor appearance for the rendered camera (Vision): light level, its linear gradient across
                // the floor, and the floor texture's contrast.
                Parameter(name: "light_level", unit: "1", rule: .positive, optional: true),
                Parameter(name: "light_gradient", unit: "1", rule: .nonNegative, optional: true),
                Parameter(name: "floor_texture", unit: "1", rule: .nonNegative, optional: true),
            ],
            task: [
                Parameter(name: "max_line_offset", unit: "m", rule: .positive),
                Parameter(name: "initial_offset_range", unit: "m", rule: .nonNegative),
                Parameter(name: "initial_heading_range", unit: "rad", rule: .nonNegative),
                Parameter(name: "progress_reward", unit: "1/m", rule: .finite),
                Parameter(name: "control_cost", unit: "1", rule: .nonNegative),
                // Closed tracks (track: 1), drawn per episode; see simulators/README.md.
                Parameter(name: "track", unit: "0 sine line, 1 closed tracks", rule: .nonNegative, optional: true),
                Parameter(name: "track_radius", unit: "m", rule: .positive, optional: true),
                Parameter(name: "track_wobble", unit: "1", rule: .nonNegative, optional: true),
                Parameter(name: "track_min_bend_radius", unit: "m", rule: .nonNegative, optional: true),
                Parameter(name: "line_width_variation", unit: "1", rule: .nonNegative, optional: true),
            ],
            integrators: ["rk4"]
        ),
    ]

    /// Names of the known simulators, sorted.
    static var names: [String] { all.keys.sorted() }
}
