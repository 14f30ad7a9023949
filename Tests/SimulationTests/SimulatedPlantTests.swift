import ReflexCore
import Simulation
import XCTest

/// The plants the virtual robot serves: every bundled robot has one, it reports its description's
/// channels within their ranges, and a plant model served as hardware behaves exactly as its environment.
final class SimulatedPlantTests: XCTestCase {
    func testEveryBundledRobotIsServedWithItsChannels() throws {
        for name in RobotDescription.bundledNames() {
            let d = try RobotDescription.bundled(named: name)
            var plant = try RobotEnvironments.plant(d)
            XCTAssertEqual(plant.sensors, d.sensors, name)
            XCTAssertEqual(plant.actuators, d.actuators, name)
            XCTAssertEqual(plant.period, d.controlPeriod, accuracy: 1e-12, name)
            plant.reset(seed: 3)
            var values = [Float](repeating: .nan, count: d.sensors.count)
            let safe = d.actuators.map { Float($0.safeValue ?? 0) }
            for step in 0..<50 where !plant.hasFailed {
                safe.withUnsafeBufferPointer { plant.step(actuators: $0) }
                values.withUnsafeMutableBufferPointer { plant.observe(into: $0) }
                for (i, v) in values.enumerated() {
                    XCTAssertTrue(Double(v) >= d.sensors[i].min && Double(v) <= d.sensors[i].max,
                                  "\(name) step \(step): \(d.sensors[i].name) = \(v)")
                }
            }
        }
    }

    func testAPlantModelServedAsHardwareMatchesItsEnvironment() throws {
        let d = try RobotDescription.bundled(named: "furuta")
        let model = try FurutaModel(description: d)
        var plant = FurutaPlant(model: model)
        var env = FurutaEnvironment(model: model)
        plant.reset(seed: 8)
        env.reset(to: plant.state)
        var g = SeededGenerator(seed: 2)
        var values: [Float] = [0, 0]
        for _ in 0..<100 {
            let volts = Float(g.uniform(-12, 12))  // beyond the range: both saturate
            [volts].withUnsafeBufferPointer { plant.step(actuators: $0) }
            let result = env.step(.continuous([Double(volts)]))
            values.withUnsafeMutableBufferPointer { plant.observe(into: $0) }
            XCTAssertEqual(values, result.observation)
            XCTAssertEqual(plant.hasFailed, result.terminated)
            if result.terminated { break }
        }
        // A NaN command holds the safe value (0 V), as the firmware's watchdog would.
        var held = plant, zero = plant
        [Float.nan].withUnsafeBufferPointer { held.step(actuators: $0) }
        [Float(0)].withUnsafeBufferPointer { zero.step(actuators: $0) }
        XCTAssertEqual(held.state, zero.state)
    }
}
