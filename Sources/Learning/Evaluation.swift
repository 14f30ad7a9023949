import Simulation

/// Returns of a deterministic evaluation.
public struct EvaluationResult: Sendable, Codable, Equatable {
    /// One return per episode, in episode order.
    public var returns: [Double]

    public init(returns: [Double]) { self.returns = returns }

    public var episodes: Int { returns.count }
    public var mean: Double { returns.isEmpty ? 0 : returns.reduce(0, +) / Double(returns.count) }
    /// Population standard deviation.
    public var std: Double {
        guard !returns.isEmpty else { return 0 }
        let m = mean
        return (returns.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(returns.count)).squareRoot()
    }
    public var min: Double { returns.min() ?? 0 }
    public var max: Double { returns.max() ?? 0 }
}

public enum Evaluation {
    /// Runs one episode in each copy of `environment` (which must have `episodes` copies) and returns
    /// each copy's first-episode return. `chooseActions(observations, count, &actions)` fills one action
    /// per copy from the [count × observationSize] observations.
    public static func run(
        environment env: VectorEnvironment, episodes: Int, seed: UInt64,
        chooseActions: ([Float], Int, inout [Int32]) -> Void
    ) -> EvaluationResult {
        precondition(env.count == episodes, "evaluation needs one environment copy per episode")
        env.reset(seed: seed)
        var returns = [Double](repeating: 0, count: episodes)
        var finished = [Bool](repeating: false, count: episodes)
        var remaining = episodes
        var actions = [Int32](repeating: 0, count: episodes)
        while remaining > 0 {
            chooseActions(env.observations, episodes, &actions)
            env.step(actions)
            for e in 0..<episodes where !finished[e] {
                returns[e] += Double(env.rewards[e])
                if env.terminated[e] || env.truncated[e] {
                    finished[e] = true
                    remaining -= 1
                }
            }
        }
        return EvaluationResult(returns: returns)
    }
}

extension Evaluation {
    /// Continuous-action form of `run`: `chooseActions(observations, count, &actions)` fills
    /// [count × actionSize] actuator values; the environment clips them to its bounds.
    public static func run(
        environment env: ContinuousVectorEnvironment, episodes: Int, seed: UInt64,
        chooseActions: ([Float], Int, inout [Float]) -> Void
    ) -> EvaluationResult {
        precondition(env.count == episodes, "evaluation needs one environment copy per episode")
        env.reset(seed: seed)
        var returns = [Double](repeating: 0, count: episodes)
        var finished = [Bool](repeating: false, count: episodes)
        var remaining = episodes
        var actions = [Float](repeating: 0, count: episodes * env.actionSize)
        while remaining > 0 {
            chooseActions(env.observations, episodes, &actions)
            env.step(actions)
            for e in 0..<episodes where !finished[e] {
                returns[e] += Double(env.rewards[e])
                if env.terminated[e] || env.truncated[e] {
                    finished[e] = true
                    remaining -= 1
                }
            }
        }
        return EvaluationResult(returns: returns)
    }
}
