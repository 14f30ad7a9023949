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
