import ReflexCore
import Simulation
import XCTest

final class CartPoleEnvironmentTests: XCTestCase {
    func testResetIsReproducibleAndWithinRange() {
        var a = CartPoleEnvironment()
        var b = CartPoleEnvironment()
        let first = a.reset(seed: 7)
        XCTAssertEqual(first, b.reset(seed: 7))
        XCTAssertEqual(first.count, 4)
        XCTAssertTrue(first.allSatisfy { abs($0) <= 0.05 })
        XCTAssertNotEqual(a.reset(seed: nil), first, "an unseeded reset continues the stream")
        XCTAssertEqual(a.elapsedSteps, 0)
    }

    func testTruncatesAtTheStepLimit() {
        var model = CartPoleModel()
        model.maxEpisodeSteps = 3
        var env = CartPoleEnvironment(model: model)
        env.reset(to: CartPoleState())
        XCTAssertFalse(env.step(.discrete(0)).truncated)
        XCTAssertFalse(env.step(.discrete(1)).truncated)
        let last = env.step(.discrete(0))
        XCTAssertTrue(last.truncated)
        XCTAssertFalse(last.terminated)
        XCTAssertEqual(last.reward, 1)
    }

    func testNoRewardAfterTermination() {
        var env = CartPoleEnvironment()
        env.reset(to: CartPoleState(theta: 0.2094))
        var result = env.step(.discrete(1))
        while !result.terminated { result = env.step(.discrete(1)) }
        XCTAssertEqual(result.reward, 1)
        XCTAssertEqual(env.step(.discrete(1)).reward, 0)
    }

    func testContinuousForceIsClamped() {
        var a = CartPoleEnvironment()
        var b = CartPoleEnvironment()
        a.reset(to: CartPoleState())
        b.reset(to: CartPoleState())
        _ = a.step(.continuous([25]))
        _ = b.step(.discrete(1))
        XCTAssertEqual(a.state, b.state)
    }
}
