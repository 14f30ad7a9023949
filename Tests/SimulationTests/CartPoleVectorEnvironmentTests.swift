import ReflexCore
import Simulation
import XCTest

/// The vectorized CartPole (Float32) against the single Gymnasium-parity environment (Float64), its
/// automatic reset, and its determinism across thread counts.
final class CartPoleVectorEnvironmentTests: XCTestCase {
    /// One step from the same state: the Float32 kernel against `CartPole.step` in Float64, relative to the
    /// state's scale (|value| + 1). A few Float32 ulps.
    static let stepTolerance = 1e-6
    /// Over an episode under the same actions, from the same start: the unstable pole amplifies the
    /// per-step rounding, but random-action episodes are short (a few dozen steps).
    static let episodeTolerance = 5e-4
    /// Episodes whose end (step and kind) differs from Float64's: only where the state passes a threshold
    /// by less than the accumulated difference.
    static let endMismatchShare = 0.002

    /// Seeded actions, 0 or 1 per copy.
    private func actions(_ g: inout SeededGenerator, count: Int) -> [Int32] {
        (0..<count).map { _ in Int32(g.next() & 1) }
    }

    /// Copy i starts every episode where `CartPoleEnvironment(seed: copySeeds[i])` does (its Float32
    /// observation, bit for bit, across automatic resets); each step agrees with a Float64 `CartPole.step`
    /// from the copy's previous state within `stepTolerance`; over each episode the copy follows a Float64
    /// environment started from the same state under the same actions within `episodeTolerance`, and ends
    /// at the same step in the same way in all but `endMismatchShare` of episodes. Flags, final
    /// observations and finished episodes are checked against the copy's own state every step. 1031
    /// copies make three chunks (two threads) and copies past the last full group of lanes.
    private func checkAgainstFloat64(model: CartPoleModel, count: Int, steps: Int, seed: UInt64) throws {
        let vector = CartPoleVectorEnvironment(model: model, count: count, threads: 2)
        vector.reset(seed: seed)
        // The start-state streams, drawn as the single environments draw them.
        var starts = vector.copySeeds(seed).map { s -> CartPoleEnvironment in
            var env = CartPoleEnvironment(model: model, seed: s)
            _ = env.reset(seed: s)
            return env
        }
        var references = [CartPoleEnvironment](repeating: CartPoleEnvironment(model: model), count: count)
        var lengths = [Int](repeating: 0, count: count)
        for i in 0..<count {
            XCTAssertEqual(Array(vector.observations[4 * i ..< 4 * i + 4]), starts[i].observation, "copy \(i) start")
            references[i].reset(to: vector.state(i))
        }
        let xLimit = Float(model.xThreshold), thetaLimit = Float(model.thetaThreshold)
        var g = SeededGenerator(seed: seed &+ 1)
        var maxStepError = 0.0, maxEpisodeDeviation = 0.0
        var ended = 0, truncations = 0, endMismatches = 0
        for step in 1...steps {
            let a = actions(&g, count: count)
            let before = (0..<count).map { vector.state($0) }
            vector.step(a)
            var expectedEpisodes: [Int] = []
            for i in 0..<count {
                let context = "copy \(i) step \(step)"
                lengths[i] += 1
                var local = before[i]
                CartPole.step(model, &local, force: CartPole.force(model, action: Int(a[i])))
                let reference = references[i].step(.discrete(Int(a[i])))
                let row = 4 * i ..< 4 * i + 4
                // The state the step reached: the next start's on a reset, else the current one.
                let reached = vector.terminated[i] || vector.truncated[i]
                    ? Array(vector.finalObservations[row]).map(Double.init) : {
                        let v = vector.state(i)
                        return [v.x, v.xDot, v.theta, v.thetaDot]
                    }()
                let expected = [local.x, local.xDot, local.theta, local.thetaDot]
                for (v, e) in zip(reached, expected) {
                    let error = abs(v - e) / (abs(e) + 1)
                    maxStepError = max(maxStepError, error)
                    XCTAssertLessThanOrEqual(error, Self.stepTolerance, "\(context): one step")
                }
                let tracked = [references[i].state.x, references[i].state.xDot, references[i].state.theta, references[i].state.thetaDot]
                let deviation = zip(reached, tracked).map { abs($0 - $1) }.max()!
                maxEpisodeDeviation = max(maxEpisodeDeviation, deviation)
                XCTAssertLessThanOrEqual(deviation, Self.episodeTolerance, "\(context): episode")
                // Flags from the copy's own Float32 state and thresholds.
                let f = reached.map(Float.init)
                let fell = f[0] < -xLimit || f[0] > xLimit || f[2] < -thetaLimit || f[2] > thetaLimit
                XCTAssertEqual(vector.terminated[i], fell, context)
                XCTAssertEqual(vector.rewards[i], Float(model.rewardPerStep), context)
                if vector.terminated[i] != reference.terminated || vector.truncated[i] != (reference.truncated && !reference.terminated) {
                    endMismatches += 1
                }
                if vector.terminated[i] || vector.truncated[i] {
                    ended += 1
                    if vector.truncated[i] {
                        truncations += 1
                        XCTAssertEqual(lengths[i], model.maxEpisodeSteps, context)
                    }
                    expectedEpisodes.append(lengths[i])
                    lengths[i] = 0
                    _ = starts[i].reset(seed: nil)
                    XCTAssertEqual(Array(vector.observations[row]), starts[i].observation, "\(context): next start state")
                    references[i].reset(to: vector.state(i))
                } else if reference.terminated || reference.truncated {
                    // Float64 ended the episode earlier: follow the copy again from where it is.
                    references[i].reset(to: vector.state(i))
                    references[i].elapsedSteps = lengths[i]
                }
            }
            XCTAssertEqual(vector.finishedEpisodes.map(\.length), expectedEpisodes, "step \(step): episodes in copy order")
            XCTAssertTrue(vector.finishedEpisodes.allSatisfy { $0.score == Double($0.length) * model.rewardPerStep })
        }
        XCTAssertGreaterThan(ended, count, "episodes ended and restarted automatically")
        XCTAssertLessThanOrEqual(Double(endMismatches), Self.endMismatchShare * Double(ended), "episode ends that differ from Float64")
        if model.maxEpisodeSteps < steps { XCTAssertGreaterThan(truncations, 0, "some episodes reached the step limit") }
        print(
            "CartPole vector (Float32) vs Float64: \(count) copies × \(steps) steps, \(ended) episodes, \(endMismatches) ends differ;"
                + " max one-step error \(maxStepError), max episode deviation \(maxEpisodeDeviation)")
    }

    func testCopiesFollowSingleEnvironments() throws {
        try checkAgainstFloat64(model: CartPoleModel(), count: 1031, steps: 120, seed: 3)
    }

    /// A wide angle limit takes the Float64 sine and cosine; a short step limit truncates episodes.
    func testWideAngleLimitAndShortEpisodes() throws {
        var model = CartPoleModel()
        model.thetaThreshold = 3
        model.xThreshold = 1e6
        model.maxEpisodeSteps = 40
        try checkAgainstFloat64(model: model, count: 9, steps: 100, seed: 8)
        // Semi-implicit Euler is a description option as well.
        var semi = CartPoleModel()
        semi.explicitEuler = false
        try checkAgainstFloat64(model: semi, count: 5, steps: 100, seed: 9)
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
