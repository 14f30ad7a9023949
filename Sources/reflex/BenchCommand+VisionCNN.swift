import Foundation
import NeuralNet
import PolicyRuntime
import ReflexCore

/// The pixel policy's part of the `vision` row (`VisionBench.parts` lists `VisionCNNBench.cnnPolicy`).
enum VisionCNNBench {
    /// The pixel policy's part of the `vision` row: `CNNPolicy` latency for one preprocessed camera
    /// observation (batch 1) and the line follower's training time.
    ///
    /// Latency runs the shipped `policies/diffdrive-camera.safetensors` when it is there, else a policy of
    /// the same architecture with random weights (said in the output). Allocations per call are 0, counted
    /// by `CNNPolicyTests.testActDoesNotAllocate` with an interposed malloc (the reflex binary has no
    /// allocator hook). Training time is the shipped policy's own figure (its provenance: wall seconds of
    /// `reflex train diffdrive-camera` to the lap goal), not a run made by the bench: a training run takes
    /// minutes, longer than the whole bench should.
    static func cnnPolicy(_ context: BenchContext) throws -> [String: Any] {
        var figures: [String: Any] = [:]
        let shipped = RobotDescription.simulatorsDirectory().map {
            URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("policies/diffdrive-camera.safetensors").path
        }
        let file: PolicyFile
        let source: String
        if let shipped, FileManager.default.fileExists(atPath: shipped) {
            file = try PolicyFile.load(path: shipped)
            source = "policies/diffdrive-camera.safetensors"
        } else {
            file = try randomCameraPolicy()
            source = "random weights (no shipped policy)"
        }
        let policy = try CNNPolicy(file: file)
        var rng = SeededGenerator(seed: 3)
        var observation = (0..<policy.inputSize).map { _ in Float(rng.uniform(0, 1)) }
        var actuators = [Float](repeating: 0, count: policy.actuatorCount)
        let calls = 5_000
        var samples = [Double](repeating: 0, count: calls)
        observation.withUnsafeMutableBufferPointer { o in
            actuators.withUnsafeMutableBufferPointer { a in
                for _ in 0..<100 { policy.act(observation: UnsafeBufferPointer(o), actuators: a) }
                for i in 0..<calls {
                    o[i % o.count] = Float(i & 255) / 255
                    let t0 = MonotonicClock.now()
                    policy.act(observation: UnsafeBufferPointer(o), actuators: a)
                    samples[i] = Double(MonotonicClock.now() - t0) / 1e3
                }
            }
        }
        samples.sort()
        let p50 = samples[calls / 2], p99 = samples[calls * 99 / 100]
        let shape = file.architecture.imageShape ?? []
        let layers = file.architecture.convolutions.map { "\($0.kernel)×\($0.kernel)/\($0.stride)×\($0.filters)" }.joined(separator: " → ")
        context.say(String(
            format: "  CNNPolicy.act, one %@ observation (%@ → %@ → 2), batch 1: p50 %.1f µs, p99 %.1f µs (allocations per call: 0, counted by CNNPolicyTests) [%@]",
            shape.map(String.init).joined(separator: "×"), layers, file.architecture.hiddenSizes.map(String.init).joined(separator: "-"),
            p50, p99, source))
        figures["cnn_policy_inference_p50_us"] = p50
        figures["cnn_policy_inference_p99_us"] = p99
        figures["cnn_policy_allocations_per_call"] = 0
        if source.hasPrefix("policies/") {
            let p = file.provenance
            context.say(String(
                format: "  line follower training (the shipped policy's provenance, not re-run here): %.0f s wall, %d env steps",
                p.trainingSeconds, p.envSteps))
            figures["line_follower_training_wall_seconds"] = p.trainingSeconds
            figures["line_follower_training_env_steps"] = p.envSteps
            figures["line_follower_training_note"] = "from policies/diffdrive-camera.safetensors provenance; see policies/diffdrive-camera.md"
        }
        return figures
    }

    /// A policy of the line follower's architecture over diffdrive-camera's preprocessing, random weights.
    private static func randomCameraPolicy() throws -> PolicyFile {
        let description = try RobotDescription.bundled(named: "diffdrive-camera")
        guard let camera = description.camera else {
            throw ReflexError(.invalidDescription, "diffdrive-camera has no camera: block")
        }
        let pre = camera.preprocessing
        let architecture = PolicyArchitecture.cnn(
            image: [pre.frames * pre.channelsPerFrame, pre.height, pre.width],
            convolutions: [.init(filters: 16, kernel: 8, stride: 4), .init(filters: 32, kernel: 4, stride: 2)],
            hiddenSizes: [128], outputSize: description.actuators.count, head: .gaussian)
        var rng = SeededGenerator(seed: 1)
        var weights: [String: Tensor] = [:]
        for (name, shape) in architecture.expectedTensors {
            let bound = 1 / Double(shape.dropFirst().reduce(1, *)).squareRoot()
            weights[name] = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(rng.uniform(-bound, bound)) })
        }
        return PolicyFile(
            architecture: architecture, weights: weights, observationNormalization: nil,
            observationChannels: pre.observationChannels, actuatorChannels: description.actuators,
            actionSpace: description.actionSpace,
            provenance: Provenance(
                robot: description.name, algorithm: "none", seed: 1, envSteps: 0, meanReturn: 0, evaluationEpisodes: 0,
                trainingSeconds: 0, date: "", reflexVersion: ReflexVersion.current, command: "", robotDescription: ""),
            imagePreprocessing: pre)
    }
}
