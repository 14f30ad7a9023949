/// Running mean and variance of a stream of vectors, merged batch by batch (Chan et al.'s parallel
/// algorithm, as SB3's `RunningMeanStd`), in Float64 so long runs do not drift.
///
/// Starts as SB3 does (mean 0, variance 1, count 1e-4) so the first batch dominates at once.
public struct RunningMeanStd: Sendable, Equatable, Codable {
    /// [size]
    public private(set) var mean: [Double]
    /// [size], population variance.
    public private(set) var variance: [Double]
    public private(set) var count: Double

    public init(size: Int) {
        mean = Array(repeating: 0, count: size)
        variance = Array(repeating: 1, count: size)
        count = 1e-4
    }

    public init(mean: [Double], variance: [Double], count: Double) {
        self.mean = mean
        self.variance = variance
        self.count = count
    }

    public var size: Int { mean.count }

    /// Merges `rows` vectors laid out [rows × size].
    public mutating func update(_ values: UnsafeBufferPointer<Float>, rows: Int) {
        precondition(values.count >= rows * size)
        guard rows > 0 else { return }
        let n = Double(rows)
        for j in 0..<size {
            var sum = 0.0
            for r in 0..<rows { sum += Double(values[r * size + j]) }
            let batchMean = sum / n
            var squares = 0.0
            for r in 0..<rows {
                let d = Double(values[r * size + j]) - batchMean
                squares += d * d
            }
            let batchVariance = squares / n
            let delta = batchMean - mean[j]
            let total = count + n
            let m2 = variance[j] * count + batchVariance * n + delta * delta * count * n / total
            mean[j] += delta * n / total
            variance[j] = m2 / total
        }
        count += n
    }

    /// Merges one scalar per row (size 1).
    public mutating func update(_ values: [Float]) {
        values.withUnsafeBufferPointer { update($0, rows: values.count / Swift.max(size, 1)) }
    }
}
