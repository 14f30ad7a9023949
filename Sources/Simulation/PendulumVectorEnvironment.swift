import ReflexCore

/// N Pendulum copies with Gymnasium Pendulum-v1 semantics (200-step truncation, never terminated).
public final class PendulumVectorEnvironment: ContinuousVectorEnvironment {
    public let model: PendulumModel
    public let count: Int
    public let observationSize = 3
    public let actionSize = 1
    public let actionLow: [Float]
    public let actionHigh: [Float]
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public private(set) var rewards: [Float]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    public private(set) var finishedEpisodes: [(score: Double, length: Int)] = []

    private var states: [PendulumState]
    private var stepsInEpisode: [Int]
    private var episodeReturn: [Double]
    private var generators: [SeededGenerator]

    public init(model: PendulumModel, count: Int) {
        self.model = model
        self.count = count
        actionLow = [Float(-model.maxTorque)]
        actionHigh = [Float(model.maxTorque)]
        observations = Array(repeating: 0, count: count * 3)
        finalObservations = Array(repeating: 0, count: count * 3)
        rewards = Array(repeating: 0, count: count)
        terminated = Array(repeating: false, count: count)
        truncated = Array(repeating: false, count: count)
        states = Array(repeating: PendulumState(), count: count)
        stepsInEpisode = Array(repeating: 0, count: count)
        episodeReturn = Array(repeating: 0, count: count)
        generators = (0..<count).map { SeededGenerator(seed: UInt64($0)) }
    }

    public func reset(seed: UInt64) {
        var root = SeededGenerator(seed: seed)
        for i in 0..<count {
            generators[i] = SeededGenerator(seed: root.split())
            states[i] = Pendulum.initialState(model, using: &generators[i])
            stepsInEpisode[i] = 0
            episodeReturn[i] = 0
        }
        observations.withUnsafeMutableBufferPointer { obs in
            for i in 0..<count { Pendulum.observe(states[i], into: obs.baseAddress! + 3 * i) }
        }
    }

    /// Steps every copy with torque `actions[i]` (N·m, clipped to ±max_torque by the plant).
    public func step(_ actions: [Float]) {
        precondition(actions.count == count, "one torque per environment copy")
        finishedEpisodes.removeAll(keepingCapacity: true)
        let m = model
        observations.withUnsafeMutableBufferPointer { obs in
            finalObservations.withUnsafeMutableBufferPointer { fin in
                for i in 0..<count {
                    let reward = Pendulum.step(m, &states[i], torque: actions[i])
                    stepsInEpisode[i] += 1
                    episodeReturn[i] += reward
                    rewards[i] = Float(reward)
                    let trunc = stepsInEpisode[i] >= m.maxEpisodeSteps
                    terminated[i] = false
                    truncated[i] = trunc
                    if trunc {
                        Pendulum.observe(states[i], into: fin.baseAddress! + 3 * i)
                        finishedEpisodes.append((episodeReturn[i], stepsInEpisode[i]))
                        states[i] = Pendulum.initialState(m, using: &generators[i])
                        stepsInEpisode[i] = 0
                        episodeReturn[i] = 0
                    }
                    Pendulum.observe(states[i], into: obs.baseAddress! + 3 * i)
                }
            }
        }
    }
}
