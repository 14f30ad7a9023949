import ReflexCore
import Simulation
import XCTest

/// The vectorized CartPole against the single (Gymnasium-parity) environment, its automatic reset, and
/// its determinism across thread counts.
final class CartPoleVectorEnvironmentTests: XCTestCase {
    /// How far a copy may drift from the single environment within an episode: the two differ only in
    /// sine and cosine (≤ 1 ulp), amplified by the unstable pole over an episode's few dozen steps.
    static let stateTolerance = 1e-9

    /// Seeded actions, 0 or 1 per copy.
    private func actions(_ g: inout SeededGenerator, count: Int) -> [Int32] {
        (0..<count).map { _ in Int32(g.next() & 1) }
    }

    /// Copy i replays `CartPoleEnvironment(seed: copySeeds[i])`: start states bit for bit (the same
    /// generator stream), dynamics within `stateTolerance`, the same terminations, truncations and episode
    /// lengths, across automatic resets. 1031 copies make three chunks (two threads) and an odd copy out.
    private func checkReplaysSingles(model: CartPoleModel, count: Int, steps: Int, seed: UInt64) throws {
        let vector = CartPoleVectorEnvironment(model: model, count: count, threads: 2)
        vector.reset(seed: seed)
        let seeds = vector.copySeeds(seed)
        var singles = seeds.map { s -> CartPoleEnvironment in
            var env = CartPoleEnvironment(model: model, seed: s)
            _ = env.reset(seed: s)
            return env
        }
        for i in 0..<count {
            XCTAssertEqual(vector.state(i), singles[i].state, "copy \(i) start")
            XCTAssertEqual(Array(vector.observations[4 * i ..< 4 * i + 4]), singles[i].observation)
        }
        var g = SeededGenerator(seed: seed &+ 1)
        var maxDeviation = 0.0
        var ended = 0, truncations = 0
        for step in 1...steps {
            let a = actions(&g, count: count)
            vector.step(a)
            var expectedEpisodes: [Int] = []
            for i in 0..<count {
                let single = singles[i].step(.discrete(Int(a[i])))
                let context = "copy \(i) step \(step)"
                XCTAssertEqual(vector.rewards[i], Float(single.reward), context)
                XCTAssertEqual(vector.terminated[i], single.terminated, context)
                XCTAssertEqual(vector.truncated[i], single.truncated && !single.terminated, context)
                let row = 4 * i ..< 4 * i + 4
                if single.terminated || single.truncated {
                    ended += 1
                    if single.truncated { truncations += 1 }
                    expectedEpisodes.append(singles[i].elapsedSteps)
                    for (a, b) in zip(vector.finalObservations[row], single.observation) {
                        XCTAssertEqual(a, b, accuracy: 1e-5, "\(context) final observation")
                    }
                    _ = singles[i].reset(seed: nil)
                    XCTAssertEqual(vector.state(i), singles[i].state, "\(context): next start state")
                    XCTAssertEqual(Array(vector.observations[row]), singles[i].observation)
                } else {
                    let v = vector.state(i), s = singles[i].state
                    let deviation = max(abs(v.x - s.x), abs(v.xDot - s.xDot), abs(v.theta - s.theta), abs(v.thetaDot - s.thetaDot))
                    maxDeviation = max(maxDeviation, deviation)
                    XCTAssertLessThanOrEqual(deviation, Self.stateTolerance, context)
                    for (a, b) in zip(vector.observations[row], single.observation) {
                        XCTAssertEqual(a, b, accuracy: 1e-5, context)
                    }
                }
            }
            XCTAssertEqual(vector.finishedEpisodes.map(\.length), expectedEpisodes, "step \(step): episodes in copy order")
            XCTAssertTrue(vector.finishedEpisodes.allSatisfy { $0.score == Double($0.length) * model.rewardPerStep })
        }
        XCTAssertGreaterThan(ended, count, "episodes ended and restarted automatically")
        if model.maxEpisodeSteps < steps { XCTAssertGreaterThan(truncations, 0, "some episodes reached the step limit") }
        print("CartPole vector vs single: \(count) copies × \(steps) steps, \(ended) episodes, max |Δstate| = \(maxDeviation)")
    }

    func testCopiesReplaySingleEnvironments() throws {
        try checkReplaysSingles(model: CartPoleModel(), count: 1031, steps: 120, seed: 3)
    }

    /// A wide angle limit needs the sine's argument reduction; a short step limit truncates episodes.
    func testWideAngleLimitAndShortEpisodes() throws {
        var model = CartPoleModel()
        model.thetaThreshold = 3
        model.xThreshold = 1e6
        model.maxEpisodeSteps = 40
        try checkReplaysSingles(model: model, count: 9, steps: 100, seed: 8)
        // Semi-implicit Euler is a description option as well.
        var semi = CartPoleModel()
        semi.explicitEuler = false
        try checkReplaysSingles(model: semi, count: 5, steps: 100, seed: 9)
    }

    func testSameSeedSameRunAnyThreadCount() throws {
        func run(threads: Int, seed: UInt64) -> ([Float], [Bool], [Int]) {
            let env = CartPoleVectorEnvironment(model: CartPoleModel(), count: 2053, threads: threads)
            env.reset(seed: seed)
            var g = SeededGenerator(seed: 2)
            var flags: [Bool] = [], lengths: [Int] = []
            for _ in 0..<60 {
                env.step(actions(&g, count: 2053))
                flags += env.terminated
                lengths += env.finishedEpisodes.map(\.length)
            }
            return (env.observations, flags, lengths)
        }
        let one = run(threads: 1, seed: 5)
        let two = run(threads: 2, seed: 5), three = run(threads: 3, seed: 5)
        XCTAssertEqual(one.0, two.0)
        XCTAssertEqual(one.0, three.0)
        XCTAssertEqual(one.1, two.1)
        XCTAssertEqual(one.2, two.2)
        XCTAssertEqual(one.2, three.2)
        XCTAssertGreaterThan(one.2.count, 2053)
        XCTAssertNotEqual(run(threads: 2, seed: 6).0, one.0, "another seed, another run")
    }

    /// Stepping after a reset with the same seed replays the run (no state leaks from the last one).
    func testResetReplays() {
        let env = CartPoleVectorEnvironment(model: CartPoleModel(), count: 64, threads: 2)
        var traces: [[Float]] = []
        for _ in 0..<2 {
            env.reset(seed: 11)
            var trace: [Float] = []
            for t in 0..<50 {
                env.step((0..<64).map { Int32(($0 + t) % 3 == 0 ? 1 : 0) })
                trace += env.observations
            }
            traces.append(trace)
        }
        XCTAssertEqual(traces[0], traces[1])
    }
}
