import ReflexCore

/// Checks an environment against the contracts the trainer and the control loop rely on, in the spirit
/// of Gymnasium's `check_env`: spaces that agree, observations inside their declared bounds, determinism
/// under a seed, reset contracts, and terminated/truncated semantics.
public struct EnvironmentChecker {
    /// One finding: the check that failed and what was seen.
    public struct Finding: Sendable, CustomStringConvertible {
        public var check: String
        public var problem: String
        public var description: String { "\(check): \(problem)" }
    }

    public struct Report: Sendable {
        /// Checks run, in order.
        public var checks: [String] = []
        /// Contract violations; empty when the environment passes.
        public var failures: [Finding] = []
        /// Suspicious but allowed (a seed that changes nothing).
        public var warnings: [Finding] = []
        /// Environment steps taken by all checks.
        public var steps = 0
        public var passed: Bool { failures.isEmpty }
    }

    /// Builds a fresh environment; called several times (environments are compared with each other).
    public let make: () throws -> any Environment
    /// Episode limit the environment declares (truncation expected by then); `nil` to skip that check.
    public let maxEpisodeSteps: Int?
    public let seed: UInt64
    /// Steps per determinism rollout.
    public let steps: Int
    /// Episodes run to their end for the termination checks: even ones under random actions, odd ones
    /// holding the actuators' safe values.
    public let episodes: Int

    public init(
        maxEpisodeSteps: Int?, seed: UInt64 = 0, steps: Int = 300, episodes: Int = 3,
        make: @escaping () throws -> any Environment
    ) {
        self.make = make
        self.maxEpisodeSteps = maxEpisodeSteps
        self.seed = seed
        self.steps = steps
        self.episodes = episodes
    }

