import Foundation
import ReflexCore
import XCTest

/// Schema 1's hardware fields: sensor measurement models, raw encodings, actuator responses,
/// sub-steps and randomization ranges — loaded, and refused with file, key path and problem.
final class SchemaV1Tests: XCTestCase {
    static let file = "simulators/rig.yaml"

    static let valid = """
        schema: 1
        name: rig
        summary: test rig
        simulator: cartpole-rig
        control_period: 0.01
        physics_substeps: 10
        integrator: rk4
        physics:
          gravity: 9.81
          cart_mass: 0.45
          pole_mass: 0.08
          pole_half_length: 0.15
          pole_damping: 0.0005
          cart_viscous_friction: 0.8
          cart_coulomb_friction: 0.3
          supply_voltage: 12.0
          motor_torque_constant: 0.028
          motor_back_emf_constant: 0.028
          motor_resistance: 1.5
          motor_inertia: 2.0e-6
          pulley_radius: 0.00637
        task:
          x_threshold: 0.3
          theta_threshold: 0.35
          initial_position_range: 0.05
          initial_angle_range: 0.05
          control_cost: 0.01
        episode:
          max_steps: 1000
        sensors:
          - {name: cart_encoder, unit: counts, min: -25000, max: 25000, latency_ticks: 2,
             raw: {encoding: quadrature, scale: 1.9543e-05, unit: m}}
          - {name: pole_encoder, unit: counts, min: -1024, max: 1024, noise: 0.5,
             raw: {encoding: quadrature, scale: 0.0030679615757712823, unit: rad, offset: 3.14, wrap: 2048}}
        actuators:
          - {name: motor_duty, unit: "1", min: -1.0, max: 1.0, safe: 0.0, deadzone: 0.06, rate_limit: 20, latency_ticks: 1}
        actions:
          continuous: {low: [-1.0], high: [1.0]}
        randomization:
          physics.pole_mass: [0.07, 0.09]
          task.control_cost: [0.0, 0.02]

        """

    private func variant(_ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let parts = Self.valid.components(separatedBy: old)
        XCTAssertEqual(parts.count, 2, "'\(old)' should occur once in the valid text", file: file, line: line)
        return parts.joined(separator: new)
    }

