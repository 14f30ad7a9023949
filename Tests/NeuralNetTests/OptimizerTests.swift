import XCTest
@testable import NeuralNet

final class OptimizerTests: XCTestCase {
    func testOrthogonalInitHasOrthonormalRowsTimesGain() {
        var rng = SeededGeneratorForTests(seed: 7)
        let w = Initializers.orthogonal(shape: [4, 9], gain: 2, using: &rng)
        for i in 0..<4 {
            for j in 0..<4 {
                var dot: Float = 0
                for k in 0..<9 { dot += w[i, k] * w[j, k] }
                XCTAssertEqual(dot, i == j ? 4 : 0, accuracy: 1e-4, "rows \(i),\(j)")
            }
        }
        // Tall matrix: orthonormal columns.
        let tall = Initializers.orthogonal(shape: [9, 3], gain: 1, using: &rng)
        for i in 0..<3 {
            for j in 0..<3 {
                var dot: Float = 0
                for k in 0..<9 { dot += tall[k, i] * tall[k, j] }
                XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-4)
            }
        }
    }

    func testAdamFirstStepMovesEachWeightByLearningRate() {
        // With bias correction, Adam's first step is lr · g/(|g| + eps) ≈ lr · sign(g).
        let p = Parameter(name: "w", value: Tensor(shape: [3], scalars: [1, 2, 3]))
        p.grad = Tensor(shape: [3], scalars: [0.5, -4, 0.001])
        let adam = Adam(parameters: [p], learningRate: 0.1, epsilon: 1e-8)
        adam.update()
        XCTAssertEqual(p.value.scalars[0], 0.9, accuracy: 1e-5)
        XCTAssertEqual(p.value.scalars[1], 2.1, accuracy: 1e-5)
        XCTAssertEqual(p.value.scalars[2], 2.9, accuracy: 1e-4)
    }

    func testAdamFitsALinearRegression() {
        var rng = SeededGeneratorForTests(seed: 3)
        let layer = Linear(inputSize: 2, outputSize: 1, name: "fit", gain: 1, using: &rng)
        let adam = Adam(parameters: layer.parameters, learningRate: 0.05)
        let xs = (0..<64).map { _ in Float.random(in: -1...1, using: &rng) }
        let input = Tensor(shape: [32, 2], scalars: xs)
        var target = [Float](repeating: 0, count: 32)
        for i in 0..<32 {
            let a: Float = 3 * xs[2 * i]
            let b: Float = 2 * xs[2 * i + 1]
            target[i] = a - b + 0.5
        }
        var lastLoss: Float = .infinity
        for _ in 0..<500 {
            adam.zeroGradients()
            let (loss, grad) = Losses.meanSquaredError(prediction: layer.forward(input), target: target)
            _ = layer.backward(grad)
            adam.update()
            lastLoss = loss
        }
        XCTAssertLessThan(lastLoss, 1e-4)
        XCTAssertEqual(layer.weight.value.scalars[0], 3, accuracy: 1e-2)
        XCTAssertEqual(layer.weight.value.scalars[1], -2, accuracy: 1e-2)
        XCTAssertEqual(layer.bias.value.scalars[0], 0.5, accuracy: 1e-2)
    }

    func testGlobalGradientClipping() {
        let a = Parameter(name: "a", value: Tensor(zeros: [2]))
        let b = Parameter(name: "b", value: Tensor(zeros: [1]))
        a.grad = Tensor(shape: [2], scalars: [3, 0])
        b.grad = Tensor(shape: [1], scalars: [4])
        let norm = clipGradientNorm([a, b], maxNorm: 0.5)
        XCTAssertEqual(norm, 5, accuracy: 1e-5)
        XCTAssertEqual(a.grad.scalars[0], 0.3, accuracy: 1e-4)
        XCTAssertEqual(b.grad.scalars[0], 0.4, accuracy: 1e-4)
        // Below the limit: untouched.
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 10), 0.5, accuracy: 1e-4)
        XCTAssertEqual(b.grad.scalars[0], 0.4, accuracy: 1e-4)
    }
}

/// SplitMix64: a tiny deterministic generator so tests don't depend on other targets.
struct SeededGeneratorForTests: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
