import Foundation
import NeuralNet
import ReflexCore
import Simulation

/// Checkpoints of each trainer: parameters, optimizer moments, statistics, counters and configuration.
public protocol CheckpointableTrainer: Trainer {
    var counters: TrainingCounters { get }
    func checkpoint() -> Checkpoint
    func restore(from checkpoint: Checkpoint) throws
}

extension Checkpoint {
    /// The parts every trainer stores: algorithm, seed, configuration, counters.
    mutating func addCommon<C: Encodable>(algorithm: String, seed: UInt64, config: C, counters: TrainingCounters) {
        metadata["algorithm"] = algorithm
        metadata["seed"] = String(seed)
        setJSON("config", config)
        setJSON("counters", counters)
    }
}

extension PPO: CheckpointableTrainer {
    public func checkpoint() -> Checkpoint {
        var c = Checkpoint()
        c.addCommon(algorithm: "ppo", seed: seed, config: config, counters: counters)
        c.metadata["actions"] = "discrete"
        c.add(actor.parameters + critic.parameters, prefix: "param")
        c.add(optimizer, prefix: "adam")
        c.add(generator: rng, key: "rng")
        c.add(actionHistory: actionHistory.map { Float($0) })
        return c
    }

    public func restore(from c: Checkpoint) throws {
        try c.restore(actor.parameters + critic.parameters, prefix: "param")
        try c.restore(optimizer, prefix: "adam")
        counters = try c.json("counters")
        if let history = try c.actionHistory(width: config.environments, envSteps: counters.envSteps, copies: config.environments),
           let generator = try c.generator("rng") {
            guard history.allSatisfy({ $0 >= 0 && $0 < 1_000 && $0 == $0.rounded() }) else {
                throw c.problem("the action history holds values that are not discrete actions")
            }
            actionHistory = history.map { Int32($0) }
            rng = generator
            environmentStart = .replay
        } else {
            rng = Checkpoint.resumedGenerator(seed: seed, update: counters.update)
            environmentStart = .reseed(update: counters.update)
        }
    }
}

extension PPOContinuous: CheckpointableTrainer {
    public func checkpoint() -> Checkpoint {
        var c = Checkpoint()
        c.addCommon(algorithm: "ppo", seed: seed, config: config, counters: counters)
        c.metadata["actions"] = "continuous"
        c.add(actor.parameters + [logStd] + critic.parameters, prefix: "param")
        c.add(optimizer, prefix: "adam")
        c.setJSON("observation_statistics", observationStatistics)
        c.setJSON("return_statistics", returnStatistics)
        c.add(generator: rng, key: "rng")
        c.add(actionHistory: actionHistory)
        c.tensors["env/discounted_returns"] = Tensor(shape: [discountedReturns.count], scalars: discountedReturns)
        return c
    }

    public func restore(from c: Checkpoint) throws {
        try c.restore(actor.parameters + [logStd] + critic.parameters, prefix: "param")
        try c.restore(optimizer, prefix: "adam")
        let stats: RunningMeanStd = try c.json("observation_statistics")
        guard stats.size == observationStatistics.size else {
            throw c.problem("observation statistics have \(stats.size) channels, the robot has \(observationStatistics.size)")
        }
        observationStatistics = stats
        returnStatistics = try c.json("return_statistics")
        counters = try c.json("counters")
        if let history = try c.actionHistory(width: config.environments * actionSize, envSteps: counters.envSteps, copies: config.environments),
           let generator = try c.generator("rng") {
            guard let returns = c.tensors["env/discounted_returns"], returns.count == discountedReturns.count else {
                throw c.problem("the discounted returns are missing or do not fit \(discountedReturns.count) copies")
            }
            actionHistory = history
            discountedReturns = returns.scalars
            rng = generator
            environmentStart = .replay
        } else {
            rng = Checkpoint.resumedGenerator(seed: seed, update: counters.update)
            environmentStart = .reseed(update: counters.update)
        }
    }
}

extension SAC: CheckpointableTrainer {
    var allParameters: [Parameter] {
        actor.parameters + q1.parameters + q2.parameters + q1Target.parameters + q2Target.parameters + [logAlpha]
    }

    public func checkpoint() -> Checkpoint {
        var c = Checkpoint()
        c.addCommon(algorithm: "sac", seed: seed, config: config, counters: counters)
        c.metadata["actions"] = "continuous"
        c.metadata["gradient_updates"] = String(gradientUpdates)
        c.add(allParameters, prefix: "param")
        c.add(actorOptimizer, prefix: "adam_actor")
        c.add(qOptimizer, prefix: "adam_q")
        c.add(alphaOptimizer, prefix: "adam_alpha")
        let b = buffer
        c.metadata["buffer.count"] = String(b.count)
        c.metadata["buffer.cursor"] = String(b.cursor)
        // Only the filled part of the ring is stored.
        let n = b.count
        c.tensors["buffer/observations"] = Tensor(shape: [n, b.observationSize], scalars: Array(b.observations[0..<(n * b.observationSize)]))
        c.tensors["buffer/next_observations"] = Tensor(
            shape: [n, b.observationSize], scalars: Array(b.nextObservations[0..<(n * b.observationSize)]))
        c.tensors["buffer/actions"] = Tensor(shape: [n, b.actionSize], scalars: Array(b.actions[0..<(n * b.actionSize)]))
        c.tensors["buffer/rewards"] = Tensor(shape: [n], scalars: Array(b.rewards[0..<n]))
        c.tensors["buffer/terminated"] = Tensor(shape: [n], scalars: Array(b.terminated[0..<n]))
        c.add(generator: rng, key: "rng")
        c.add(actionHistory: actionHistory)
        c.metadata["last_actor_loss"] = String(lastActorLoss.bitPattern)
        c.metadata["last_entropy"] = String(lastEntropy.bitPattern)
        return c
    }

