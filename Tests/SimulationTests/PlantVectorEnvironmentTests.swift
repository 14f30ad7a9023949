import ReflexCore
import Simulation
import XCTest

/// N plant copies in one call: agreement with single environments, automatic reset, seeds, threads.
final class PlantVectorEnvironmentTests: XCTestCase {
    /// Seeded random actions in −1…1 (scaled to the action space), [count × actionSize].
    private func actions(_ g: inout SeededGenerator, count: Int, low: [Float], high: [Float]) -> [Float] {
        (0..<count * low.count).map { k in
            let j = k % low.count
            return low[j] + Float(g.nextUnit()) * (high[j] - low[j])
        }
    }

    func testEachCopyMatchesASingleEnvironment() throws {
        let d = try RobotDescription.bundled(named: "cartpole-rig")
        let model = try CartPoleRigModel(description: d)
        let vector = try PlantVectorEnvironment(model: model, count: 4, threads: 2)
        vector.reset(seed: 5)
        // Copy i starts from the state its own generator drew; a single environment replays it.
        var singles = (0..<4).map { i -> CartPoleRigEnvironment in
            var env = CartPoleRigEnvironment(model: model)
            env.reset(to: vector.state(i))
            return env
        }
        var g = SeededGenerator(seed: 1)
        for _ in 0..<40 {
            let a = actions(&g, count: 4, low: vector.actionLow, high: vector.actionHigh)
            vector.step(a)
            for i in 0..<4 {
                let single = singles[i].step(.continuous([Double(a[i])]))
                if vector.terminated[i] {
                    XCTAssertTrue(single.terminated)
                    XCTAssertEqual(Array(vector.finalObservations[2 * i ..< 2 * i + 2]), single.observation)
                    singles[i].reset(to: vector.state(i))
                } else {
                    XCTAssertEqual(Array(vector.observations[2 * i ..< 2 * i + 2]), single.observation, "copy \(i)")
                    XCTAssertEqual(Double(vector.rewards[i]), single.reward, accuracy: 1e-6)
                }
            }
        }
    }

    func testSameSeedSameRunAnyThreadCount() throws {
        let d = try RobotDescription.bundled(named: "furuta-balance")
        func run(threads: Int, seed: UInt64) throws -> ([Float], [Float], Int) {
            let env = try PlantVectorEnvironment<FurutaModel>(description: d, count: 37, threads: threads, randomize: true)
            env.reset(seed: seed)
            var g = SeededGenerator(seed: 2)
            var finished = 0
            var trace: [Float] = []
            for _ in 0..<150 {
                env.step(actions(&g, count: 37, low: env.actionLow, high: env.actionHigh))
                finished += env.finishedEpisodes.count
                trace += env.rewards
            }
            return (env.observations, trace, finished)
        }
        let one = try run(threads: 1, seed: 3)
        let two = try run(threads: 2, seed: 3), three = try run(threads: 3, seed: 3)
        XCTAssertEqual(one.0, two.0)
        XCTAssertEqual(one.1, two.1)
        XCTAssertEqual(one.1, three.1)
        XCTAssertEqual(one.2, two.2)
        XCTAssertGreaterThan(one.2, 37, "episodes ended and restarted automatically")
        XCTAssertNotEqual(try run(threads: 2, seed: 4).1, one.1, "another seed, another run")
    }

    func testAutomaticResetAndTruncation() throws {
        // Parked diffdrive robots never leave the line: every copy is truncated at max_steps together.
        var d = try RobotDescription.bundled(named: "diffdrive")
        d.maxEpisodeSteps = 25
        let env = try PlantVectorEnvironment<DiffDriveModel>(description: d, count: 8, threads: 2)
        env.reset(seed: 1)
        let start = env.observations
        let zeros = [Float](repeating: 0, count: 16)
        for step in 1...25 {
            env.step(zeros)
            XCTAssertEqual(env.truncated, Array(repeating: step == 25, count: 8), "step \(step)")
            XCTAssertEqual(env.terminated, Array(repeating: false, count: 8))
        }
        XCTAssertEqual(env.finishedEpisodes.count, 8)
        XCTAssertTrue(env.finishedEpisodes.allSatisfy { $0.length == 25 })
        XCTAssertNotEqual(env.observations, start, "new episodes drew new start states")
    }

