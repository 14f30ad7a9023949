import XCTest
@testable import NeuralNet

/// Every layer's backward pass against central finite differences of a scalar loss.
///
/// The loss is L = Σ r ⊙ f(x) for a fixed random `r`, so dL/df = r. Computed in Float32, so
/// tolerances are relative to the gradient's scale.
final class GradientCheckTests: XCTestCase {
    var rng = SeededGeneratorForTests(seed: 42)

    func randomTensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -scale...scale, using: &rng) })
    }

    func loss(_ layer: Layer, _ x: Tensor, _ r: Tensor) -> Double {
        let y = layer.forward(x)
        return zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Checks dL/dx and dL/dθ for every parameter θ of `layer`.
    func check(_ layer: Layer, input: Tensor, file: StaticString = #filePath, line: UInt = #line) {
        let y = layer.forward(input)
        let r = randomTensor(y.shape)
        layer.zeroGradients()
        _ = layer.forward(input)
        let dx = layer.backward(r)
        let h: Float = 1e-2
        // Input gradient.
        for i in 0..<input.count {
            var plus = input, minus = input
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let numeric = (loss(layer, plus, r) - loss(layer, minus, r)) / Double(2 * h)
            XCTAssertEqual(Double(dx.scalars[i]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "dx[\(i)]", file: file, line: line)
        }
        // Parameter gradients.
        for p in layer.parameters {
            let analytic = p.grad.scalars
            for i in 0..<p.value.count {
                let original = p.value.scalars[i]
                p.value.scalars[i] = original + h
                let lp = loss(layer, input, r)
                p.value.scalars[i] = original - h
                let lm = loss(layer, input, r)
                p.value.scalars[i] = original
                let numeric = (lp - lm) / Double(2 * h)
                XCTAssertEqual(Double(analytic[i]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "\(p.name)[\(i)]", file: file, line: line)
            }
        }
    }

    func testLinearGradients() {
        let layer = Linear(inputSize: 5, outputSize: 3, name: "l", gain: 1, using: &rng)
        layer.bias.value = randomTensor([3])
        check(layer, input: randomTensor([4, 5]))
    }

    func testTanhGradients() {
        check(Tanh(), input: randomTensor([3, 6], scale: 2))
    }

    func testReLUGradients() {
        // Keep inputs away from the kink at 0, where the derivative is undefined.
        var x = randomTensor([3, 6], scale: 2)
        for i in 0..<x.count where abs(x.scalars[i]) < 0.05 { x.scalars[i] = 0.5 }
        check(ReLU(), input: x)
    }

    func testMLPGradients() {
        let mlp = Sequential.mlp(inputSize: 4, hiddenSizes: [8, 8], outputSize: 2, outputGain: 1, namePrefix: "m", using: &rng)
        check(mlp, input: randomTensor([5, 4]))
    }

    func testConv2DGradients() {
        // 2 images, 2 channels of 6×5, 3 filters of 3×3, stride 2, padding 1: padding and stride both matter.
        let layer = Conv2D(inputChannels: 2, filters: 3, kernel: (3, 3), stride: 2, padding: 1, name: "c", gain: 1, using: &rng)
        layer.bias.value = randomTensor([3])
        check(layer, input: randomTensor([2, 2, 6, 5]))
    }

    func testConv2DMatchesADirectConvolution() {
        let layer = Conv2D(inputChannels: 1, filters: 1, kernel: (2, 2), stride: 1, padding: 0)
        layer.weight.value = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        layer.bias.value = Tensor(shape: [1], scalars: [0.5])
        let x = Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        // Top-left window [1 2; 4 5] · [1 2; 3 4] = 1 + 4 + 12 + 20 = 37, + 0.5.
        XCTAssertEqual(layer.forward(x).scalars, [37.5, 47.5, 67.5, 77.5])
        XCTAssertEqual(layer.outputSize(height: 64, width: 64).height, 63)
    }

    func testFlattenAndConvNetworkGradients() {
        let net = Sequential([
            Conv2D(inputChannels: 1, filters: 2, kernel: (3, 3), stride: 2, name: "c0", gain: 1, using: &rng), ReLU(), Flatten(),
            Linear(inputSize: 2 * 3 * 3, outputSize: 2, name: "l", gain: 1, using: &rng),
        ])
        var x = randomTensor([2, 1, 7, 7])
        for i in 0..<x.count where abs(x.scalars[i]) < 0.05 { x.scalars[i] = 0.3 }
        check(net, input: x)
    }

    func testLayerNormGradients() {
        let layer = LayerNorm(features: 5, name: "ln")
        layer.gamma.value = randomTensor([5])
        layer.beta.value = randomTensor([5])
        check(layer, input: randomTensor([3, 5], scale: 2))
        let y = LayerNorm(features: 4).forward(Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]))
        XCTAssertEqual(y.scalars.reduce(0, +), 0, accuracy: 1e-5)
        XCTAssertEqual(y.scalars.map { $0 * $0 }.reduce(0, +) / 4, 1, accuracy: 1e-4)
    }

    func testCategoricalGradientMatchesFiniteDifferences() {
        // L = Σ_rows a_row · log p(action_row) + b_row · H_row
        let logits = randomTensor([4, 3], scale: 2)
        let actions: [Int32] = [0, 2, 1, 2]
        let a: [Float] = [0.3, -1.2, 0.7, 2.0]
        let b: [Float] = [0.5, 0.1, -0.4, 1.1]
        func value(_ z: Tensor) -> Double {
            let dist = Categorical(logits: z)
            var total = 0.0
            for row in 0..<4 {
                total += Double(a[row] * dist.logProbability(row: row, action: Int(actions[row])))
                total += Double(b[row] * dist.entropy(row: row))
            }
            return total
        }
        let grad = Categorical(logits: logits).gradient(actions: actions, dLogProb: a, dEntropy: b)
        for i in 0..<logits.count {
            var plus = logits, minus = logits
            plus.scalars[i] += 1e-2
            minus.scalars[i] -= 1e-2
            let numeric = (value(plus) - value(minus)) / 2e-2
            XCTAssertEqual(Double(grad.scalars[i]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "logit \(i)")
        }
    }

    func testCategoricalProbabilitiesAndEntropy() {
        let dist = Categorical(logits: Tensor(shape: [1, 2], scalars: [0, 0]))
        XCTAssertEqual(dist.logProbability(row: 0, action: 1), logf(0.5), accuracy: 1e-6)
        XCTAssertEqual(dist.entropy(row: 0), logf(2), accuracy: 1e-6)
        let peaked = Categorical(logits: Tensor(shape: [1, 3], scalars: [0, 5, 1]))
        XCTAssertEqual(peaked.mode(row: 0), 1)
    }

    func testMeanSquaredErrorGradient() {
        let prediction = randomTensor([6, 1])
        let target = (0..<6).map { _ in Float.random(in: -1...1, using: &rng) }
        let (_, grad) = Losses.meanSquaredError(prediction: prediction, target: target, scale: 0.5)
        for i in 0..<6 {
            var plus = prediction, minus = prediction
            plus.scalars[i] += 1e-2
            minus.scalars[i] -= 1e-2
            let numeric = (Losses.meanSquaredError(prediction: plus, target: target, scale: 0.5).loss
                - Losses.meanSquaredError(prediction: minus, target: target, scale: 0.5).loss) / 2e-2
            XCTAssertEqual(grad.scalars[i], numeric, accuracy: 1e-3)
        }
    }
}