    public func restore(from c: Checkpoint) throws {
        try c.restore(allParameters, prefix: "param")
        try c.restore(actorOptimizer, prefix: "adam_actor")
        try c.restore(qOptimizer, prefix: "adam_q")
        try c.restore(alphaOptimizer, prefix: "adam_alpha")
        guard let count = c.metadata["buffer.count"].flatMap(Int.init), let cursor = c.metadata["buffer.cursor"].flatMap(Int.init),
              let obs = c.tensors["buffer/observations"], let next = c.tensors["buffer/next_observations"],
              let act = c.tensors["buffer/actions"], let rew = c.tensors["buffer/rewards"], let done = c.tensors["buffer/terminated"]
        else { throw c.problem("the replay buffer is incomplete") }
        let b = buffer
        guard count <= b.capacity, cursor < b.capacity, obs.count == count * b.observationSize, next.count == obs.count,
              act.count == count * b.actionSize, rew.count == count, done.count == count
        else { throw c.problem("the replay buffer does not fit (\(count) transitions, capacity \(b.capacity))") }
        func padded(_ values: [Float], _ width: Int) -> [Float] { values + Array(repeating: 0, count: (b.capacity - count) * width) }
        buffer = ReplayBuffer(
            capacity: b.capacity, observationSize: b.observationSize, actionSize: b.actionSize,
            observations: padded(obs.scalars, b.observationSize), nextObservations: padded(next.scalars, b.observationSize),
            actions: padded(act.scalars, b.actionSize), rewards: padded(rew.scalars, 1), terminated: padded(done.scalars, 1),
            count: count, cursor: cursor)
        gradientUpdates = c.metadata["gradient_updates"].flatMap(Int.init) ?? 0
        counters = try c.json("counters")
        if let history = try c.actionHistory(width: config.environments * actionSize, envSteps: counters.envSteps, copies: config.environments),
           let generator = try c.generator("rng") {
            actionHistory = history
            rng = generator
            environmentStart = .replay
            lastActorLoss = c.metadata["last_actor_loss"].flatMap(UInt32.init).map(Float.init(bitPattern:)) ?? 0
            lastEntropy = c.metadata["last_entropy"].flatMap(UInt32.init).map(Float.init(bitPattern:)) ?? 0
        } else {
            rng = Checkpoint.resumedGenerator(seed: seed, update: counters.update)
            environmentStart = .reseed(update: counters.update)
        }
    }
}

extension TrainingSetup {
    /// The trainer a checkpoint was taken from, rebuilt with the checkpoint's own configuration and state.
    /// `description` must be the robot the run trained on.
    public static func resume(description: RobotDescription, checkpoint c: Checkpoint, totalSteps: Int?) throws -> CheckpointableTrainer {
        guard let algorithm = c.metadata["algorithm"], let seed = c.metadata["seed"].flatMap(UInt64.init) else {
            throw c.problem("missing algorithm or seed")
        }
        let trainer: Trainer
        switch (description.simulator, algorithm) {
        case ("cartpole", "ppo"):
            var config: PPOConfig = try c.json("config")
            if let totalSteps { config.totalSteps = totalSteps }
            let model = try CartPoleModel(description: description)
            trainer = PPO(config: config, seed: seed) { CartPoleVectorEnvironment(model: model, count: $0) }
        case ("pendulum", "ppo"):
            var config: PPOConfig = try c.json("config")
            if let totalSteps { config.totalSteps = totalSteps }
            let model = try PendulumModel(description: description)
            trainer = PPOContinuous(config: config, seed: seed) { PendulumVectorEnvironment(model: model, count: $0) }
        case ("pendulum", "sac"):
            var config: SACConfig = try c.json("config")
            if let totalSteps { config.totalSteps = totalSteps }
            let model = try PendulumModel(description: description)
            trainer = SAC(config: config, seed: seed) { PendulumVectorEnvironment(model: model, count: $0) }
        case (let simulator, _) where plantSimulators.contains(simulator):
            let environment: EnvironmentConfig = try c.json(PlantTrainer.checkpointKey)
            let make = try plantEnvironment(description, environment)
            let inner: Trainer
            if algorithm == "sac" {
                var config: SACConfig = try c.json("config")
                if let totalSteps { config.totalSteps = totalSteps }
                inner = SAC(config: config, seed: seed, makeEnvironment: make)
            } else {
                var config: PPOConfig = try c.json("config")
                if let totalSteps { config.totalSteps = totalSteps }
                inner = PPOContinuous(config: config, seed: seed, makeEnvironment: make)
            }
            guard let resumable = inner as? CheckpointableTrainer else { throw c.problem("\(algorithm) cannot resume") }
            trainer = PlantTrainer(resumable, environment: environment)
        default:
            throw c.problem("cannot resume \(algorithm) on \(description.name)")
        }
        guard let resumable = trainer as? CheckpointableTrainer else { throw c.problem("\(algorithm) cannot resume") }
        try resumable.restore(from: c)
        return resumable
    }
}
