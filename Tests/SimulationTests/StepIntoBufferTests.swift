import CAllocationCounter
import ReflexCore
@testable import Simulation
import XCTest

/// `step(_:observation:)` is the same step as `step(_:)`, written into the caller's buffer: for every
/// bundled robot, for a wrapper that relies on the protocol's default, and without heap allocations.
final class StepIntoBufferTests: XCTestCase {
    /// Actions that make episodes end now and then: seeded random choices or values across the range.
    func actions(for space: ActionSpace, count: Int, seed: UInt64) -> [Action] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            switch space {
            case .discrete(let choices): return .discrete(Int(g.next() % UInt64(choices.count)))
            case .continuous(let low, let high):
                return .continuous(zip(low, high).map { lo, hi in lo + (hi - lo) * g.nextUnit() })
            }
        }
    }

    /// Steps `a` through `step(_:)` and `b` through `step(_:observation:)` in lockstep, resetting both at
    /// episode ends; every observation, reward and flag must agree bit for bit.
    func assertLockstep(_ a: inout some Environment, _ b: inout some Environment, actions: [Action], _ name: String) {
        XCTAssertEqual(a.reset(seed: 5), b.reset(seed: 5), name)
        var buffer = [Float](repeating: .nan, count: a.observationChannels.count)
        var episodes = 0
        for (i, action) in actions.enumerated() {
            let expected = a.step(action)
            let outcome = buffer.withUnsafeMutableBufferPointer { b.step(action, observation: $0) }
            let same = expected.observation.map(\.bitPattern) == buffer.map(\.bitPattern)
            XCTAssertTrue(same, "\(name) step \(i): \(buffer) vs \(expected.observation)")
            XCTAssertEqual(outcome, StepOutcome(reward: expected.reward, terminated: expected.terminated, truncated: expected.truncated), "\(name) step \(i)")
            if !same { return }
            if expected.terminated || expected.truncated {
                episodes += 1
                XCTAssertEqual(a.reset(seed: nil), b.reset(seed: nil), name)
            }
        }
        XCTAssertGreaterThan(episodes, 1, "\(name): the comparison should cross episode ends")
    }

    func testEveryBundledRobotStepsTheSameThroughBothAPIs() throws {
        for name in RobotEnvironments.simulators {
            let description = try RobotDescription.bundled(named: name)
            var a = try RobotEnvironments.plain(description, seed: 3)
            var b = try RobotEnvironments.plain(description, seed: 3)
            let steps = name == "cartpole" ? 2_000 : 4_000
            // Short episodes, so resets happen within the comparison.
            var limited = (TimeLimit(AnyEnvironment(a), maxSteps: 150), TimeLimit(AnyEnvironment(b), maxSteps: 150))
            assertLockstep(&limited.0, &limited.1, actions: actions(for: a.actionSpace, count: steps, seed: 9), name + " (time limit)")
            assertLockstep(&a, &b, actions: actions(for: a.actionSpace, count: steps, seed: 9), name)
        }
    }

    /// Neither API allocates per step on the environments the bench measures, once warm; an observation
    /// array the caller keeps is not overwritten by later steps.
    func testStepsDoNotAllocate() throws {
        try assertNoAllocations(CartPoleEnvironment(description: RobotDescription.bundled(named: "cartpole")), "cartpole")
        try assertNoAllocations(PendulumEnvironment(description: RobotDescription.bundled(named: "pendulum")), "pendulum")
        try assertNoAllocations(CartPoleRigEnvironment(description: RobotDescription.bundled(named: "cartpole-rig")), "cartpole-rig")
        try assertNoAllocations(FurutaEnvironment(description: RobotDescription.bundled(named: "furuta")), "furuta")
    }

    func assertNoAllocations<E: Environment>(_ environment: E, _ name: String) {
        var env = environment
        let moves = actions(for: env.actionSpace, count: 1_000, seed: 2)
        var buffer = [Float](repeating: 0, count: env.observationChannels.count)
        _ = env.reset(seed: 1)
        let kept = env.step(moves[0]).observation
        let keptCopy = kept.map(\.bitPattern)
        _ = env.step(moves[1])  // the first step after `kept` copies the array once
        allocation_counter_start()
        for action in moves {
            let s = env.step(action)
            if s.terminated || s.truncated { _ = env.reset(seed: nil) }
        }
        let arrayAllocations = allocation_counter_stop()
        let bufferAllocations: UInt64 = buffer.withUnsafeMutableBufferPointer { out in
            allocation_counter_start()
            for action in moves {
                let o = env.step(action, observation: out)
                if o.terminated || o.truncated { _ = env.reset(seed: nil) }
            }
            return allocation_counter_stop()
        }
        XCTAssertEqual(arrayAllocations, 0, "\(name): step(_:) allocated")
        XCTAssertEqual(bufferAllocations, 0, "\(name): step(_:observation:) allocated")
        XCTAssertEqual(kept.map(\.bitPattern), keptCopy, "\(name): a kept observation changed")
    }
}

/// The vectorized environments step without heap allocations on the calling thread, across episode ends.
final class VectorStepAllocationTests: XCTestCase {
    func testVectorStepsDoNotAllocateAcrossEpisodeEnds() throws {
        for threads in [1, 2] {
            let pendulum = PendulumVectorEnvironment(model: PendulumModel(), count: 64, threads: threads)
            pendulum.reset(seed: 1)
            let torques = (0..<64).map { Float($0 % 5) - 2 }
            allocation_counter_start()
            var ended = 0
            for _ in 0..<450 {  // 200-step episodes: two rounds of ends
                pendulum.step(torques)
                ended += pendulum.finishedEpisodes.count
            }
            XCTAssertEqual(allocation_counter_stop(), 0, "pendulum, \(threads) threads")
            XCTAssertEqual(ended, 128)

            let cartpole = CartPoleVectorEnvironment(model: CartPoleModel(), count: 64, threads: threads)
            cartpole.reset(seed: 1)
            let pushes = (0..<64).map { Int32($0 & 1) }
            allocation_counter_start()
            ended = 0
            for _ in 0..<300 {
                cartpole.step(pushes)
                ended += cartpole.finishedEpisodes.count
            }
            XCTAssertEqual(allocation_counter_stop(), 0, "cartpole, \(threads) threads")
            XCTAssertGreaterThan(ended, 64)
        }
    }
}
