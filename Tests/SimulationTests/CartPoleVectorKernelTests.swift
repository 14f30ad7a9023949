import ReflexCore
@testable import Simulation
import XCTest

/// The Float32 vector kernel's pieces: its sine and cosine, and lanes that do not depend on their group.
final class CartPoleVectorKernelTests: XCTestCase {
    /// Distance in Float32 ulps between `value` and the correctly rounded `exact`.
    private func ulps(_ value: Float, _ exact: Double) -> Double {
        abs(Double(value) - exact) / Double(Float(exact).ulp)
    }

    /// `smallSinCos` is within one Float32 ulp of sine and cosine on its whole range, and `wideSinCos`
    /// within 2⁻²³ (absolute) anywhere: angles a wide-limit plant can reach, past the reduction's range
    /// (libm) as well.
    func testSineAndCosineWithinOneUlp() {
        var worst = (small: 0.0, wide: 0.0)
        var g = SeededGenerator(seed: 4)
        let limit = Double(SIMDMath.smallAngleLimit)
        for k in 0..<20_000 {
            var small = FloatLanes(), wide = FloatLanes()
            for j in 0..<FloatLanes.scalarCount {
                small[j] = Float(j == 0 && k == 0 ? limit : (g.nextUnit() * 2 - 1) * limit)
                let scale = [1.0, 10, 1e3, 8192, 1e6, 3, 0.8, 100][j]
                wide[j] = Float((g.nextUnit() * 2 - 1) * scale)
            }
            let (s, c) = SIMDMath.smallSinCos(small)
            let (ws, wc) = SIMDMath.wideSinCos(wide)
            for j in 0..<FloatLanes.scalarCount {
                let x = Double(small[j]), y = Double(wide[j])
                worst.small = max(worst.small, ulps(s[j], sin(x)), ulps(c[j], cos(x)))
                worst.wide = max(worst.wide, abs(Double(ws[j]) - sin(y)), abs(Double(wc[j]) - cos(y)))
            }
        }
        XCTAssertLessThanOrEqual(worst.small, 1, "small-angle polynomial")
        XCTAssertLessThanOrEqual(worst.wide, 0x1p-23, "with the argument reduction")
        print("CartPole kernel sine/cosine: worst \(worst.small) ulp (|θ| ≤ \(limit)), \(worst.wide) absolute (wide)")
    }

    /// A copy's trajectory does not depend on which group of lanes it falls in: the copies past the last
    /// full group (13 = 8 + 5) step exactly as the same copies do inside a full group (16).
    func testCopiesPastTheLastGroupStepAsInAFullGroup() {
        let short = CartPoleVectorEnvironment(model: CartPoleModel(), count: 13, threads: 1)
        let full = CartPoleVectorEnvironment(model: CartPoleModel(), count: 16, threads: 1)
        short.reset(seed: 21)
        full.reset(seed: 21)
        var g = SeededGenerator(seed: 22)
        var episodes = 0
        for _ in 0..<300 {
            let a = (0..<16).map { _ in Int32(g.next() & 1) }
            short.step(Array(a[0..<13]))
            full.step(a)
            XCTAssertEqual(short.observations, Array(full.observations[0..<52]))
            XCTAssertEqual(short.terminated, Array(full.terminated[0..<13]))
            XCTAssertEqual(short.finalObservations, Array(full.finalObservations[0..<52]))
            episodes += short.finishedEpisodes.count
        }
        XCTAssertGreaterThan(episodes, 13)
    }
}
