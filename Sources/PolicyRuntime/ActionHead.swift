import NeuralNet

/// How a policy network's outputs become actuator values; one implementation for `MLPPolicy` and `CNNPolicy`.
///
/// Categorical head: the argmax of the logits (NaNs never win, ties go to the first) selects a row of the
/// choice table. Gaussian head: the mean, clamped to the action space's `low…high`. Squashed Gaussian head
/// (SAC): `low + (tanh(mean) + 1)·(high − low)/2`. A NaN mean becomes the actuator's safe value, clamped to
/// the bounds. The tables live in the owning policy's storage block, so `write` does not allocate.
struct ActionHead {
    let outputSize: Int
    let actuatorCount: Int
    let isCategorical: Bool
    let isSquashed: Bool
    /// Categorical: `[outputSize, actuatorCount]` actuator values per choice.
    private let choiceTable: UnsafeMutablePointer<Float>
    /// Gaussian: per actuator, the bounds and the value used when the network emits NaN.
    private let low: UnsafeMutablePointer<Float>
    private let high: UnsafeMutablePointer<Float>
    private let fallback: UnsafeMutablePointer<Float>

    /// Floats the tables take in the owning policy's storage block.
    static func tableCount(outputSize: Int, actuatorCount: Int) -> Int {
        outputSize * actuatorCount + 3 * actuatorCount
    }

    /// Fills the tables for `file` at `tables` (`tableCount` floats, owned by the policy).
    init(file: PolicyFile, tables: UnsafeMutablePointer<Float>) {
        outputSize = file.architecture.outputSize
        actuatorCount = file.actuatorChannels.count
        isCategorical = file.architecture.head == .categorical
        isSquashed = file.architecture.head == .squashedGaussian
        choiceTable = tables
        low = tables + outputSize * actuatorCount
        high = low + actuatorCount
        fallback = high + actuatorCount
        switch file.actionSpace {
        case .discrete(let choices):
            for (k, choice) in choices.enumerated() {
                for (j, value) in choice.enumerated() { choiceTable[k * actuatorCount + j] = Float(value) }
            }
        case .continuous(let lows, let highs):
            for j in 0..<actuatorCount {
                low[j] = Float(lows[j])
                high[j] = Float(highs[j])
                let safe = Float(file.actuatorChannels[j].safeValue ?? 0)
                fallback[j] = Swift.min(Swift.max(safe, low[j]), high[j])
            }
        }
    }

    /// Actuator values (`actuatorCount`) from the network's `outputSize` outputs.
    @inline(__always)
    func write(_ output: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
        if isCategorical {
            let row = choiceTable + Self.argmax(output, count: outputSize) * actuatorCount
            for j in 0..<actuatorCount { target[j] = row[j] }
        } else {
            for j in 0..<actuatorCount {
                var mean = output[j]
                if isSquashed { mean = low[j] + (fastTanh(mean) + 1) * 0.5 * (high[j] - low[j]) }
                target[j] = mean.isNaN ? fallback[j] : Swift.min(Swift.max(mean, low[j]), high[j])
            }
        }
    }

    /// Index of the largest of `count` values; NaNs never win, ties go to the first.
    @inline(__always)
    static func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for k in 0..<count where values[k] > bestValue {
            best = k
            bestValue = values[k]
        }
        return best
    }
}
