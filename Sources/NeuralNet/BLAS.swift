import CBLAS

/// OpenBLAS set-up, done once before the first matrix product.
enum BLAS {
    /// Our matrices are small (batch ≤ a few thousand rows, ≤ 256 columns): OpenBLAS's worker threads
    /// cost more in wake-ups and spinning than they save, and they compete with the simulator for the
    /// machine's cores. One thread; parallelism, where it pays, comes from our own work split.
    static let configured: Void = {
        openblas_set_num_threads(1)
    }()
}

/// C (m × n) = A (m × k) · B (k × n), or · Bᵀ when `transposeB` (B stored n × k), row-major, through
/// OpenBLAS's `cblas_sgemm` — the call every layer makes; public so benchmarks can measure it bare.
public func matrixMultiply(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
    transposeB: Bool = false
) {
    BLAS.configured
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k),
        1, a, Int32(k), b, Int32(transposeB ? k : n), 0, c, Int32(n))
}
