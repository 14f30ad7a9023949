import Foundation
import ReflexCore
import XCTest

/// Strict loading of robot descriptions: each class of mistake is refused with file, key path and problem.
final class RobotDescriptionLoadingTests: XCTestCase {
    static let file = "simulators/cartpole.yaml"

    /// A valid cartpole description (the bundled file without its comments).
    static let valid = """
        schema: 1
        name: cartpole
        summary: test cart-pole
        simulator: cartpole
        control_period: 0.02
        integrator: euler
        physics:
          gravity: 9.8
          cart_mass: 1.0
          pole_mass: 0.1
          pole_half_length: 0.5
          force_magnitude: 10.0
        task:
          x_threshold: 2.4
          theta_threshold: 0.20943951023931953
          reward_per_step: 1.0
          initial_state_range: 0.05
        episode:
          max_steps: 500
        sensors:
          - {name: cart_position, unit: m, min: -4.8, max: 4.8}
          - {name: cart_velocity, unit: m/s, min: -.inf, max: .inf}
          - {name: pole_angle, unit: rad, min: -0.418879, max: 0.418879}
          - {name: pole_angular_velocity, unit: rad/s, min: -.inf, max: .inf}
        actuators:
          - {name: cart_force, unit: N, min: -10.0, max: 10.0, safe: 0.0}
        actions:
          discrete:
            - {name: push_left, values: [-10.0]}
            - {name: push_right, values: [10.0]}

        """

    /// The valid text with `old` replaced by `new` (which must occur exactly once).
    private func variant(_ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let parts = Self.valid.components(separatedBy: old)
        XCTAssertEqual(parts.count, 2, "'\(old)' should occur once in the valid text", file: file, line: line)
        return parts.joined(separator: new)
    }

