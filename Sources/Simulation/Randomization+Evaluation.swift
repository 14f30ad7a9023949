import ReflexCore

/// How well a controller holds up under the randomization and hardware effects its description
/// declares: the same episodes (same seeds) run on the nominal plant and on the faithful one, so
/// robustness is a number (`ratio` of mean returns).
public enum Robustness {
    /// Returns over a set of episodes.
    public struct Returns: Sendable, Equatable {
        public var episodes: Int
        public var mean: Double
        public var std: Double
        public var min: Double
        public var max: Double
        /// Mean episode length in steps.
        public var meanLength: Double
        /// Episodes that ended by termination (the task failed) rather than the time limit.
        public var terminated: Int
    }

    public struct Report: Sendable {
        public var nominal: Returns
        public var randomized: Returns
        /// randomized.mean / nominal.mean (1 when both are 0).
        public var ratio: Double {
            if nominal.mean == 0 { return randomized.mean == 0 ? 1 : 0 }
            return randomized.mean / nominal.mean
        }
    }

    /// Runs `episodes` episodes of the description's environment with `options`; episode k starts from
    /// seed `SeededGenerator(seed)`'s k-th split. `policy` makes a fresh controller per episode (so a
    /// controller may keep state, such as velocity estimates), which maps an observation to an action.
    public static func returns(
        _ description: RobotDescription, options: RobotEnvironments.Options, episodes: Int, seed: UInt64,
        policy: () -> ([Float]) -> Action
    ) throws -> Returns {
        guard episodes > 0 else { throw ReflexError(.invalidArgument, "evaluate at least one episode, got \(episodes)") }
        var env = try RobotEnvironments.make(description, seed: seed, options: options)
        var seeds = SeededGenerator(seed: seed)
        var totals: [Double] = [], lengths: [Double] = []
        var failed = 0
        for _ in 0..<episodes {
            let act = policy()
            var observation = env.reset(seed: seeds.split())
            var total = 0.0, length = 0
            while true {
                let result = env.step(act(observation))
                total += result.reward
                length += 1
                observation = result.observation
                if result.terminated { failed += 1 }
                if result.terminated || result.truncated { break }
            }
            totals.append(total)
            lengths.append(Double(length))
        }
        let mean = totals.reduce(0, +) / Double(episodes)
        let variance = totals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(episodes)
        return Returns(
            episodes: episodes, mean: mean, std: variance.squareRoot(), min: totals.min() ?? 0, max: totals.max() ?? 0,
            meanLength: lengths.reduce(0, +) / Double(episodes), terminated: failed)
    }

    /// The same episodes on the nominal plant and with everything the description declares.
    public static func compare(
        _ description: RobotDescription, episodes: Int, seed: UInt64, policy: () -> ([Float]) -> Action
    ) throws -> Report {
        Report(
            nominal: try returns(description, options: .nominal, episodes: episodes, seed: seed, policy: policy),
            randomized: try returns(description, options: .faithful, episodes: episodes, seed: seed, policy: policy))
    }
}
