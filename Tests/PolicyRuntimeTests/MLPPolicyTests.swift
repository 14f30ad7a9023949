import Foundation
import NeuralNet
@testable import PolicyRuntime
import ReflexCore
import XCTest

final class MLPPolicyTests: XCTestCase {
    /// 2 → 2 (relu) → 2 with weights small enough to forward by hand.
    private func handPolicy(clip: Float) -> PolicyFile {
        let architecture = PolicyArchitecture(inputSize: 2, hiddenSizes: [2], outputSize: 2, activation: .relu, head: .categorical)
        return PolicyFile(
            architecture: architecture,
            weights: [
                "actor.0.weight": Tensor(shape: [2, 2], scalars: [1, -1, 0.5, 2]),
                "actor.0.bias": Tensor(shape: [2], scalars: [0, -1]),
                "actor.1.weight": Tensor(shape: [2, 2], scalars: [1, 0, -1, 1]),
                "actor.1.bias": Tensor(shape: [2], scalars: [0.5, 0]),
            ],
            observationNormalization: ObservationNormalization(mean: [1, 1], variance: [3, 0], epsilon: 1, clip: clip),
            observationChannels: [ChannelSpec(name: "a", unit: "1", min: -10, max: 10), ChannelSpec(name: "b", unit: "1", min: -10, max: 10)],
            actuatorChannels: [ChannelSpec(name: "u", unit: "N", min: -10, max: 10, safeValue: 0)],
            actionSpace: .discrete(choices: [[-10], [10]]),
            provenance: Fixtures.provenance()
        )
    }

    func testHandComputedForwardPass() throws {
        // x = [7, 2]; normalized = ([7, 2] − 1) / sqrt([3, 0] + 1) = [3, 1].
        // hidden = relu([[1, −1], [0.5, 2]]·[3, 1] + [0, −1]) = relu([2, 2.5]) = [2, 2.5].
        // logits = [[1, 0], [−1, 1]]·[2, 2.5] + [0.5, 0] = [2.5, 0.5] → choice 0 → −10 N.
        let policy = try MLPPolicy(file: handPolicy(clip: 10))
        XCTAssertEqual(policy.outputs(observation: [7, 2]), [2.5, 0.5])
        XCTAssertEqual(policy.actionIndex(observation: [7, 2]), 0)
        var force: [Float] = [99]
        [Float(7), 2].withUnsafeBufferPointer { obs in
            force.withUnsafeMutableBufferPointer { policy.act(observation: obs, actuators: $0) }
        }
        XCTAssertEqual(force, [-10])

        // Clip 2.5: normalized [2.5, 1]; hidden relu([1.5, 2.25]) ; logits [2.0, 0.75].
        let clipped = try MLPPolicy(file: handPolicy(clip: 2.5))
        XCTAssertEqual(clipped.outputs(observation: [7, 2]), [2.0, 0.75])
        // x = [1, 5]: normalized [0, 4]; hidden relu([−4, 7]) = [0, 7]; logits [0.5, 7] → choice 1 → +10 N.
        XCTAssertEqual(policy.outputs(observation: [1, 5]), [0.5, 7])
        [Float(1), 5].withUnsafeBufferPointer { obs in
            force.withUnsafeMutableBufferPointer { policy.act(observation: obs, actuators: $0) }
        }
        XCTAssertEqual(force, [10])
    }

    /// A double-precision forward pass written straight from the definition.
    private func reference(_ file: PolicyFile, _ x: [Float]) -> [Double] {
        var v = x.map(Double.init)
        if let norm = file.observationNormalization {
            v = v.indices.map { i in
                let z = (v[i] - Double(norm.mean[i])) / (Double(norm.variance[i]) + Double(norm.epsilon)).squareRoot()
                return Swift.min(Swift.max(z, -Double(norm.clip)), Double(norm.clip))
            }
        }
        let sizes = file.architecture.layerSizes
        for layer in 0..<file.architecture.layerCount {
            let w = file.weights[PolicyArchitecture.weightName(layer)]?.scalars ?? []
            let b = file.weights[PolicyArchitecture.biasName(layer)]?.scalars ?? []
            var y = [Double](repeating: 0, count: sizes[layer + 1])
            for o in y.indices {
                y[o] = Double(b[o]) + (0..<sizes[layer]).reduce(0) { $0 + Double(w[o * sizes[layer] + $1]) * v[$1] }
                if layer < file.architecture.layerCount - 1 {
                    y[o] = file.architecture.activation == .tanh ? tanh(y[o]) : Swift.max(0, y[o])
                }
            }
            v = y
        }
        return v
    }

    func testTanhNetworkMatchesReferenceForwardPass() throws {
        for file in [Fixtures.discretePolicy(), Fixtures.discretePolicy(normalized: false), Fixtures.gaussianPolicy()] {
            let policy = try MLPPolicy(file: file)
            for sample in 0..<20 {
                let x = (0..<file.architecture.inputSize).map { Float(sin(Double(sample * 7 + $0) * 1.3)) * 3 }
                let got = policy.outputs(observation: x)
                for (a, b) in zip(got, reference(file, x)) {
                    XCTAssertEqual(Double(a), b, accuracy: 1e-5)
                }
            }
        }
    }

