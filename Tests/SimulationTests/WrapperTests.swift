import ReflexCore
import Simulation
import XCTest

/// An environment whose observation is the step count and the last applied action, so a wrapper's
/// effect on timing and values can be read off directly. Terminates at `endAt` steps (never if nil).
struct Scripted: Environment {
    var observationChannels = [
        ChannelSpec(name: "step", unit: "1", min: 0, max: 100),
        ChannelSpec(name: "applied", unit: "N", min: -2, max: 2),
    ]
    var actuatorChannels = [ChannelSpec(name: "force", unit: "N", min: -2, max: 2, safeValue: 0.5)]
    var actionSpace = ActionSpace.continuous(low: [-2], high: [2])
    var endAt: Int?
    var steps = 0
    var applied: [Double] = []

    mutating func reset(seed: UInt64?) -> [Float] {
        steps = 0
        applied = []
        return [0, 0]
    }

    mutating func step(_ action: Action) -> Step {
        guard case let .continuous(values) = action else { fatalError("continuous only") }
        steps += 1
        applied.append(values[0])
        return Step(observation: [Float(steps), Float(values[0])], reward: Double(steps), terminated: steps == endAt, truncated: false)
    }
}

final class WrapperTests: XCTestCase {
    func testTimeLimitTruncatesAtTheLimitAndRestartsOnReset() {
        var env = TimeLimit(Scripted(), maxSteps: 3)
        _ = env.reset(seed: 0)
        XCTAssertEqual((0..<3).map { _ in env.step(.continuous([0])).truncated }, [false, false, true])
        _ = env.reset(seed: 0)
        XCTAssertFalse(env.step(.continuous([0])).truncated)
    }

