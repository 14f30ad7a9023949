import ReflexCore

/// Observes the last `frames` observations at once, newest first: `[o_t, o_{t−1}, …]`, so a policy that
/// sees only encoder counts can tell velocities. At reset every frame is the first observation.
///
/// Channels are repeated per frame; older copies are named `<name>_prev<k>`.
public struct FrameStack<Base: Environment>: Environment {
    public var base: Base
    public let frames: Int
    public let observationChannels: [ChannelSpec]
    private var stack: [Float]

    public init(_ base: Base, frames: Int) {
        precondition(frames >= 1, "stack at least one frame")
        self.base = base
        self.frames = frames
        let channels = base.observationChannels
        observationChannels = (0..<frames).flatMap { k in
            channels.map { c in
                var copy = c
                if k > 0 { copy.name = "\(c.name)_prev\(k)" }
                return copy
            }
        }
        stack = Array(repeating: 0, count: frames * channels.count)
    }

    public var actuatorChannels: [ChannelSpec] { base.actuatorChannels }
    public var actionSpace: ActionSpace { base.actionSpace }

    public mutating func reset(seed: UInt64?) -> [Float] {
        let first = base.reset(seed: seed)
        for k in 0..<frames { stack.replaceSubrange(k * first.count ..< (k + 1) * first.count, with: first) }
        return stack
    }

    public mutating func step(_ action: Action) -> Step {
        var result = base.step(action)
        let n = result.observation.count
        // Shift older frames back by one, newest in front.
        for i in stride(from: stack.count - 1, through: n, by: -1) { stack[i] = stack[i - n] }
        stack.replaceSubrange(0..<n, with: result.observation)
        result.observation = stack
        return result
    }
}
