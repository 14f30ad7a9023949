import Foundation
import NeuralNet
@testable import PolicyRuntime
import XCTest

/// Python's `safetensors` package must load our policy files (DESIGN.md: "Python's safetensors package must
/// load it"). Fails, rather than skips, when the module is missing, so CI cannot silently lose the check.
final class PythonInteropTests: XCTestCase {
    private let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("check_policy_file.py").path

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    private func requireSafetensorsModule() throws -> Bool {
        let probe = try run(["python3", "-c", "import safetensors, numpy"])
        if probe.status != 0 {
            XCTFail("Python module safetensors/numpy missing: run `pip install safetensors numpy` (make test installs it)\n\(probe.output)")
            return false
        }
        return true
    }

    func testPythonSafetensorsLoadsPolicyFile() throws {
        guard try requireSafetensorsModule() else { return }
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, policy) in [("cartpole", Fixtures.discretePolicy()), ("furuta", Fixtures.gaussianPolicy()), ("features", Fixtures.featurePolicy())] {
            let path = directory + "/\(name).safetensors"
            try policy.write(to: path)
            let result = try run(["python3", script, path])
            XCTAssertEqual(result.status, 0, result.output)
            XCTAssertTrue(result.output.contains("format: reflex-policy"), result.output)
            let shape = policy.architecture.expectedTensors[0].shape
            XCTAssertTrue(result.output.contains("tensor actor.0.weight shape=\(shape) dtype=float32"), result.output)
            XCTAssertTrue(result.output.hasSuffix("ok\n"), result.output)
            XCTAssertEqual(result.output.contains("observation_features: pendulum_encoder [angle, velocity]"), name == "features", result.output)
        }
    }

    func testCheckScriptRejectsForeignAndBrokenFiles() throws {
        guard try requireSafetensorsModule() else { return }
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let foreign = directory + "/foreign.safetensors"
        try writeFile(foreign, Data(Safetensors.encode(tensors: ["w": Tensor(shape: [1], scalars: [1])], metadata: [:])))
        let foreignResult = try run(["python3", script, foreign])
        XCTAssertNotEqual(foreignResult.status, 0, foreignResult.output)
        XCTAssertTrue(foreignResult.output.contains("not a Reflex policy file"), foreignResult.output)

        let broken = directory + "/broken.safetensors"
        let bytes = try Fixtures.discretePolicy().encoded()
        try writeFile(broken, Data(bytes[0..<(bytes.count - 3)]))
        let brokenResult = try run(["python3", script, broken])
        XCTAssertNotEqual(brokenResult.status, 0, brokenResult.output)
        XCTAssertTrue(brokenResult.output.contains("cannot load"), brokenResult.output)

        let missing = try run(["python3", script, directory + "/missing.safetensors"])
        XCTAssertNotEqual(missing.status, 0, missing.output)
    }
}
