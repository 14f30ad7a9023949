import CAllocationCounter
import NeuralNet
import PolicyRuntime
import ReflexCore
import XCTest

/// The deployed inference path runs one observation with zero heap allocations per call, counted by an
/// interposed malloc (CAllocationCounter), for every head a policy file can have.
final class InferenceAllocationTests: XCTestCase {
    func policy(head: PolicyArchitecture.Head, normalized: Bool) throws -> MLPPolicy {
        let outputs = head == .categorical ? 2 : 1
        let architecture = PolicyArchitecture(inputSize: 3, hiddenSizes: [64, 64], outputSize: outputs, activation: .tanh, head: head)
        var rng = SeededGenerator(seed: 3)
        var weights: [String: Tensor] = [:]
        for (name, shape) in architecture.expectedTensors {
            weights[name] = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(rng.uniform(-0.3, 0.3)) })
        }
        let sensors = (0..<3).map { ChannelSpec(name: "s\($0)", unit: "1", min: -10, max: 10) }
        let actuator = ChannelSpec(name: "torque", unit: "N·m", min: -2, max: 2, safeValue: 0)
        let actions: ActionSpace = head == .categorical ? .discrete(choices: [[-2], [2]]) : .continuous(low: [-2], high: [2])
        let file = PolicyFile(
            architecture: architecture, weights: weights,
            observationNormalization: normalized ? ObservationNormalization(mean: [0, 0, 1], variance: [1, 1, 4]) : nil,
            observationChannels: sensors, actuatorChannels: [actuator], actionSpace: actions,
            provenance: Provenance(
                robot: "test", algorithm: "ppo", seed: 1, envSteps: 0, meanReturn: 0, evaluationEpisodes: 0,
                trainingSeconds: 0, date: "", reflexVersion: ReflexVersion.current, command: "", robotDescription: ""))
        return try MLPPolicy(file: file)
    }

    func testActDoesNotAllocate() throws {
        for (head, normalized) in [(PolicyArchitecture.Head.categorical, false), (.gaussian, true), (.squashedGaussian, true)] {
            let p = try policy(head: head, normalized: normalized)
            var observation: [Float] = [0.3, -0.2, 1.5]
            var actuators: [Float] = [0]
            let allocations: UInt64 = observation.withUnsafeMutableBufferPointer { o in
                actuators.withUnsafeMutableBufferPointer { a in
                    p.act(observation: UnsafeBufferPointer(o), actuators: a)  // warm-up
                    allocation_counter_start()
                    for i in 0..<1_000 {
                        o[2] = Float(i) * 0.001
                        p.act(observation: UnsafeBufferPointer(o), actuators: a)
                    }
                    return allocation_counter_stop()
                }
            }
            XCTAssertEqual(allocations, 0, "\(head) head allocated \(allocations) times in 1,000 calls")
            XCTAssertTrue(actuators[0] >= -2 && actuators[0] <= 2)
        }
    }

    /// Observation features (cos/sin, wrap-aware velocity) and their frame stack are computed in place,
    /// across episode resets as well.
    func testActWithObservationFeaturesDoesNotAllocate() throws {
        let p = try MLPPolicy(file: Fixtures.featurePolicy())
        var reading: [Float] = [10, -1020]
        var actuators: [Float] = [0]
        let allocations: UInt64 = reading.withUnsafeMutableBufferPointer { r in
            actuators.withUnsafeMutableBufferPointer { a in
                p.act(observation: UnsafeBufferPointer(r), actuators: a)  // warm-up
                allocation_counter_start()
                for i in 0..<1_000 {
                    r[1] = Float((i * 37) % 2048 - 1024)
                    if i % 100 == 99 { p.reset() }
                    p.act(observation: UnsafeBufferPointer(r), actuators: a)
                }
                return allocation_counter_stop()
            }
        }
        XCTAssertEqual(allocations, 0, "a policy with observation features allocated \(allocations) times in 1,000 calls")
        XCTAssertTrue(actuators[0] >= -10 && actuators[0] <= 10)
    }

    /// The counter does count: an array built inside the window is seen.
    func testCounterSeesAnAllocation() {
        allocation_counter_start()
        let array = [Float](repeating: 1, count: Int.random(in: 100...200))
        let count = allocation_counter_stop()
        XCTAssertGreaterThan(count, 0)
        XCTAssertGreaterThan(array.count, 0)
    }
}
