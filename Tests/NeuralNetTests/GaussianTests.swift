import XCTest
@testable import NeuralNet

/// The diagonal Gaussian's log-probability, entropy and sampling against closed forms, and its
/// gradients against central finite differences.
final class GaussianTests: XCTestCase {
    var rng = SeededGeneratorForTests(seed: 7)

    func testLogProbabilityAndEntropyMatchClosedForms() {
        // One dimension, μ = 0.5, σ = 2: log p(1.5) = −(0.5)²/2 − log 2 − ½ log 2π.
        let dist = Gaussian(means: Tensor(shape: [1, 1], scalars: [0.5]), logStd: [logf(2)])
        let action: [Float] = [1.5]
        let expected = -0.5 * 0.5 * 0.5 - logf(2) - 0.5 * logf(2 * .pi)
        XCTAssertEqual(action.withUnsafeBufferPointer { dist.logProbability(row: 0, actions: $0.baseAddress!) }, expected, accuracy: 1e-6)
        XCTAssertEqual(dist.entropy, 0.5 + 0.5 * logf(2 * .pi) + logf(2), accuracy: 1e-6)
    }

    func testSamplesHaveTheRightMeanAndSpread() {
        let dist = Gaussian(means: Tensor(shape: [1, 2], scalars: [1, -3]), logStd: [logf(0.5), logf(2)])
        var sums: [Double] = [0, 0], squares: [Double] = [0, 0]
        let n = 20_000
        var out: [Float] = [0, 0]
        for _ in 0..<n {
            out.withUnsafeMutableBufferPointer { dist.sample(row: 0, using: &rng, into: $0.baseAddress!) }
            for j in 0..<2 {
                sums[j] += Double(out[j])
                squares[j] += Double(out[j] * out[j])
            }
        }
        let means = sums.map { $0 / Double(n) }
        let stds = (0..<2).map { (squares[$0] / Double(n) - means[$0] * means[$0]).squareRoot() }
        XCTAssertEqual(means[0], 1, accuracy: 0.02)
        XCTAssertEqual(means[1], -3, accuracy: 0.08)
        XCTAssertEqual(stds[0], 0.5, accuracy: 0.02)
        XCTAssertEqual(stds[1], 2, accuracy: 0.06)
    }

    func testGradientsMatchFiniteDifferences() {
        // L = Σ_rows c_row · log p(a_row) + e · Σ_rows H
        let batch = 4, dims = 2
        let means = Tensor(shape: [batch, dims], scalars: (0..<8).map { _ in Float.random(in: -1...1, using: &rng) })
        let logStd: [Float] = [-0.3, 0.4]
        let actions = (0..<8).map { _ in Float.random(in: -2...2, using: &rng) }
        let c: [Float] = [0.3, -1.2, 0.7, 2.0]
        let e: Float = 0.25
        func value(_ m: Tensor, _ s: [Float]) -> Double {
            let dist = Gaussian(means: m, logStd: s)
            var total = 0.0
            actions.withUnsafeBufferPointer { a in
                for row in 0..<batch {
                    total += Double(c[row] * dist.logProbability(row: row, actions: a.baseAddress! + row * dims))
                    total += Double(e * dist.entropy)
                }
            }
            return total
        }
        let grad = Gaussian(means: means, logStd: logStd).gradient(actions: actions, dLogProb: c, dEntropy: e)
        let h: Float = 1e-2
        for i in 0..<means.count {
            var plus = means, minus = means
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let numeric = (value(plus, logStd) - value(minus, logStd)) / Double(2 * h)
            XCTAssertEqual(Double(grad.means.scalars[i]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "mean \(i)")
        }
        for j in 0..<dims {
            var plus = logStd, minus = logStd
            plus[j] += h
            minus[j] -= h
            let numeric = (value(means, plus) - value(means, minus)) / Double(2 * h)
            XCTAssertEqual(Double(grad.logStd[j]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "log std \(j)")
        }
    }
}
