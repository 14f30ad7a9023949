import XCTest
import NeuralNet
@testable import Learning

/// PPO's (clipped) value loss against values worked out by hand.
final class ValueLossTests: XCTestCase {
    func testUnclippedLossIsHalfTheMeanSquaredErrorTimesTheCoefficient() {
        let (sum, grad) = ppoValueLoss(
            values: Tensor(shape: [2, 1], scalars: [1, 3]), returns: [0, 1], oldValues: [9, 9], rows: [0, 1][...],
            clip: nil, coefficient: 0.5)
        XCTAssertEqual(sum, 1 + 4)
        // d/dV of c · ½ · mean(e²) is c · e / mb: 0.5 · 1 / 2 and 0.5 · 2 / 2.
        XCTAssertEqual(grad.scalars, [0.25, 0.5])
    }

    func testClippingKeepsTheLargerErrorAndStopsTheGradientOutsideTheClipRange() {
        // Row 0: V 2.0, V_old 1.0, ε 0.2 → V_clipped 1.2; R 0: clipped error 1.2 < unclipped 2.0 → unclipped wins.
        // Row 1: V 0.5, V_old 1.0 → V_clipped 0.8; R 1.0: clipped error −0.2, unclipped −0.5 → unclipped wins.
        // Row 2: V 1.1, V_old 1.0 (inside ±ε) → V_clipped 1.1 = V: both equal, gradient flows.
        // Row 3: V 0.0, V_old 1.0 → V_clipped 0.8; R 3.0: unclipped error −3.0 is larger than clipped −2.2 → unclipped.
        // Row 4: V 1.5, V_old 1.0 → V_clipped 1.2; R 3.0: unclipped −1.5, clipped −1.8 → clipped wins, outside ±ε → 0.
        let values = Tensor(shape: [5, 1], scalars: [2.0, 0.5, 1.1, 0.0, 1.5])
        let (sum, grad) = ppoValueLoss(
            values: values, returns: [0, 1, 1.1, 3, 3], oldValues: [1, 1, 1, 1, 1], rows: [0, 1, 2, 3, 4][...],
            clip: 0.2, coefficient: 1)
        XCTAssertEqual(sum, 4 + 0.25 + 0 + 9 + 1.8 * 1.8, accuracy: 1e-5)
        XCTAssertEqual(grad.scalars[0], 2.0 / 5, accuracy: 1e-6)
        XCTAssertEqual(grad.scalars[1], -0.5 / 5, accuracy: 1e-6)
        XCTAssertEqual(grad.scalars[2], 0, accuracy: 1e-6)
        XCTAssertEqual(grad.scalars[3], -3.0 / 5, accuracy: 1e-6)
        XCTAssertEqual(grad.scalars[4], 0, "the clipped branch no longer depends on V")
    }

    func testRowsIndexTheRolloutsOldValues() {
        // Minibatch row 0 is rollout row 2, whose V_old is far away: the clipped value is V_old ± ε.
        let (sum, _) = ppoValueLoss(
            values: Tensor(shape: [1, 1], scalars: [0]), returns: [0], oldValues: [0, 0, 5], rows: [2][...],
            clip: 0.1, coefficient: 1)
        XCTAssertEqual(sum, 4.9 * 4.9, accuracy: 1e-4)
    }
}