    func testRandomizedCopiesDrawTheirOwnParameters() throws {
        let d = try RobotDescription.bundled(named: "cartpole-rig")
        let env = try PlantVectorEnvironment<CartPoleRigModel>(description: d, count: 16, threads: 2, randomize: true)
        env.reset(seed: 8)
        let masses = Set((0..<16).map { env.model($0).poleMass })
        XCTAssertEqual(masses.count, 16)
        XCTAssertTrue(masses.allSatisfy { (0.07...0.09).contains($0) })
        let nominal = try PlantVectorEnvironment<CartPoleRigModel>(description: d, count: 16)
        XCTAssertTrue((0..<16).allSatisfy { nominal.model($0).poleMass == 0.08 })
    }

    func testRefusals() throws {
        let cartpole = try RobotDescription.bundled(named: "cartpole")
        XCTAssertThrowsError(try PlantVectorEnvironment<CartPoleRigModel>(description: cartpole, count: 4)) { error in
            XCTAssertEqual((error as? ReflexError)?.code, .invalidDescription)
            XCTAssertTrue((error as? ReflexError)?.message.contains("simulator: expected 'cartpole-rig', got 'cartpole'") ?? false, "\(error)")
        }
        let rig = try RobotDescription.bundled(named: "cartpole-rig")
        XCTAssertThrowsError(try PlantVectorEnvironment<CartPoleRigModel>(description: rig, count: 0))
    }

    /// Copy i replays a single faithful environment (randomization, actuator and sensor latency, noise,
    /// frame stacking) reset with the copy's seed, bit for bit, across automatic resets.
    func testCopiesReplayFaithfulSingleEnvironments() throws {
        var d = try RobotDescription.bundled(named: "diffdrive")
        // Add sensor latency to the description's noise, rate limit and randomization.
        d.sensorModels[2].latencyTicks = 2
        d.sensorModels[0].latencyTicks = 1
        d.actuatorModels = d.actuatorModels.map { var m = $0; m.latencyTicks = 2; return m }
        d.maxEpisodeSteps = 30
        // … and randomize the hardware too: latencies and noise drawn per episode.
        d.randomization += [
            ParameterRange(section: .sensors, name: "line_1.latency_ticks", low: 0, high: 3),
            ParameterRange(section: .sensors, name: "line_3.noise", low: 0, high: 40),
            ParameterRange(section: .actuators, name: "latency_ticks", low: 0, high: 2),
            ParameterRange(section: .actuators, name: "left_motor_duty.deadzone", low: 0, high: 0.3),
        ]
        let count = 5, frames = 3
        let vector = try PlantVectorEnvironment<DiffDriveModel>(description: d, count: count, threads: 2, options: .faithful(frames: frames))
        XCTAssertEqual(vector.observationSize, 7 * frames)
        vector.reset(seed: 11)
        let seeds = vector.copySeeds(11)
        var singles = try seeds.map { seed -> FrameStack<AnyEnvironment> in
            var env = FrameStack(try RobotEnvironments.make(d, seed: seed, options: .faithful), frames: frames)
            _ = env.reset(seed: seed)
            return env
        }
        for i in 0..<count {
            XCTAssertEqual(Array(vector.observations[i * 21 ..< (i + 1) * 21]), singles[i].reset(seed: seeds[i]), "copy \(i) start")
        }
        var g = SeededGenerator(seed: 4)
        var ended = 0
        for step in 0..<70 {
            let a = actions(&g, count: count, low: vector.actionLow, high: vector.actionHigh)
            vector.step(a)
            for i in 0..<count {
                let single = singles[i].step(.continuous([Double(a[2 * i]), Double(a[2 * i + 1])]))
                XCTAssertEqual(Double(vector.rewards[i]), single.reward, accuracy: 1e-5, "copy \(i) step \(step)")
                XCTAssertEqual(vector.terminated[i], single.terminated)
                XCTAssertEqual(vector.truncated[i], single.truncated && !single.terminated)
                let row = i * 21 ..< (i + 1) * 21
                if single.terminated || single.truncated {
                    ended += 1
                    XCTAssertEqual(Array(vector.finalObservations[row]), single.observation, "copy \(i) step \(step) final")
                    XCTAssertEqual(Array(vector.observations[row]), singles[i].reset(seed: nil), "copy \(i) step \(step) restart")
                } else {
                    XCTAssertEqual(Array(vector.observations[row]), single.observation, "copy \(i) step \(step)")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(ended, count * 2, "every copy restarted at least twice")
    }
}
