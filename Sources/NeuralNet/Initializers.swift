/// Weight initializers.
public enum Initializers {
    /// A matrix with orthonormal rows or columns (whichever are fewer), scaled by `gain`
    /// (Saxe et al. 2014; PyTorch's `orthogonal_`). Gram–Schmidt in Float64 on a Gaussian matrix.
    public static func orthogonal<G: RandomNumberGenerator>(shape: [Int], gain: Float, using rng: inout G) -> Tensor {
        precondition(shape.count == 2, "orthogonal init needs a matrix")
        let rows = shape[0], cols = shape[1]
        // Orthonormalize the `k` vectors of length `n`, where k ≤ n.
        let byRows = rows <= cols
        let k = byRows ? rows : cols
        let n = byRows ? cols : rows
        var seeded = SeededBridge(rng: rng)
        var v = [[Double]](repeating: [Double](repeating: 0, count: n), count: k)
        for i in 0..<k {
            while true {
                for j in 0..<n { v[i][j] = seeded.normal() }
                for p in 0..<i {
                    var dot = 0.0
                    for j in 0..<n { dot += v[i][j] * v[p][j] }
                    for j in 0..<n { v[i][j] -= dot * v[p][j] }
                }
                var norm = 0.0
                for j in 0..<n { norm += v[i][j] * v[i][j] }
                norm = norm.squareRoot()
                if norm > 1e-8 {
                    for j in 0..<n { v[i][j] /= norm }
                    break
                }
            }
        }
        rng = seeded.rng
        var out = Tensor(zeros: shape)
        for r in 0..<rows {
            for c in 0..<cols {
                out[r, c] = gain * Float(byRows ? v[r][c] : v[c][r])
            }
        }
        return out
    }
}

/// Normal samples from any generator (Box–Muller).
struct SeededBridge<G: RandomNumberGenerator> {
    var rng: G
    mutating func normal() -> Double {
        var u1 = Double.random(in: 0..<1, using: &rng)
        while u1 <= .leastNormalMagnitude { u1 = Double.random(in: 0..<1, using: &rng) }
        let u2 = Double.random(in: 0..<1, using: &rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#endif
