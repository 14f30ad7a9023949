/// A ring buffer of transitions for off-policy learning, laid out structure-of-arrays.
///
/// `nextObservations` holds the observation after the step — the episode's final observation when
/// the step ended it — so truncated episodes bootstrap from where they really stopped, and
/// `terminated` (not truncated) cuts the bootstrap.
public struct ReplayBuffer: Sendable {
    public let capacity: Int
    public let observationSize: Int
    public let actionSize: Int
    /// [capacity × observationSize]
    public private(set) var observations: [Float]
    /// [capacity × observationSize]
    public private(set) var nextObservations: [Float]
    /// [capacity × actionSize], in actuator units.
    public private(set) var actions: [Float]
    /// [capacity]
    public private(set) var rewards: [Float]
    /// [capacity]: 1 when the step terminated the episode (no bootstrap), else 0.
    public private(set) var terminated: [Float]
    /// Transitions stored (≤ capacity).
    public private(set) var count = 0
    /// Where the next transition goes.
    public private(set) var cursor = 0

    public init(capacity: Int, observationSize: Int, actionSize: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.observationSize = observationSize
        self.actionSize = actionSize
        observations = Array(repeating: 0, count: capacity * observationSize)
        nextObservations = Array(repeating: 0, count: capacity * observationSize)
        actions = Array(repeating: 0, count: capacity * actionSize)
        rewards = Array(repeating: 0, count: capacity)
        terminated = Array(repeating: 0, count: capacity)
    }

    /// A buffer holding `count` transitions already laid out (a checkpoint's); arrays sized for `capacity`.
    init(
        capacity: Int, observationSize: Int, actionSize: Int, observations: [Float], nextObservations: [Float],
        actions: [Float], rewards: [Float], terminated: [Float], count: Int, cursor: Int
    ) {
        self.capacity = capacity
        self.observationSize = observationSize
        self.actionSize = actionSize
        self.observations = observations
        self.nextObservations = nextObservations
        self.actions = actions
        self.rewards = rewards
        self.terminated = terminated
        self.count = count
        self.cursor = cursor
    }

    /// Stores one transition, overwriting the oldest when full.
    public mutating func add(
        observation: ArraySlice<Float>, action: ArraySlice<Float>, reward: Float, nextObservation: ArraySlice<Float>, terminated done: Bool
    ) {
        let o = cursor * observationSize, a = cursor * actionSize
        for (k, v) in observation.enumerated() { observations[o + k] = v }
        for (k, v) in nextObservation.enumerated() { nextObservations[o + k] = v }
        for (k, v) in action.enumerated() { actions[a + k] = v }
        rewards[cursor] = reward
        terminated[cursor] = done ? 1 : 0
        cursor = (cursor + 1) % capacity
        count = min(count + 1, capacity)
    }

    /// Copies the transitions at `indices` into the batch arrays (each sized for `indices.count` rows).
    public func gather(
        _ indices: [Int], observations obs: inout [Float], actions act: inout [Float], rewards rew: inout [Float],
        nextObservations next: inout [Float], terminated done: inout [Float]
    ) {
        let os = observationSize, asz = actionSize
        for (row, i) in indices.enumerated() {
            for k in 0..<os {
                obs[row * os + k] = observations[i * os + k]
                next[row * os + k] = nextObservations[i * os + k]
            }
            for k in 0..<asz { act[row * asz + k] = actions[i * asz + k] }
            rew[row] = rewards[i]
            done[row] = terminated[i]
        }
    }
}
