import ReflexCore
@testable import Simulation
import XCTest

/// The plants' sine and cosine: `sineCosine` is the C library's, bit for bit; `smallAngleSineCosine`
/// (CartPole's) is within an ulp of it at small angles and is it elsewhere.
final class SineCosineTests: XCTestCase {
    /// `smallAngleSineCosine` is within 1 ulp of the C library's `sin` and `cos` (themselves within about
    /// half an ulp of the true values) for |x| ≤ its limit, and is the library beyond it.
    func testSmallAngleSineCosineIsWithinAnUlp() {
        var g = SeededGenerator(seed: 12)
        var inputs: [Double] = [0, -0.0, smallAngleLimit, -smallAngleLimit, smallAngleLimit.nextDown, 1e-300, 1e-8, 0.2094]
        inputs += (0..<200_000).map { _ in (g.nextUnit() * 2 - 1) * smallAngleLimit }
        var worst = 0.0, differing = 0
        for x in inputs {
            let (s, c) = smallAngleSineCosine(x)
            let sinError = abs(s - sin(x)) / sin(x).magnitude.ulp, cosError = abs(c - cos(x)) / cos(x).ulp
            worst = max(worst, x == 0 ? 0 : sinError, cosError)
            if s != sin(x) || c != cos(x) { differing += 1 }
            XCTAssertEqual(s.sign, x.sign, "sin(\(x)) keeps the sign of x")
        }
        XCTAssertLessThanOrEqual(worst, 1, "largest difference from the C library, in ulps")
        XCTAssertEqual(smallAngleSineCosine(0).sin.bitPattern, 0)
        XCTAssertEqual(smallAngleSineCosine(-0.0).sin.bitPattern, (-0.0).bitPattern)
        for x in [smallAngleLimit.nextUp, -1, 3, 1e6, .infinity, .nan] {
            let (s, c) = smallAngleSineCosine(x)
            XCTAssertEqual(s.bitPattern, sin(x).bitPattern, "beyond the limit, sin(\(x)) is the library's")
            XCTAssertEqual(c.bitPattern, cos(x).bitPattern, "beyond the limit, cos(\(x)) is the library's")
        }
        print("smallAngleSineCosine: \(differing) of \(inputs.count) inputs differ from the C library, by at most \(worst) ulp")
    }

    /// `sineCosine` is exactly the C library's `sin` and `cos`.
    func testSineCosineIsBitIdenticalToSinAndCos() {
        var g = SeededGenerator(seed: 11)
        var inputs: [Double] = [0, -0.0, .pi, -.pi / 2, 1e-300, 0.126, 0.855469, 1e6, .infinity, -.infinity, .nan]
        for scale in [1e-3, 0.25, 1, 10, 1e5] {
            inputs += (0..<20_000).map { _ in (g.nextUnit() * 2 - 1) * scale }
        }
        for x in inputs {
            let (s, c) = sineCosine(x)
            XCTAssertEqual(s.bitPattern, sin(x).bitPattern, "sin(\(x))")
            XCTAssertEqual(c.bitPattern, cos(x).bitPattern, "cos(\(x))")
        }
    }
}
