/// Generalized advantage estimation (Schulman et al. 2016) over a rollout laid out [step][env].
///
/// - Parameters:
///   - rewards: [steps × envs] reward of each step (a truncated episode's last reward already includes γ·V(final)).
///   - values: [steps × envs] V(s_t) from the critic at collection time.
///   - dones: [steps × envs] the episode ended at this step (terminated or truncated): no bootstrap across it.
///   - lastValues: [envs] V(s_T) of the observation after the last step.
/// - Returns: advantages and returns (= advantages + values), both [steps × envs].
public func generalizedAdvantages(
    rewards: [Float], values: [Float], dones: [Bool], lastValues: [Float], steps: Int, envs: Int, gamma: Float, lambda: Float
) -> (advantages: [Float], returns: [Float]) {
    var advantages: [Float] = [], returns: [Float] = []
    generalizedAdvantages(
        rewards: rewards, values: values, dones: dones, lastValues: lastValues, steps: steps, envs: envs, gamma: gamma,
        lambda: lambda, advantages: &advantages, returns: &returns)
    return (advantages, returns)
}

/// The same into caller-owned arrays (resized to [steps × envs], keeping their capacity), so a trainer
/// computes every update's advantages without allocating.
public func generalizedAdvantages(
    rewards: [Float], values: [Float], dones: [Bool], lastValues: [Float], steps: Int, envs: Int, gamma: Float, lambda: Float,
    advantages: inout [Float], returns: inout [Float]
) {
    precondition(rewards.count == steps * envs && values.count == steps * envs && dones.count == steps * envs)
    precondition(lastValues.count == envs)
    resize(&advantages, steps * envs, 0)
    resize(&returns, steps * envs, 0)
    for e in 0..<envs {
        var running: Float = 0
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let i = t * envs + e
            let nextValue = t == steps - 1 ? lastValues[e] : values[i + envs]
            let notDone: Float = dones[i] ? 0 : 1
            let delta = rewards[i] + gamma * nextValue * notDone - values[i]
            running = delta + gamma * lambda * notDone * running
            advantages[i] = running
            returns[i] = running + values[i]
        }
    }
}
