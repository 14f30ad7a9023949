import ReflexCore

/// N CartPole copies with Gymnasium semantics (500-step truncation, +1 reward per step).
public final class CartPoleVectorEnvironment: VectorEnvironment {
    public let model: CartPoleModel
    public let count: Int
    public let observationSize = 4
    public let actionCount = 2
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public private(set) var rewards: [Float]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    public private(set) var finishedEpisodes: [(score: Double, length: Int)] = []

    private var states: [CartPoleState]
    private var stepsInEpisode: [Int]
    private var episodeReturn: [Double]
    private var generators: [SeededGenerator]

    public init(model: CartPoleModel, count: Int) {
        self.model = model
        self.count = count
        observations = Array(repeating: 0, count: count * 4)
        finalObservations = Array(repeating: 0, count: count * 4)
        rewards = Array(repeating: 0, count: count)
        terminated = Array(repeating: false, count: count)
        truncated = Array(repeating: false, count: count)
        states = Array(repeating: CartPoleState(), count: count)
        stepsInEpisode = Array(repeating: 0, count: count)
        episodeReturn = Array(repeating: 0, count: count)
        generators = (0..<count).map { SeededGenerator(seed: UInt64($0)) }
    }

    public func reset(seed: UInt64) {
        var root = SeededGenerator(seed: seed)
        for i in 0..<count {
            generators[i] = SeededGenerator(seed: root.split())
            states[i] = CartPole.initialState(model, using: &generators[i])
            stepsInEpisode[i] = 0
            episodeReturn[i] = 0
        }
        observations.withUnsafeMutableBufferPointer { obs in
            for i in 0..<count { CartPole.observe(states[i], into: obs.baseAddress! + 4 * i) }
        }
    }

    public func step(_ actions: [Int32]) {
        precondition(actions.count == count, "one action per environment copy")
        finishedEpisodes.removeAll(keepingCapacity: true)
        let m = model
        observations.withUnsafeMutableBufferPointer { obs in
            finalObservations.withUnsafeMutableBufferPointer { fin in
                for i in 0..<count {
                    CartPole.step(m, &states[i], force: CartPole.force(m, action: Int(actions[i])))
                    stepsInEpisode[i] += 1
                    episodeReturn[i] += m.rewardPerStep
                    rewards[i] = Float(m.rewardPerStep)
                    let term = CartPole.isTerminal(m, states[i])
                    let trunc = !term && stepsInEpisode[i] >= m.maxEpisodeSteps
                    terminated[i] = term
                    truncated[i] = trunc
                    if term || trunc {
                        CartPole.observe(states[i], into: fin.baseAddress! + 4 * i)
                        finishedEpisodes.append((episodeReturn[i], stepsInEpisode[i]))
                        states[i] = CartPole.initialState(m, using: &generators[i])
                        stepsInEpisode[i] = 0
                        episodeReturn[i] = 0
                    }
                    CartPole.observe(states[i], into: obs.baseAddress! + 4 * i)
                }
            }
        }
    }
}
