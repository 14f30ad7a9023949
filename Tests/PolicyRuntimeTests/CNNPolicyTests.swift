import CAllocationCounter
import Foundation
import NeuralNet
@testable import PolicyRuntime
import ReflexCore
import XCTest

/// CNN policy files (`kind: cnn` with the camera pipeline in `image_preprocessing`) and `CNNPolicy`.
final class CNNPolicyTests: XCTestCase {
    static let wheels = [
        ChannelSpec(name: "left_motor_duty", unit: "1", min: -1, max: 1, safeValue: 0),
        ChannelSpec(name: "right_motor_duty", unit: "1", min: -1, max: 1, safeValue: 0),
    ]

    /// A pixel policy over `preprocessing` with random weights: conv 8×8/4 ×16 → conv 4×4/2 ×32 → 128 → 2 means.
    static func cnnFile(
        preprocessing: ImagePreprocessing = ImagePreprocessing(), convolutions: [PolicyArchitecture.Convolution]? = nil,
        hidden: [Int] = [128], seed: UInt64 = 5
    ) -> PolicyFile {
        let architecture = PolicyArchitecture.cnn(
            image: [preprocessing.frames * preprocessing.channelsPerFrame, preprocessing.height, preprocessing.width],
            convolutions: convolutions ?? [.init(filters: 16, kernel: 8, stride: 4), .init(filters: 32, kernel: 4, stride: 2)],
            hiddenSizes: hidden, outputSize: 2, head: .gaussian)
        var rng = SeededGenerator(seed: seed)
        var weights: [String: Tensor] = [:]
        for (name, shape) in architecture.expectedTensors {
            let fanIn = Float(shape.dropFirst().reduce(1, *))
            let bound = name.hasSuffix("bias") ? 0.1 : 2 / fanIn.squareRoot()
            weights[name] = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(rng.uniform(-Double(bound), Double(bound))) })
        }
        return PolicyFile(
            architecture: architecture, weights: weights, observationNormalization: nil,
            observationChannels: preprocessing.observationChannels, actuatorChannels: wheels,
            actionSpace: .continuous(low: [-1, -1], high: [1, 1]), provenance: Fixtures.provenance(robot: "diffdrive-camera"),
            imagePreprocessing: preprocessing)
    }

    static func image(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float(rng.uniform(0, 1)) }
    }

    /// The same weights run through NeuralNet's training layers (Conv2D, Flatten, Linear, im2col + GEMM)
    /// give the same means as the allocation-free runtime.
    func testMatchesTheTrainingLayers() throws {
        for pre in [ImagePreprocessing(), ImagePreprocessing(width: 48, height: 40, frames: 2)] {
            let file = Self.cnnFile(preprocessing: pre)
            let policy = try CNNPolicy(file: file)
            XCTAssertEqual(policy.observationChannels.count, pre.observationCount)
            var layers: [Layer] = []
            var channels = pre.frames
            for (i, conv) in file.architecture.convolutions.enumerated() {
                let layer = Conv2D(inputChannels: channels, filters: conv.filters, kernel: (conv.kernel, conv.kernel), stride: conv.stride)
                layer.weight.value = try XCTUnwrap(file.weights[PolicyArchitecture.convolutionWeightName(i)])
                layer.bias.value = try XCTUnwrap(file.weights[PolicyArchitecture.convolutionBiasName(i)])
                layers += [layer, ReLU()]
                channels = conv.filters
            }
            layers.append(Flatten())
            let sizes = file.architecture.layerSizes
            for i in 0..<file.architecture.layerCount {
                let linear = Linear(inputSize: sizes[i], outputSize: sizes[i + 1])
                linear.weight.value = try XCTUnwrap(file.weights[PolicyArchitecture.weightName(i)])
                linear.bias.value = try XCTUnwrap(file.weights[PolicyArchitecture.biasName(i)])
                layers.append(linear)
                if i < file.architecture.layerCount - 1 { layers.append(ReLU()) }
            }
            let reference = Sequential(layers)
            for seed in 1...3 as ClosedRange<UInt64> {
                let x = Self.image(pre.observationCount, seed: seed)
                let expected = reference(Tensor(shape: [1, pre.frames, pre.height, pre.width], scalars: x)).scalars
                let got = policy.outputs(observation: x)
                XCTAssertEqual(got.count, 2)
                for j in 0..<2 { XCTAssertEqual(got[j], expected[j], accuracy: 1e-4 * max(1, abs(expected[j])), "\(pre.width)×\(pre.height) seed \(seed)") }
                var actuators: [Float] = [9, 9]
                x.withUnsafeBufferPointer { o in actuators.withUnsafeMutableBufferPointer { policy.act(observation: o, actuators: $0) } }
                for j in 0..<2 { XCTAssertEqual(actuators[j], min(max(expected[j], -1), 1), accuracy: 1e-4) }
            }
        }
    }

    func testFileRoundTripsAndRecordsThePipeline() throws {
        let pre = ImagePreprocessing(crop: .init(x: 0, y: 40, width: 320, height: 200), width: 64, height: 64, frames: 2)
        let file = Self.cnnFile(preprocessing: pre)
        let bytes = try file.encoded()
        let decoded = try PolicyFile.decode(bytes)
        XCTAssertEqual(decoded, file)
        XCTAssertEqual(decoded.imagePreprocessing, pre)
        XCTAssertTrue(try decoded.makePolicy() is CNNPolicy)
        let metadata = try Safetensors.decode(bytes).metadata
        XCTAssertNotNil(metadata["image_preprocessing"])
        XCTAssertTrue(metadata["architecture"]?.contains("\"kind\":\"cnn\"") ?? false, metadata["architecture"] ?? "")
    }

    /// Sensor policies' files carry none of the new keys, so they read and write exactly as before.
    func testMLPFilesAreUnchanged() throws {
        let bytes = try Fixtures.gaussianPolicy().encoded()
        let metadata = try Safetensors.decode(bytes).metadata
        XCTAssertNil(metadata["image_preprocessing"])
        XCTAssertFalse(metadata["architecture"]?.contains("convolutions") ?? true)
        XCTAssertFalse(metadata["architecture"]?.contains("image_shape") ?? true)
        XCTAssertTrue(try PolicyFile.decode(bytes).makePolicy() is MLPPolicy)
    }

    func testInconsistentFilesAreRefusedWithTheProblem() throws {
        func problem(_ edit: (inout PolicyFile) -> Void) -> String {
            var file = Self.cnnFile(preprocessing: ImagePreprocessing(width: 32, height: 32), hidden: [8])
            edit(&file)
            do {
                _ = try PolicyFile.decode(Safetensors.encode(tensors: file.weights, metadata: metadataOf(file)))
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(problem { $0.imagePreprocessing = nil }.contains("needs its image_preprocessing"))
        XCTAssertTrue(problem { $0.imagePreprocessing?.width = 30 }.contains("does not match image_preprocessing"))
        XCTAssertTrue(problem { $0.architecture.convolutions[1].kernel = 9 }.contains("do not fit a 32×32 image"))
        XCTAssertTrue(problem { $0.weights["encoder.1.bias"] = nil }.contains("missing tensor 'encoder.1.bias'"))
        XCTAssertTrue(problem { $0.architecture.frames = 2 }.contains("frames must be 1"))
        XCTAssertTrue(problem { $0.observationChannels[3].name = "x" }.contains("not the camera[f,c,y,x] channels"))
        XCTAssertTrue(problem { $0.architecture.convolutions[0].stride = 0 }.contains("each must be positive"))
        XCTAssertTrue(problem { _ in }.contains("accepted"))

        let cnn = Self.cnnFile(preprocessing: ImagePreprocessing(width: 32, height: 32), hidden: [8])
        XCTAssertThrowsError(try MLPPolicy(file: cnn)) { XCTAssertTrue("\($0)".contains("runs as CNNPolicy"), "\($0)") }
        XCTAssertThrowsError(try CNNPolicy(file: Fixtures.gaussianPolicy())) { XCTAssertTrue("\($0)".contains("is not a cnn"), "\($0)") }
    }

    /// The file's metadata as `encoded()` would write it, without its validation (to build broken files).
    private func metadataOf(_ file: PolicyFile) -> [String: String] {
        let encoder = PolicyFile.metadataEncoder()
        func json<T: Encodable>(_ v: T) -> String { String(decoding: (try? encoder.encode(v)) ?? Data(), as: UTF8.self) }
        var metadata = [
            "format": PolicyFile.formatTag, "format_version": "1", "architecture": json(file.architecture),
            "observation_channels": json(file.observationChannels), "actuator_channels": json(file.actuatorChannels),
            "action_space": json(file.actionSpace), "provenance": json(file.provenance), "obs_norm": "null",
        ]
        if let pre = file.imagePreprocessing { metadata["image_preprocessing"] = json(pre) }
        return metadata
    }

    /// Not a benchmark (`reflex bench vision` is): the CNN must leave most of the 5 ms
    /// camera-to-command budget to capture and preprocessing, even on a busy machine.
    func testActFitsTheCameraToCommandBudget() throws {
        let policy = try CNNPolicy(file: Self.cnnFile(preprocessing: ImagePreprocessing(frames: 2)))
        let observation = Self.image(policy.inputSize, seed: 4)
        var actuators: [Float] = [0, 0]
        var samples: [Double] = []
        observation.withUnsafeBufferPointer { o in
            actuators.withUnsafeMutableBufferPointer { a in
                for i in 0..<1_100 {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    policy.act(observation: o, actuators: a)
                    if i >= 100 { samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3) }
                }
            }
        }
        samples.sort()
        let p50 = samples[samples.count / 2], p99 = samples[samples.count * 99 / 100]
        print(String(format: "CNNPolicy.act, 2×64×64 → 8×8/4×16 → 4×4/2×32 → 128 → 2: p50 %.1f µs, p99 %.1f µs", p50, p99))
        XCTAssertLessThan(p50, 2_500, "median CNN inference takes half the 5 ms camera-to-command budget")
    }

    func testActDoesNotAllocate() throws {
        let policy = try CNNPolicy(file: Self.cnnFile())
        var observation = Self.image(policy.inputSize, seed: 9)
        var actuators: [Float] = [0, 0]
        let allocations: UInt64 = observation.withUnsafeMutableBufferPointer { o in
            actuators.withUnsafeMutableBufferPointer { a in
                policy.act(observation: UnsafeBufferPointer(o), actuators: a)  // warm-up
                allocation_counter_start()
                for i in 0..<200 {
                    o[i] = 0.5
                    policy.act(observation: UnsafeBufferPointer(o), actuators: a)
                }
                return allocation_counter_stop()
            }
        }
        XCTAssertEqual(allocations, 0, "CNNPolicy.act allocated \(allocations) times in 200 calls")
        XCTAssertTrue(actuators.allSatisfy { $0 >= -1 && $0 <= 1 })
    }
}

/// Python's `safetensors` loads a CNN policy file and `check_policy_file.py` finds every tensor it needs.
final class CNNPythonInteropTests: XCTestCase {
    func testPythonSafetensorsLoadsACNNPolicyFile() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("check_policy_file.py").path
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/camera.safetensors"
        try CNNPolicyTests.cnnFile().write(to: path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("tensor encoder.0.weight shape=[16, 1, 8, 8] dtype=float32"), output)
        XCTAssertTrue(output.contains("architecture: [1152, 128, 2] relu gaussian"), output)
        XCTAssertTrue(output.hasSuffix("ok\n"), output)
    }
}