    func testSensorNoiseQuantizesAndClampsAndIsSeeded() {
        var quantized = SensorNoise(Scripted(), noise: [0, 0], resolution: [0, 0.5])
        _ = quantized.reset(seed: 0)
        XCTAssertEqual(quantized.step(.continuous([0.7])).observation, [1, 0.5])
        XCTAssertEqual(quantized.step(.continuous([1.9])).observation, [2, 2])
        XCTAssertEqual(quantized.step(.continuous([-0.2])).observation, [3, 0])

        func noisy(seed: UInt64) -> [Float] {
            var env = SensorNoise(Scripted(), noise: [0, 0.5], resolution: [0, 0])
            _ = env.reset(seed: seed)
            return (0..<400).map { _ in env.step(.continuous([0])).observation[1] }
        }
        let a = noisy(seed: 1)
        XCTAssertEqual(a, noisy(seed: 1), "a seed reproduces the noise")
        XCTAssertNotEqual(a, noisy(seed: 2))
        let mean = a.reduce(0, +) / Float(a.count)
        let std = (a.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(a.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.08)
        XCTAssertEqual(std, 0.5, accuracy: 0.06)

        var loud = SensorNoise(Scripted(), noise: [0, 100], resolution: [0, 0])
        _ = loud.reset(seed: 0)
        for _ in 0..<50 { XCTAssertLessThanOrEqual(abs(loud.step(.continuous([0])).observation[1]), 2, "clamped to the channel range") }
    }

    func testSensorLatencyDelaysEachChannel() {
        var env = SensorLatency(Scripted(), latency: [2, 0])
        XCTAssertEqual(env.reset(seed: 0), [0, 0])
        let seen = (1...4).map { k in env.step(.continuous([Double(k) / 4])).observation }
        XCTAssertEqual(seen.map { $0[0] }, [0, 0, 1, 2], "step count two periods late (the start value repeats)")
        XCTAssertEqual(seen.map { $0[1] }, [0.25, 0.5, 0.75, 1], "no latency on the second channel")
        XCTAssertEqual(env.reset(seed: 0), [0, 0])
        XCTAssertEqual(env.step(.continuous([0])).observation[0], 0, "history restarts at reset")
    }

    func testActuatorLatencyAppliesCommandsLaterAndStartsSafe() {
        var env = ActuatorLatency(Scripted(), latency: 2)
        _ = env.reset(seed: 0)
        for k in 1...4 { _ = env.step(.continuous([Double(k)])) }
        XCTAssertEqual(env.base.applied, [0.5, 0.5, 1, 2], "the safe value while the first commands are in flight")
        _ = env.reset(seed: 0)
        _ = env.step(.continuous([-1]))
        XCTAssertEqual(env.base.applied, [0.5], "pending commands are dropped at reset")
    }

    func testActionRepeatSumsRewardsAndStopsAtTheEnd() {
        var env = ActionRepeat(Scripted(endAt: 5), repeats: 3)
        _ = env.reset(seed: 0)
        let first = env.step(.continuous([1]))
        XCTAssertEqual(first.reward, 1 + 2 + 3)
        XCTAssertEqual(first.observation, [3, 1])
        let second = env.step(.continuous([1]))
        XCTAssertTrue(second.terminated)
        XCTAssertEqual(second.reward, 4 + 5, "stops at termination")
        XCTAssertEqual(env.base.steps, 5)
    }

    func testFrameStackNewestFirst() {
        var env = FrameStack(Scripted(), frames: 3)
        XCTAssertEqual(env.observationChannels.map(\.name), ["step", "applied", "step_prev1", "applied_prev1", "step_prev2", "applied_prev2"])
        XCTAssertEqual(env.reset(seed: 0), [0, 0, 0, 0, 0, 0])
        _ = env.step(.continuous([1]))
        XCTAssertEqual(env.step(.continuous([-1])).observation, [2, -1, 1, 1, 0, 0])
    }

    func testRescaling() throws {
        var obs = RescaleObservation(Scripted())
        XCTAssertEqual(obs.observationChannels.map(\.min), [-1, -1])
        XCTAssertEqual(obs.reset(seed: 0), [-1, 0])
        XCTAssertEqual(obs.step(.continuous([1])).observation, [-0.98, 0.5])

        var act = try RescaleAction(Scripted())
        XCTAssertEqual(act.actionSpace, .continuous(low: [-1], high: [1]))
        _ = act.reset(seed: 0)
        _ = act.step(.continuous([-1]))
        _ = act.step(.continuous([0.5]))
        _ = act.step(.continuous([7]))
        XCTAssertEqual(act.base.applied, [-2, 1, 2])
        let discrete = try CartPoleEnvironment(description: try RobotDescription.bundled(named: "cartpole"))
        XCTAssertThrowsError(try RescaleAction(discrete)) { error in
            XCTAssertEqual((error as? ReflexError)?.code, .invalidArgument)
        }
    }

    func testDomainRandomizationDrawsPerEpisodeFromTheDescription() throws {
        let nominal = try RobotDescription.bundled(named: "cartpole-rig")
        func episodes(seed: UInt64) throws -> [[String: Double]] {
            var env = try RandomizedEnvironment(nominal: nominal) { try CartPoleRigEnvironment(description: $0) }
            var draws: [[String: Double]] = []
            _ = env.reset(seed: seed)
            draws.append(env.parameters)
            for _ in 0..<5 {
                _ = env.reset(seed: nil)
                draws.append(env.parameters)
                XCTAssertEqual(env.base.model.poleMass, env.parameters["physics.pole_mass"], "the plant uses the drawn value")
            }
            return draws
        }
        let draws = try episodes(seed: 9)
        XCTAssertEqual(try episodes(seed: 9), draws, "a seed reproduces the draws")
        XCTAssertNotEqual(try episodes(seed: 10), draws)
        XCTAssertEqual(Set(draws.map { $0["physics.pole_mass"] ?? 0 }).count, draws.count, "a new draw every episode")
        for draw in draws {
            XCTAssertEqual(draw.count, nominal.randomization.count)
            for range in nominal.randomization {
                let value = try XCTUnwrap(draw[range.keyPath])
                XCTAssertTrue((range.low...range.high).contains(value), "\(range.keyPath) = \(value)")
            }
        }
    }

    func testFaithfulEnvironmentAppliesTheDescriptionsLatency() throws {
        // cartpole-rig declares one period of actuator latency: the first command has no effect yet.
        let d = try RobotDescription.bundled(named: "cartpole-rig")
        var faithful = try RobotEnvironments.make(d, seed: 3, options: [.actuatorLatency])
        var plain = try RobotEnvironments.make(d, seed: 3, options: .nominal)
        XCTAssertEqual(faithful.reset(seed: 3), plain.reset(seed: 3))
        XCTAssertEqual(faithful.step(.continuous([1])).observation, plain.step(.continuous([0])).observation)
        XCTAssertEqual(faithful.step(.continuous([0])).observation, plain.step(.continuous([1])).observation)
    }
}
