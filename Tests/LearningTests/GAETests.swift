import XCTest
@testable import Learning

/// GAE against values computed by hand (the habit of Stable-Baselines3's test_gae.py).
final class GAETests: XCTestCase {
    func testSingleEnvironmentWithoutEpisodeEnd() {
        // γ = 0.5, λ = 0.5, rewards 1, values 0, bootstrap V = 2:
        // δ2 = 1 + 0.5·2 = 2, A2 = 2; δ1 = 1, A1 = 1 + 0.25·2 = 1.5; δ0 = 1, A0 = 1 + 0.25·1.5 = 1.375
        let (adv, ret) = generalizedAdvantages(
            rewards: [1, 1, 1], values: [0, 0, 0], dones: [false, false, false], lastValues: [2],
            steps: 3, envs: 1, gamma: 0.5, lambda: 0.5)
        XCTAssertEqual(adv, [1.375, 1.5, 2])
        XCTAssertEqual(ret, [1.375, 1.5, 2])
    }

    func testEpisodeEndStopsBootstrapAndAccumulation() {
        // Episode ends at t=1: A1 = r1 − V1 = 1 − 0.5 = 0.5 (no bootstrap from V2 or beyond).
        // A0 = (1 + 0.9·0.5 − 1) + 0.9·0.8·0.5 = 0.45 + 0.36 = 0.81. A2 = 1 + 0.9·10 − 2 = 8.
        let (adv, ret) = generalizedAdvantages(
            rewards: [1, 1, 1], values: [1, 0.5, 2], dones: [false, true, false], lastValues: [10],
            steps: 3, envs: 1, gamma: 0.9, lambda: 0.8)
        XCTAssertEqual(adv[0], 0.81, accuracy: 1e-6)
        XCTAssertEqual(adv[1], 0.5, accuracy: 1e-6)
        XCTAssertEqual(adv[2], 8, accuracy: 1e-6)
        XCTAssertEqual(ret[0], 1.81, accuracy: 1e-6)
    }

    func testEnvironmentsAreIndependentInStepMajorLayout() {
        // Two copies, layout [step][env]: copy 0 gets reward 1 each step, copy 1 gets 0.
        let (adv, _) = generalizedAdvantages(
            rewards: [1, 0, 1, 0], values: [0, 0, 0, 0], dones: [false, false, false, false], lastValues: [0, 0],
            steps: 2, envs: 2, gamma: 1, lambda: 1)
        XCTAssertEqual(adv, [2, 0, 1, 0])
    }
}

/// The in-place form trainers use gives the same figures and rewrites its arrays without allocating.
final class GAEInPlaceTests: XCTestCase {
    func testInPlaceMatchesAndReusesItsArrays() {
        let rewards: [Float] = [1, 0, 1, 2, 0.5, 1], values: [Float] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
        let dones = [false, false, true, false, false, false], lastValues: [Float] = [1, -1]
        let (expected, expectedReturns) = generalizedAdvantages(
            rewards: rewards, values: values, dones: dones, lastValues: lastValues, steps: 3, envs: 2, gamma: 0.9, lambda: 0.8)
        var advantages: [Float] = [], returns: [Float] = []
        for _ in 0..<2 {
            generalizedAdvantages(
                rewards: rewards, values: values, dones: dones, lastValues: lastValues, steps: 3, envs: 2, gamma: 0.9, lambda: 0.8,
                advantages: &advantages, returns: &returns)
        }
        XCTAssertEqual(advantages, expected)
        XCTAssertEqual(returns, expectedReturns)
        let before = advantages.withUnsafeBufferPointer { $0.baseAddress }
        generalizedAdvantages(
            rewards: rewards, values: values, dones: dones, lastValues: lastValues, steps: 3, envs: 2, gamma: 0.5, lambda: 0.5,
            advantages: &advantages, returns: &returns)
        XCTAssertEqual(advantages.withUnsafeBufferPointer { $0.baseAddress }, before, "the same storage, rewritten")
        XCTAssertNotEqual(advantages, expected)
    }
}
