import Foundation
import NeuralNet
import PolicyRuntime
import ReflexCore
#if canImport(Glibc)
import Glibc
#endif

extension BenchRow {
    /// The NeuralNet engine: training throughput, GEMM efficiency, single-observation inference latency.
    static let nn = BenchRow(
        name: "nn",
        summary: "MLP 64-64 forward+backward samples/s at batch 2048; layer GEMM GFLOP/s vs bare cblas_sgemm; inference p50/p99 µs (MLP 64-64, CNN on 64×64)"
    ) { context in
        var rng = SeededGenerator(seed: 1)
        var results: [String: Any] = [:]

        // 1. MLP 64-64 forward + backward at batch 2048 (CartPole-sized input and output).
        let batch = 2048
        let mlp = Sequential.mlp(inputSize: 4, hiddenSizes: [64, 64], outputSize: 2, outputGain: 1, namePrefix: "m", using: &rng)
        let x = Tensor(shape: [batch, 4], scalars: (0..<(batch * 4)).map { _ in Float(rng.uniform(-1, 1)) })
        let dy = Tensor(repeating: 0.01, shape: [batch, 2])
        let passes = timeLoop(seconds: 1) {
            _ = mlp.forward(x)
            _ = mlp.backward(dy)
        }
        let samplesPerSecond = Double(batch) * passes.rate
        results["mlp_train_samples_per_second"] = samplesPerSecond
        context.say(String(format: "nn: MLP 64-64 forward+backward, batch %d: %.2f M samples/s", batch, samplesPerSecond / 1e6))

        // 2. A Linear layer's GEMM against bare cblas_sgemm for the same shape (2048 × 64 · 64ᵀ).
        let layer = Linear(inputSize: 64, outputSize: 64, name: "l", gain: 1, using: &rng)
        let h = Tensor(shape: [batch, 64], scalars: (0..<(batch * 64)).map { _ in Float(rng.uniform(-1, 1)) })
        let flops = 2.0 * Double(batch) * 64 * 64
        let layerRate = timeLoop(seconds: 0.5) { _ = layer.forward(h) }.rate * flops / 1e9
        var out = [Float](repeating: 0, count: batch * 64)
        let bareRate = h.scalars.withUnsafeBufferPointer { a in
            layer.weight.value.scalars.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { c in
                    timeLoop(seconds: 0.5) {
                        matrixMultiply(a.baseAddress!, w.baseAddress!, into: c.baseAddress!, m: batch, n: 64, k: 64, transposeB: true)
                    }.rate * flops / 1e9
                }
            }
        }
        results["linear_gflops"] = layerRate
        results["cblas_sgemm_gflops"] = bareRate
        results["gemm_fraction_of_cblas"] = layerRate / bareRate
        context.say(String(
            format: "  Linear 2048×64×64: %.1f GFLOP/s, bare cblas_sgemm %.1f GFLOP/s (%.0f%%)", layerRate, bareRate,
            100 * layerRate / bareRate))

        // 3. One observation through a deployed MLP 64-64 policy (MLPPolicy.act, preallocated).
        let policy = try MLPPolicy(file: benchPolicyFile(using: &rng))
        var observation: [Float] = [0.01, -0.02, 0.03, 0.04]
        var actuators: [Float] = [0]
        let mlpLatency = observation.withUnsafeMutableBufferPointer { o in
            actuators.withUnsafeMutableBufferPointer { a in
                latencies(calls: 100_000) {
                    o[0] += 1e-7
                    policy.act(observation: UnsafeBufferPointer(o), actuators: a)
                }
            }
        }
        results["mlp_inference_p50_us"] = mlpLatency.p50
        results["mlp_inference_p99_us"] = mlpLatency.p99
        // Zero heap allocations per call is asserted by InferenceAllocationTests with an interposed malloc counter; the
        // reflex binary carries no allocator hook of its own, so it reports no count here.
        context.say(String(
            format: "  MLP 64-64 single-observation inference: p50 %.2f µs, p99 %.2f µs (allocations per call: 0, counted by InferenceAllocationTests)",
            mlpLatency.p50, mlpLatency.p99))