    /// Runs every check; throws only when `make` does.
    public func run() throws -> Report {
        var report = Report()
        func check(_ name: String, _ body: (inout [Finding], inout [Finding]) throws -> Void) rethrows {
            report.checks.append(name)
            var failures: [Finding] = [], warnings: [Finding] = []
            try body(&failures, &warnings)
            report.failures += failures
            report.warnings += warnings
        }
        var env = try make()

        check("spaces") { failures, _ in
            let obs = env.reset(seed: seed)
            if obs.count != env.observationChannels.count {
                failures.append(Finding(check: "spaces", problem: "reset returned \(obs.count) values for \(env.observationChannels.count) sensor channels"))
            }
            if env.actionSpace.actuatorCount != env.actuatorChannels.count {
                failures.append(Finding(check: "spaces", problem: "the action space drives \(env.actionSpace.actuatorCount) actuators, the environment lists \(env.actuatorChannels.count)"))
            }
            if case let .continuous(low, high) = env.actionSpace {
                for j in low.indices where !(low[j].isFinite && high[j].isFinite && low[j] <= high[j]) {
                    failures.append(Finding(check: "spaces", problem: "action bounds [\(low[j]), \(high[j])] of \(env.actuatorChannels[j].name) are not a finite range"))
                }
            }
            if case let .discrete(choices) = env.actionSpace, choices.isEmpty {
                failures.append(Finding(check: "spaces", problem: "no discrete actions"))
            }
        }
        guard report.passed else { return report }

        try check("reset determinism") { failures, _ in
            var other = try make()
            let a = env.reset(seed: seed), b = other.reset(seed: seed)
            if a != b { failures.append(Finding(check: "reset determinism", problem: "two environments reset with seed \(seed) start at \(a) and \(b)")) }
            let again = env.reset(seed: seed)
            if again != a { failures.append(Finding(check: "reset determinism", problem: "reset(seed: \(seed)) twice gives \(a), then \(again)")) }
            // An unseeded reset continues the seeded stream, so it too is reproducible.
            let c = env.reset(seed: nil), d = other.reset(seed: nil)
            if c != d { failures.append(Finding(check: "reset determinism", problem: "reset(seed: nil) after the same seeded reset gives \(c) and \(d)")) }
        }

        try check("step determinism") { failures, _ in
            var other = try make()
            let first = rollout(&env, seed: seed, actionSeed: seed &+ 1, steps: steps, report: &report)
            let second = rollout(&other, seed: seed, actionSeed: seed &+ 1, steps: steps, report: &report)
            if let index = firstDifference(first, second) {
                failures.append(Finding(check: "step determinism", problem: "same seed and actions diverge at step \(index): \(index < first.count ? "\(first[index])" : "ended") vs \(index < second.count ? "\(second[index])" : "ended")"))
            }
            // A reset in mid-episode restores the seeded start completely.
            _ = rollout(&env, seed: seed &+ 99, actionSeed: 5, steps: steps / 3, report: &report)
            let third = rollout(&env, seed: seed, actionSeed: seed &+ 1, steps: steps, report: &report)
            if let index = firstDifference(first, third) {
                failures.append(Finding(check: "step determinism", problem: "after a reset in mid-episode the same seed diverges at step \(index)"))
            }
        }

        try check("step into a buffer") { failures, _ in
            // step(_:observation:) is the same step as step(_:), written into the caller's buffer.
            var a = try make(), b = try make()
            let arrays = rollout(&a, seed: seed, actionSeed: seed &+ 1, steps: steps, report: &report)
            let buffered = rollout(&b, seed: seed, actionSeed: seed &+ 1, steps: steps, report: &report, intoBuffer: true)
            if let index = firstDifference(arrays, buffered) {
                failures.append(Finding(check: "step into a buffer", problem: "step(_:observation:) differs from step(_:) at step \(index): \(index < buffered.count ? "\(buffered[index])" : "ended") vs \(index < arrays.count ? "\(arrays[index])" : "ended")"))
            }
        }

        check("seed effect") { _, warnings in
            var starts = Set<[Float]>()
            for k in 0..<8 { starts.insert(env.reset(seed: seed &+ UInt64(k) &* 7919)) }
            if starts.count == 1 {
                warnings.append(Finding(check: "seed effect", problem: "8 different seeds all start at \(starts.first ?? [])"))
            }
        }

        check("bounds and episodes") { failures, _ in
            let channels = env.observationChannels
            var actions = SeededGenerator(seed: seed ^ 0xA5A5)
            func outOfBounds(_ obs: [Float], at place: String) {
                guard obs.count == channels.count else {
                    failures.append(Finding(check: "bounds", problem: "\(place): \(obs.count) values for \(channels.count) channels"))
                    return
                }
                for (i, v) in obs.enumerated() where !(Double(v) >= channels[i].min && Double(v) <= channels[i].max) {
                    failures.append(Finding(check: "bounds", problem: "\(place): \(channels[i].name) = \(v) outside \(channels[i].min)…\(channels[i].max)"))
                    return
                }
            }
            let cap = (maxEpisodeSteps ?? 10_000) + 1
            let idle = ActuatorLatency<AnyEnvironment>.safeAction(AnyEnvironment(env))
            for episode in 0..<episodes {
                outOfBounds(env.reset(seed: seed &+ 1000 &+ UInt64(episode)), at: "episode \(episode) reset")
                var length = 0
                while length < cap {
                    // Odd episodes hold the actuators' safe values, so that episodes that random actions
                    // end early also run into the time limit (a hanging pendulum, a parked robot).
                    let result = env.step(episode % 2 == 1 ? idle : randomAction(env.actionSpace, &actions))
                    length += 1
                    report.steps += 1
                    outOfBounds(result.observation, at: "episode \(episode) step \(length)")
                    if !result.reward.isFinite {
                        failures.append(Finding(check: "episodes", problem: "episode \(episode) step \(length): reward \(result.reward)"))
                    }
                    if result.truncated, let limit = maxEpisodeSteps, length < limit, !result.terminated {
                        failures.append(Finding(check: "episodes", problem: "episode \(episode) truncated at step \(length), before the limit \(limit)"))
                    }
                    if result.terminated || result.truncated { break }
                    if let limit = maxEpisodeSteps, length >= limit {
                        failures.append(Finding(check: "episodes", problem: "episode \(episode) reached the limit \(limit) without being truncated"))
                        break
                    }
                }
                if failures.count > 5 { return }
            }
        }
        return report
    }

