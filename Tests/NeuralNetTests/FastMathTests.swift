import XCTest
@testable import NeuralNet

final class FastMathTests: XCTestCase {
    func testFastTanhMatchesDoublePrecisionTanhAcrossItsRange() {
        var worst: Double = 0
        var x: Float = -12
        while x <= 12 {
            let error = abs(Double(fastTanh(x)) - tanh(Double(x)))
            worst = max(worst, error)
            x += 0.001
        }
        XCTAssertLessThan(worst, 5e-7, "max |fastTanh − tanh| over [−12, 12]")
    }

    func testFastTanhIsOddExactNearZeroAndSaturates() {
        for x: Float in [1e-8, 3e-4, 0.1, 0.7, 2.5, 6] {
            XCTAssertEqual(fastTanh(-x), -fastTanh(x))
        }
        XCTAssertEqual(fastTanh(1e-6), 1e-6)
        XCTAssertEqual(fastTanh(0), 0)
        XCTAssertEqual(fastTanh(50), 1, accuracy: 1e-7)
        XCTAssertEqual(fastTanh(-.infinity), -1, accuracy: 1e-7)
        XCTAssertTrue(fastTanh(.nan).isNaN, "a NaN must stay visible, never turn into a plausible value")
    }
}