        // 4. A small CNN on one 64×64 grayscale image (Nature-DQN-like, scaled down), through Sequential.
        let cnn = Sequential([
            Conv2D(inputChannels: 1, filters: 16, kernel: (8, 8), stride: 4, name: "c0", gain: 1.4, using: &rng), ReLU(),
            Conv2D(inputChannels: 16, filters: 32, kernel: (4, 4), stride: 2, name: "c1", gain: 1.4, using: &rng), ReLU(),
            Flatten(),
            Linear(inputSize: 32 * 6 * 6, outputSize: 64, name: "l0", gain: 1.4, using: &rng), ReLU(),
            Linear(inputSize: 64, outputSize: 2, name: "l1", gain: 0.01, using: &rng),
        ])
        let image = Tensor(shape: [1, 1, 64, 64], scalars: (0..<4096).map { _ in Float(rng.uniform(0, 1)) })
        let cnnLatency = latencies(calls: 5_000) { _ = cnn.forward(image) }
        results["cnn_inference_p50_us"] = cnnLatency.p50
        results["cnn_inference_p99_us"] = cnnLatency.p99
        context.say(String(format: "  CNN on 64×64 grayscale (2 conv + 2 linear), one image: p50 %.1f µs, p99 %.1f µs", cnnLatency.p50, cnnLatency.p99))
        return results
    }
}

/// Runs `body` repeatedly for about `seconds`; returns calls per second.
private func timeLoop(seconds: Double, _ body: () -> Void) -> (calls: Int, rate: Double) {
    body()  // warm-up: first-call allocations and caches
    let start = MonotonicClock.now()
    var calls = 0
    var elapsed = 0.0
    repeat {
        for _ in 0..<8 { body() }
        calls += 8
        elapsed = Double(MonotonicClock.now() - start) / 1e9
    } while elapsed < seconds
    return (calls, Double(calls) / elapsed)
}

/// Times `calls` single calls; returns the median and 99th percentile in microseconds.
private func latencies(calls: Int, _ body: () -> Void) -> (p50: Double, p99: Double) {
    for _ in 0..<100 { body() }
    var samples = [Double](repeating: 0, count: calls)
    for i in 0..<calls {
        let t0 = MonotonicClock.now()
        body()
        samples[i] = Double(MonotonicClock.now() - t0) / 1e3
    }
    samples.sort()
    return (samples[calls / 2], samples[min(calls - 1, calls * 99 / 100)])
}

/// A CartPole-shaped MLP 64-64 policy file with random weights.
private func benchPolicyFile(using rng: inout SeededGenerator) throws -> PolicyFile {
    let architecture = PolicyArchitecture(inputSize: 4, hiddenSizes: [64, 64], outputSize: 2, activation: .tanh, head: .categorical)
    var weights: [String: Tensor] = [:]
    for (name, shape) in architecture.expectedTensors {
        weights[name] = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(rng.uniform(-0.3, 0.3)) })
    }
    let channels = (0..<4).map { ChannelSpec(name: "s\($0)", unit: "1", min: -10, max: 10) }
    return PolicyFile(
        architecture: architecture, weights: weights, observationNormalization: nil, observationChannels: channels,
        actuatorChannels: [ChannelSpec(name: "force", unit: "N", min: -10, max: 10, safeValue: 0)],
        actionSpace: .discrete(choices: [[-10], [10]]),
        provenance: Provenance(
            robot: "bench", algorithm: "none", seed: 1, envSteps: 0, meanReturn: 0, evaluationEpisodes: 0, trainingSeconds: 0,
            date: "", reflexVersion: ReflexVersion.current, command: "bench", robotDescription: ""))
}