    /// (observation, reward, terminated, truncated) per step under seeded random actions; stops at the episode's end.
    /// With `intoBuffer`, through `step(_:observation:)` into a buffer one value longer than the channels,
    /// whose last value must survive (an environment writing past its observation fails the comparison).
    private func rollout(
        _ env: inout any Environment, seed: UInt64, actionSeed: UInt64, steps: Int, report: inout Report, intoBuffer: Bool = false
    ) -> [Record] {
        var actions = SeededGenerator(seed: actionSeed)
        var records = [Record(observation: env.reset(seed: seed), reward: 0, terminated: false, truncated: false)]
        let count = env.observationChannels.count
        var buffer = [Float](repeating: 0, count: count + 1)
        for _ in 0..<steps {
            let action = randomAction(env.actionSpace, &actions)
            var r: Step
            if intoBuffer {
                buffer[count] = 0x1p-7
                let outcome = buffer.withUnsafeMutableBufferPointer { env.step(action, observation: $0) }
                r = Step(observation: Array(buffer[..<count]), reward: outcome.reward, terminated: outcome.terminated, truncated: outcome.truncated)
                if buffer[count] != 0x1p-7 { r.observation.append(buffer[count]) }
            } else {
                r = env.step(action)
            }
            report.steps += 1
            records.append(Record(observation: r.observation, reward: r.reward, terminated: r.terminated, truncated: r.truncated))
            if r.terminated || r.truncated { break }
        }
        return records
    }

    private func firstDifference(_ a: [Record], _ b: [Record]) -> Int? {
        for i in 0..<max(a.count, b.count) where i >= a.count || i >= b.count || a[i] != b[i] { return i }
        return nil
    }

    struct Record: Equatable, CustomStringConvertible {
        var description: String { "obs \(observation) reward \(reward) terminated \(terminated) truncated \(truncated)" }

        var observation: [Float]
        var reward: Double
        var terminated: Bool
        var truncated: Bool

        // Bitwise, so NaN compares equal to NaN (the bounds check reports NaN).
        static func == (a: Record, b: Record) -> Bool {
            a.observation.map(\.bitPattern) == b.observation.map(\.bitPattern) && a.reward.bitPattern == b.reward.bitPattern
                && a.terminated == b.terminated && a.truncated == b.truncated
        }
    }

    /// A uniformly random action of the space.
    static func randomAction(_ space: ActionSpace, _ g: inout SeededGenerator) -> Action {
        switch space {
        case let .discrete(choices):
            return .discrete(Int(g.next() % UInt64(choices.count)))
        case let .continuous(low, high):
            return .continuous(low.indices.map { low[$0] == high[$0] ? low[$0] : g.uniform(low[$0], high[$0]) })
        }
    }

    private func randomAction(_ space: ActionSpace, _ g: inout SeededGenerator) -> Action {
        Self.randomAction(space, &g)
    }
}

extension EnvironmentChecker {
    /// A checker for a bundled robot's environment, with everything its description declares
    /// (`options`: `.faithful` by default).
    public static func forRobot(
        _ description: RobotDescription, seed: UInt64 = 0, steps: Int = 300, episodes: Int = 3,
        options: RobotEnvironments.Options = .faithful
    ) throws -> EnvironmentChecker {
        _ = try RobotEnvironments.make(description, seed: seed, options: options)
        return EnvironmentChecker(maxEpisodeSteps: description.maxEpisodeSteps, seed: seed, steps: steps, episodes: episodes) {
            try RobotEnvironments.make(description, seed: seed, options: options)
        }
    }
}