    /// Asserts that parsing fails with `.invalidDescription` and a message starting with the file name and
    /// containing each of `fragments` (key path and problem).
    private func assertInvalid(
        _ yaml: String, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try RobotDescription.parse(yaml: yaml, file: Self.file), file: file, line: line) { error in
            guard let error = error as? ReflexError else {
                return XCTFail("expected ReflexError, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.code, .invalidDescription, file: file, line: line)
            XCTAssertTrue(error.message.hasPrefix(Self.file + ": "), "no file name: \(error.message)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(error.message.contains(fragment), "'\(fragment)' not in: \(error.message)", file: file, line: line)
            }
        }
    }

    func testValidDescriptionParses() throws {
        let d = try RobotDescription.parse(yaml: Self.valid, file: Self.file)
        XCTAssertEqual(d.name, "cartpole")
        XCTAssertEqual(d.simulator, "cartpole")
        XCTAssertEqual(d.controlPeriod, 0.02)
        XCTAssertEqual(d.integrator, "euler")
        XCTAssertEqual(d.physics["cart_mass"], 1.0)
        XCTAssertEqual(d.task["theta_threshold"], 12 * 2 * Double.pi / 360)
        XCTAssertEqual(d.maxEpisodeSteps, 500)
        XCTAssertEqual(d.sensors.map(\.name), ["cart_position", "cart_velocity", "pole_angle", "pole_angular_velocity"])
        XCTAssertEqual(d.sensors[1].min, -.infinity)
        XCTAssertEqual(d.sensors[1].max, .infinity)
        XCTAssertEqual(d.sensors[2].unit, "rad")
        XCTAssertNil(d.sensors[0].safeValue)
        XCTAssertEqual(d.actuators, [ChannelSpec(name: "cart_force", unit: "N", min: -10, max: 10, safeValue: 0)])
        XCTAssertEqual(d.actionSpace, .discrete(choices: [[-10], [10]]))
        XCTAssertEqual(d.sourceText, Self.valid)
    }

    func testContinuousActions() throws {
        let yaml = variant(
            "  discrete:\n    - {name: push_left, values: [-10.0]}\n    - {name: push_right, values: [10.0]}",
            "  continuous: {low: [-5], high: [5]}")
        XCTAssertEqual(try RobotDescription.parse(yaml: yaml, file: Self.file).actionSpace, .continuous(low: [-5], high: [5]))
    }

    // MARK: unknown keys

    func testUnknownTopLevelKey() {
        assertInvalid(variant("schema: 1\n", "schema: 1\ncolour: red\n"), ": colour: unknown key (known: schema, name,")
    }

    func testUnknownPhysicsKey() {
        assertInvalid(
            variant("cart_mass: 1.0", "cart_mas: 1.0"),
            "simulators/cartpole.yaml: physics.cart_mas: unknown key (known: gravity, cart_mass, pole_mass")
    }

    func testUnknownTaskKey() {
        assertInvalid(variant("reward_per_step: 1.0", "reward_per_step: 1.0\n  friction: 0.1"), ": task.friction: unknown key")
    }

    func testUnknownChannelKey() {
        assertInvalid(
            variant("{name: cart_velocity, unit: m/s,", "{name: cart_velocity, units: m/s, unit: m/s,"),
            ": sensors[1].units: unknown key (known: name, unit, min, max, resolution, noise, latency_ticks, raw)")
        // Sensors have no safe value.
        assertInvalid(variant("max: 4.8}", "max: 4.8, safe: 0}"), ": sensors[0].safe: unknown key")
    }

    func testUnknownActionKey() {
        assertInvalid(variant("{name: push_right, values: [10.0]}", "{name: push_right, value: [10.0]}"),
                      ": actions.discrete[1].value: unknown key (known: name, values)")
        assertInvalid(variant("  discrete:", "  discret:"), ": actions.discret: unknown key (known: discrete, continuous)")
    }

    // MARK: missing fields

    func testMissingFields() {
        assertInvalid(variant("summary: test cart-pole\n", ""), ": summary: missing field")
        assertInvalid(variant("  gravity: 9.8\n", ""), ": physics.gravity: missing field")
        assertInvalid(variant("  initial_state_range: 0.05\n", ""), ": task.initial_state_range: missing field")
        assertInvalid(variant("{name: pole_angle, unit: rad, ", "{name: pole_angle, "), ": sensors[2].unit: missing field")
        assertInvalid(variant(", safe: 0.0}", "}"), ": actuators[0].safe: missing field")
        assertInvalid(variant("episode:\n  max_steps: 500\n", "episode: {}\n"), ": episode.max_steps: missing field")
    }

    func testActionsNeedExactlyOneKind() {
        assertInvalid(
            variant("  discrete:", "  continuous: {low: [-1], high: [1]}\n  discrete:"),
            ": actions: give exactly one of: discrete, continuous")
    }

    // MARK: wrong types

    func testWrongTypes() {
        assertInvalid(variant("control_period: 0.02", "control_period: fast"), ": control_period: wrong type, expected a number")
        assertInvalid(variant("max_steps: 500", "max_steps: 500.5"), ": episode.max_steps: wrong type, expected an integer")
        assertInvalid(variant("gravity: 9.8", "gravity: [9.8]"), ": physics.gravity: wrong type")
        assertInvalid(variant("values: [10.0]", "values: 10.0"), ": actions.discrete[1].values: wrong type, expected a list")
        assertInvalid(variant("min: -4.8,", "min: low,"), ": sensors[0].min: wrong type, expected a number")
        assertInvalid(variant("episode:\n  max_steps: 500", "episode: 500"), ": episode: wrong type, expected a mapping")
        assertInvalid("just a string\n", ": (top level): wrong type, expected a mapping")
    }

    // MARK: values out of range

    func testOutOfRangeValues() {
        assertInvalid(
            variant("cart_mass: 1.0", "cart_mass: -1"), "simulators/cartpole.yaml: physics.cart_mass: must be > 0, got -1")
        assertInvalid(variant("pole_half_length: 0.5", "pole_half_length: 0"), ": physics.pole_half_length: must be > 0, got 0")
        assertInvalid(variant("gravity: 9.8", "gravity: .nan"), ": physics.gravity: must be a finite number, got nan")
        assertInvalid(variant("control_period: 0.02", "control_period: 0"), ": control_period: must be > 0 (seconds), got 0")
        assertInvalid(variant("control_period: 0.02", "control_period: -0.01"), ": control_period: must be > 0 (seconds), got -0.01")
        assertInvalid(variant("max_steps: 500", "max_steps: 0"), ": episode.max_steps: must be > 0, got 0")
        assertInvalid(variant("initial_state_range: 0.05", "initial_state_range: -0.05"), ": task.initial_state_range: must be ≥ 0, got -0.05")
    }

    func testChannelRanges() {
        assertInvalid(variant("min: -4.8, max: 4.8", "min: 5, max: 4.8"), ": sensors[0].min: min (5) must be ≤ max (4.8)")
        assertInvalid(variant("min: -10.0, max: 10.0", "min: -.inf, max: 10.0"), ": actuators[0].min: must be a finite number, got -inf")
        assertInvalid(variant("safe: 0.0", "safe: 11"), ": actuators[0].safe: safe value 11 is outside the range -10…10")
        assertInvalid(variant("unit: N,", "unit: '',"), ": actuators[0].unit: must not be empty")
        assertInvalid(variant("{name: cart_velocity,", "{name: Cart Velocity,"), ": sensors[1].name: must be a lowercase name")
    }

    func testActionValues() {
        assertInvalid(variant("values: [-10.0]", "values: [-12]"), ": actions.discrete[0].values[0]: -12 is outside cart_force's range -10…10")
        assertInvalid(variant("values: [-10.0]", "values: [-10, 0]"), ": actions.discrete[0].values: expected 1 value(s), one per actuator, got 2")
        assertInvalid(variant("values: [-10.0]", "values: []"), ": actions.discrete[0].values: expected 1 value(s)")
        assertInvalid(variant("name: push_right", "name: push_left"), ": actions.discrete[1].name: duplicate action name 'push_left'")
        assertInvalid(variant("  discrete:\n    - {name: push_left, values: [-10.0]}\n    - {name: push_right, values: [10.0]}",
                              "  discrete: []"), ": actions.discrete: must list at least one action")
        assertInvalid(variant("  discrete:\n    - {name: push_left, values: [-10.0]}\n    - {name: push_right, values: [10.0]}",
                              "  continuous: {low: [5], high: [-5]}"), ": actions.continuous.low[0]: must be ≤ high (-5), got 5")
    }

    func testUnknownSimulatorIntegratorSchema() {
        assertInvalid(variant("simulator: cartpole", "simulator: walker"), ": simulator: unknown simulator 'walker' (known: cartpole")
        assertInvalid(variant("integrator: euler", "integrator: rk4"),
                      ": integrator: unsupported integrator 'rk4' for cartpole (supported: euler, semi-implicit-euler)")
        assertInvalid(variant("schema: 1", "schema: 2"), ": schema: unsupported schema 2 (supported: 1)")
        // An unsupported schema is reported before the keys it may have added.
        assertInvalid(variant("schema: 1\n", "schema: 2\nwheels: 4\n"), ": schema: unsupported schema 2")
        assertInvalid(variant("schema: 1\n", ""), ": schema: missing field")
    }

    func testDuplicateChannelNames() {
        assertInvalid(variant("{name: cart_velocity,", "{name: cart_position,"),
                      ": sensors[1].name: duplicate channel name 'cart_position' (also sensors[0])")
        assertInvalid(
            variant("safe: 0.0}\n", "safe: 0.0}\n  - {name: cart_force, unit: N, min: -1, max: 1, safe: 0}\n"),
            ": actuators[1].name: duplicate channel name 'cart_force' (also actuators[0])")
    }

    func testYAMLSyntaxErrors() {
        assertInvalid(variant("  cart_mass: 1.0", "  cart_mass: [1.0"), "YAML syntax error", "line ")
        assertInvalid(variant("  pole_mass: 0.1", "  pole_mass: 0.1\n  gravity: 9.7"), "duplicate key", "gravity")
        assertInvalid(variant("physics:\n", "physics:\n\t"), "line ")
    }

    func testNameMustMatchFileName() {
        XCTAssertThrowsError(try RobotDescription.parse(yaml: Self.valid, file: "simulators/other.yaml")) { error in
            XCTAssertEqual((error as? ReflexError)?.message,
                           "simulators/other.yaml: name: 'cartpole' does not match the file name 'other.yaml'")
        }
        // A label that is not a file name is not checked.
        XCTAssertNoThrow(try RobotDescription.parse(yaml: Self.valid, file: "<test>"))
    }

    // MARK: bundled descriptions

    func testBundledCartPole() throws {
        XCTAssertTrue(RobotDescription.bundledNames().contains("cartpole"), "\(RobotDescription.bundledNames())")
        let d = try RobotDescription.bundled(named: "cartpole")
        let reference = try RobotDescription.parse(yaml: Self.valid, file: Self.file)
        XCTAssertEqual(d.physics, reference.physics)
        XCTAssertEqual(d.task, reference.task)
        XCTAssertEqual(d.sensors, reference.sensors)
        XCTAssertEqual(d.actuators, reference.actuators)
        XCTAssertEqual(d.actionSpace, reference.actionSpace)
        XCTAssertEqual(d.controlPeriod, reference.controlPeriod)
        XCTAssertEqual(d.maxEpisodeSteps, reference.maxEpisodeSteps)
        XCTAssertEqual(d.integrator, reference.integrator)
    }

    func testBundledRefusesUnknownRobot() {
        XCTAssertThrowsError(try RobotDescription.bundled(named: "walker")) { error in
            let error = error as? ReflexError
            XCTAssertEqual(error?.code, .unknownRobot)
            XCTAssertTrue(error?.message.hasPrefix("no robot named 'walker' (bundled: ") ?? false, "\(String(describing: error))")
            XCTAssertTrue(error?.message.contains("cartpole") ?? false)
        }
        XCTAssertThrowsError(try RobotDescription.bundled(named: "../Package")) { error in
            XCTAssertEqual((error as? ReflexError)?.code, .unknownRobot)
        }
    }

    func testSimulatorsDirectoryFromEnvironment() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-sim-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer {
            unsetenv("REFLEX_SIMULATORS")
            try? FileManager.default.removeItem(at: dir)
        }
        try Self.valid.replacingOccurrences(of: "name: cartpole", with: "name: toy")
            .write(to: dir.appendingPathComponent("toy.yaml"), atomically: true, encoding: .utf8)
        setenv("REFLEX_SIMULATORS", dir.path, 1)
        XCTAssertEqual(RobotDescription.bundledNames(), ["toy"])
        XCTAssertEqual(try RobotDescription.bundled(named: "toy").name, "toy")
        XCTAssertThrowsError(try RobotDescription.bundled(named: "cartpole")) { error in
            XCTAssertEqual((error as? ReflexError)?.message, "no robot named 'cartpole' (bundled: toy)")
        }
    }

    func testLoadReportsMissingFile() {
        XCTAssertThrowsError(try RobotDescription.load(path: "/nonexistent/cartpole.yaml")) { error in
            XCTAssertEqual((error as? ReflexError)?.code, .io)
            XCTAssertTrue((error as? ReflexError)?.message.hasPrefix("/nonexistent/cartpole.yaml: ") ?? false)
        }
    }
}