    func testGaussianHeadClampsMeanToBoundsAndFallsBackOnNaN() throws {
        let file = Fixtures.gaussianPolicy()
        let policy = try MLPPolicy(file: file)
        var sawClamp = false
        var actuators: [Float] = [0, 0]
        for sample in 0..<50 {
            let x = (0..<3).map { Float(cos(Double(sample * 3 + $0) * 0.9)) * 4 }
            let means = reference(file, x)
            x.withUnsafeBufferPointer { obs in actuators.withUnsafeMutableBufferPointer { policy.act(observation: obs, actuators: $0) } }
            for (j, (low, high)) in [(-2.0, 2.0), (-1.0, 3.0)].enumerated() {
                let expected = Swift.min(Swift.max(means[j], low), high)
                sawClamp = sawClamp || expected != means[j]
                XCTAssertEqual(Double(actuators[j]), expected, accuracy: 1e-5)
            }
        }
        XCTAssertTrue(sawClamp, "the fixture's weights must drive some means past the bounds")

        let nan: [Float] = [.nan, 0, 0]
        nan.withUnsafeBufferPointer { obs in actuators.withUnsafeMutableBufferPointer { policy.act(observation: obs, actuators: $0) } }
        XCTAssertEqual(actuators, [0, 0.5], "NaN means fall back to each actuator's safe value")
    }

    func testBatchLogitsEqualSingleCalls() throws {
        let policy = try MLPPolicy(file: Fixtures.discretePolicy())
        let count = 7
        let observations = (0..<(count * 4)).map { Float(sin(Double($0))) * 2 }
        var batch = [Float](repeating: .nan, count: count * 2)
        observations.withUnsafeBufferPointer { obs in
            batch.withUnsafeMutableBufferPointer { policy.logits(observations: obs, count: count, into: $0) }
        }
        for row in 0..<count {
            let single = policy.outputs(observation: Array(observations[(row * 4)..<(row * 4 + 4)]))
            XCTAssertEqual(Array(batch[(row * 2)..<(row * 2 + 2)]), single)
            let index = policy.actionIndex(observation: Array(observations[(row * 4)..<(row * 4 + 4)]))
            XCTAssertEqual(index, single[1] > single[0] ? 1 : 0)
        }
    }

    func testLoadFromPathAndAct() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/cartpole.safetensors"
        try Fixtures.discretePolicy().write(to: path)
        let policy = try MLPPolicy(path: path)
        XCTAssertEqual(policy.observationChannels, Fixtures.cartPoleSensors)
        XCTAssertEqual(policy.actuatorChannels, Fixtures.cartPoleActuators)
        var seen = Set<Float>()
        var force: [Float] = [0]
        for sample in 0..<40 {
            let x = (0..<4).map { Float(sin(Double(sample * 5 + $0) * 0.77)) }
            x.withUnsafeBufferPointer { obs in force.withUnsafeMutableBufferPointer { policy.act(observation: obs, actuators: $0) } }
            seen.insert(force[0])
        }
        XCTAssertTrue(seen.isSubset(of: [-10, 10]))
    }

    func testInvalidFileIsRefused() {
        var file = Fixtures.discretePolicy()
        file.weights["actor.0.bias"] = nil
        assertReflexError(.invalidPolicyFile, contains: ["actor.0.bias"]) { _ = try MLPPolicy(file: file) }
    }

    func testActIsFastEnoughForAControlLoop() throws {
        // Not a benchmark: a sanity bound so an accidental per-call allocation or copy shows up.
        let architecture = PolicyArchitecture(inputSize: 8, hiddenSizes: [64, 64], outputSize: 2, activation: .tanh, head: .gaussian)
        let file = PolicyFile(
            architecture: architecture, weights: Fixtures.weights(for: architecture, scale: 0.1), observationNormalization: nil,
            observationChannels: (0..<8).map { ChannelSpec(name: "s\($0)", unit: "1", min: -1, max: 1) },
            actuatorChannels: (0..<2).map { ChannelSpec(name: "u\($0)", unit: "1", min: -1, max: 1) },
            actionSpace: .continuous(low: [-1, -1], high: [1, 1]), provenance: Fixtures.provenance()
        )
        let policy = try MLPPolicy(file: file)
        let observation = [Float](repeating: 0.3, count: 8)
        var actuators = [Float](repeating: 0, count: 2)
        let start = Date()
        observation.withUnsafeBufferPointer { obs in
            actuators.withUnsafeMutableBufferPointer { out in
                for _ in 0..<1000 { policy.act(observation: obs, actuators: out) }
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.0, "1000 ticks of a 8-64-64-2 MLP, debug build")
    }
}