    private func assertInvalid(_ yaml: String, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try RobotDescription.parse(yaml: yaml, file: Self.file), file: file, line: line) { error in
            guard let error = error as? ReflexError else { return XCTFail("expected ReflexError, got \(error)", file: file, line: line) }
            XCTAssertEqual(error.code, .invalidDescription, file: file, line: line)
            XCTAssertTrue(error.message.hasPrefix(Self.file + ": "), "no file name: \(error.message)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(error.message.contains(fragment), "'\(fragment)' not in: \(error.message)", file: file, line: line)
            }
        }
    }

    func testHardwareFieldsLoad() throws {
        let d = try RobotDescription.parse(yaml: Self.valid, file: Self.file)
        XCTAssertEqual(d.physicsSubsteps, 10)
        XCTAssertEqual(d.sensorModels[0], SensorModel(latencyTicks: 2, raw: RawEncoding(kind: .quadrature, scale: 1.9543e-05, unit: "m")))
        XCTAssertEqual(d.sensorModels[1].noise, 0.5)
        XCTAssertEqual(d.sensorModels[1].raw?.wrap, 2048)
        XCTAssertEqual(d.sensorModels[1].raw?.offset, 3.14)
        XCTAssertEqual(d.actuatorModels, [ActuatorModel(deadzone: 0.06, rateLimit: 20, latencyTicks: 1)])
        XCTAssertEqual(d.randomization, [
            ParameterRange(section: .physics, name: "pole_mass", low: 0.07, high: 0.09),
            ParameterRange(section: .task, name: "control_cost", low: 0, high: 0.02),
        ])
    }

    func testOptionalFieldsDefaultToAnIdealRobot() throws {
        let d = try RobotDescription.bundled(named: "cartpole")
        XCTAssertEqual(d.physicsSubsteps, 1)
        XCTAssertEqual(d.sensorModels, Array(repeating: SensorModel(), count: 4))
        XCTAssertTrue(d.sensorModels.allSatisfy(\.isIdeal))
        XCTAssertEqual(d.actuatorModels, [ActuatorModel()])
        XCTAssertEqual(d.randomization, [])
    }

    func testEveryBundledDescriptionLoads() throws {
        let names = RobotDescription.bundledNames()
        for expected in ["cartpole", "cartpole-rig", "furuta", "furuta-balance", "diffdrive"] {
            XCTAssertTrue(names.contains(expected), "\(expected) missing from \(names)")
        }
        for name in names {
            XCTAssertNoThrow(try RobotDescription.bundled(named: name), name)
        }
    }

    func testRawEncodingCounts() {
        let encoder = RawEncoding(kind: .quadrature, scale: 0.5, unit: "rad")
        XCTAssertEqual(encoder.counts(1.2), 2)
        XCTAssertEqual(encoder.counts(-0.1), -1, "a quadrature counter floors")
        let wrapped = RawEncoding(kind: .quadrature, scale: 1, unit: "rad", offset: 10, wrap: 8)
        XCTAssertEqual(wrapped.counts(10), 0)
        XCTAssertEqual(wrapped.counts(13.5), 3)
        XCTAssertEqual(wrapped.counts(14), -4, "wraps into −wrap/2 ..< wrap/2")
        XCTAssertEqual(wrapped.counts(10 - 5), 3)
        let adc = RawEncoding(kind: .adc, scale: 0.01, unit: "V", bits: 8)
        XCTAssertEqual(adc.counts(1.0), 100)
        XCTAssertEqual(adc.counts(9.0), 255, "an adc clamps to its bits")
        XCTAssertEqual(adc.counts(-1.0), 0)
    }

    func testRandomizedDrawsInsideRangesAndIsReproducible() throws {
        let d = try RobotDescription.parse(yaml: Self.valid, file: Self.file)
        var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
        var seen = Set<Double>()
        for _ in 0..<50 {
            let x = d.randomized(using: &a), y = d.randomized(using: &b)
            XCTAssertEqual(x.physics, y.physics)
            let mass = try XCTUnwrap(x.physics["pole_mass"])
            XCTAssertTrue((0.07...0.09).contains(mass), "\(mass)")
            XCTAssertTrue((0...0.02).contains(try XCTUnwrap(x.task["control_cost"])))
            XCTAssertEqual(x.physics["cart_mass"], 0.45, "parameters without a range keep their value")
            seen.insert(mass)
        }
        XCTAssertGreaterThan(seen.count, 40)
    }

    func testUnknownKeysNameTheirPlace() {
        assertInvalid(variant("noise: 0.5,", "noise: 0.5, jitter: 1,"), ": sensors[1].jitter: unknown key")
        assertInvalid(variant("unit: rad, offset", "unit: rad, ofset"), ": sensors[1].raw.ofset: unknown key (known: encoding, scale, unit, offset, wrap, bits)")
        assertInvalid(variant("deadzone: 0.06,", "dead_zone: 0.06,"), ": actuators[0].dead_zone: unknown key")
    }

    func testSensorModelRefusals() {
        assertInvalid(variant("noise: 0.5", "noise: -1"), ": sensors[1].noise: must be ≥ 0 (standard deviation in counts), got -1")
        assertInvalid(variant("latency_ticks: 2", "latency_ticks: -1"), ": sensors[0].latency_ticks: must be 0…1000 control periods, got -1")
        assertInvalid(variant("latency_ticks: 2", "latency_ticks: 1.5"), ": sensors[0].latency_ticks: wrong type, expected an integer")
        assertInvalid(variant("latency_ticks: 2,", "latency_ticks: 2, resolution: 1,"), ": sensors[0].resolution: a channel with a raw encoding is quantized to whole counts")
        assertInvalid(variant("encoding: quadrature, scale: 1.9543e-05", "encoding: hall, scale: 1.9543e-05"),
                      ": sensors[0].raw.encoding: unknown encoding 'hall' (known: quadrature, quadrature-delta, adc)")
        assertInvalid(variant("scale: 1.9543e-05", "scale: 0"), ": sensors[0].raw.scale: must be > 0 (m per count), got 0")
        assertInvalid(variant("wrap: 2048", "wrap: 3"), ": sensors[1].raw.wrap: must be an even count ≥ 2, got 3")
        assertInvalid(variant("{name: cart_encoder, unit: counts,", "{name: cart_encoder, unit: m,"),
                      ": sensors[0].unit: a channel with a raw encoding reports counts")
        assertInvalid(variant("encoding: quadrature, scale: 1.9543e-05", "encoding: adc, scale: 1.9543e-05"),
                      ": sensors[0].raw.bits: missing field, required by encoding adc")
        assertInvalid(variant("encoding: quadrature, scale: 1.9543e-05, unit: m", "encoding: adc, bits: 10, scale: 1.9543e-05, unit: m"),
                      ": sensors[0].min: a 10-bit adc reports 0…1023; the range -25000…25000 does not fit")
        assertInvalid(variant("scale: 1.9543e-05, unit: m}", "scale: 1.9543e-05, unit: m, bits: 12}"), ": sensors[0].raw.bits: only an adc has bits")
    }

    func testActuatorModelRefusals() {
        assertInvalid(variant("deadzone: 0.06", "deadzone: 1.5"), ": actuators[0].deadzone: must be ≥ 0 and below the largest command 1 1, got 1.5")
        assertInvalid(variant("rate_limit: 20", "rate_limit: 0"), ": actuators[0].rate_limit: must be > 0 (1 per second), got 0")
        assertInvalid(variant("safe: 0.0, deadzone: 0.06, rate_limit: 20, latency_ticks: 1", "safe: 0.0, latency_ticks: 5000"),
                      ": actuators[0].latency_ticks: must be 0…1000 control periods, got 5000")
    }

    func testSubstepsAndRandomizationRefusals() {
        assertInvalid(variant("physics_substeps: 10", "physics_substeps: 0"), ": physics_substeps: must be 1…100000")
        assertInvalid(variant("physics.pole_mass: [0.07, 0.09]", "physics.pole_mas: [0.07, 0.09]"),
                      ": randomization.physics.pole_mas: no such parameter (physics: gravity, cart_mass")
        assertInvalid(variant("physics.pole_mass: [0.07, 0.09]", "pole_mass: [0.07, 0.09]"),
                      ": randomization.pole_mass: name a parameter as physics.<name>, task.<name>, sensors.<channel>.noise")
        assertInvalid(variant("physics.pole_mass: [0.07, 0.09]", "physics.pole_mass: [0.09, 0.07]"),
                      ": randomization.physics.pole_mass: expected finite low ≤ high, got [0.09, 0.07]")
        assertInvalid(variant("physics.pole_mass: [0.07, 0.09]", "physics.pole_mass: [0.07]"),
                      ": randomization.physics.pole_mass: expected [low, high] (kg), got 1 value(s)")
        assertInvalid(variant("physics.pole_mass: [0.07, 0.09]", "physics.pole_mass: [-0.1, 0.09]"),
                      ": randomization.physics.pole_mass: pole_mass must stay > 0, but the range starts at -0.1")
        assertInvalid(variant("integrator: rk4", "integrator: euler"), ": integrator: unsupported integrator 'euler' for cartpole-rig (supported: rk4)")
    }

    func testSensorAndActuatorFieldsRandomize() throws {
        let yaml = variant("  task.control_cost: [0.0, 0.02]\n", """
              task.control_cost: [0.0, 0.02]
              sensors.pole_encoder.noise: [0.0, 2.0]
              sensors.cart_encoder.latency_ticks: [0, 3]
              actuators.latency_ticks: [1, 2]
              actuators.motor_duty.deadzone: [0.02, 0.1]

            """)
        let d = try RobotDescription.parse(yaml: yaml, file: Self.file)
        XCTAssertEqual(d.randomization.map(\.keyPath), [
            "actuators.latency_ticks", "actuators.motor_duty.deadzone", "physics.pole_mass",
            "sensors.cart_encoder.latency_ticks", "sensors.pole_encoder.noise", "task.control_cost",
        ])
        var g = SeededGenerator(seed: 1)
        var latencies = Set<Int>()
        for _ in 0..<60 {
            let x = d.randomized(using: &g)
            latencies.insert(x.sensorModels[0].latencyTicks)
            XCTAssertTrue((0...2).contains(x.sensorModels[1].noise))
            XCTAssertTrue([1, 2].contains(x.actuatorModels[0].latencyTicks))
            XCTAssertTrue((0.02...0.1).contains(x.actuatorModels[0].deadzone))
            for range in d.randomization {
                let value = try XCTUnwrap(x.value(of: range), range.keyPath)
                XCTAssertTrue((range.low...range.high).contains(value), "\(range.keyPath) = \(value)")
            }
        }
        XCTAssertEqual(latencies, [0, 1, 2, 3], "whole periods, each end included")
    }

    func testSensorAndActuatorRandomizationRefusals() {
        func with(_ line: String) -> String {
            variant("  task.control_cost: [0.0, 0.02]\n", "  task.control_cost: [0.0, 0.02]\n  \(line)\n")
        }
        assertInvalid(with("sensors.pole.noise: [0, 1]"), ": randomization.sensors.pole.noise: no sensor channel named 'pole' (cart_encoder, pole_encoder)")
        assertInvalid(with("sensors.pole_encoder.scale: [0, 1]"), ": randomization.sensors.pole_encoder.scale: sensors can randomize noise or latency_ticks per channel, not 'scale'")
        assertInvalid(with("sensors.pole_encoder.noise: [-1, 1]"), ": randomization.sensors.pole_encoder.noise: noise must stay ≥ 0")
        assertInvalid(with("sensors.pole_encoder.latency_ticks: [0, 1.5]"), ": randomization.sensors.pole_encoder.latency_ticks: latency ranges are whole control periods in 0…1000")
        assertInvalid(with("actuators.motor_duty.deadzone: [0, 1]"), ": randomization.actuators.motor_duty.deadzone: a deadzone stays in 0 ≤ deadzone < 1")
        assertInvalid(with("actuators.motor_duty.latency_ticks: [0, 1]"), ": randomization.actuators.motor_duty.latency_ticks: actuators can randomize deadzone per channel")
        assertInvalid(with("actuators: [0, 1]"), ": randomization.actuators: name actuators.<channel>.deadzone or actuators.latency_ticks")
    }
}
