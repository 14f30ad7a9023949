import Foundation
import NeuralNet
@testable import PolicyRuntime
import ReflexCore
import XCTest

final class PolicyFileTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        chmod(directory, 0o755)
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: Round trips

    func testWriteLoadRoundTripKeepsEverythingIncludingInfiniteRanges() throws {
        let policy = Fixtures.discretePolicy()
        let path = directory + "/cartpole.safetensors"
        try policy.write(to: path)
        let loaded = try PolicyFile.load(path: path)
        XCTAssertEqual(loaded, policy)
        XCTAssertEqual(loaded.observationChannels[1].min, -.infinity)
        XCTAssertEqual(loaded.observationChannels[1].max, .infinity)
        XCTAssertEqual(loaded.provenance.seed, UInt64.max - 7)
        XCTAssertEqual(loaded.provenance.robotDescription, Fixtures.provenance().robotDescription)
    }

    func testRoundTripWithoutNormalizationAndGaussianHead() throws {
        for policy in [Fixtures.discretePolicy(normalized: false), Fixtures.gaussianPolicy()] {
            XCTAssertEqual(try PolicyFile.decode(try policy.encoded()), policy)
        }
    }

    func testNaNProvenanceNumberRoundTrips() throws {
        var policy = Fixtures.gaussianPolicy()
        policy.provenance.meanReturn = .nan
        let loaded = try PolicyFile.decode(try policy.encoded())
        XCTAssertTrue(loaded.provenance.meanReturn.isNaN)
    }

    func testMetadataIsCompactJSONStrings() throws {
        let (tensors, metadata) = try Safetensors.decode(try Fixtures.discretePolicy().encoded())
        XCTAssertEqual(metadata["format"], "reflex-policy")
        XCTAssertEqual(metadata["format_version"], "1")
        XCTAssertEqual(
            metadata["architecture"],
            #"{"activation":"tanh","head":"categorical","hidden_sizes":[3],"input_size":4,"kind":"mlp","output_size":2}"#
        )
        XCTAssertEqual(metadata["action_space"], #"{"discrete":{"choices":[[-10],[10]]}}"#)
        let channels = try XCTUnwrap(metadata["observation_channels"])
        XCTAssertTrue(channels.contains(#""min":"-inf""#), channels)
        XCTAssertTrue(channels.contains(#""max":"inf""#), channels)
        XCTAssertFalse(channels.contains("\n"))
        XCTAssertNotNil(metadata["obs_norm"]?.contains("clip"))
        XCTAssertTrue(try XCTUnwrap(metadata["provenance"]).contains(#""robot":"cartpole""#))
        XCTAssertEqual(Set(tensors.keys), ["actor.0.weight", "actor.0.bias", "actor.1.weight", "actor.1.bias", "obs_norm.mean", "obs_norm.var"])
        XCTAssertEqual(tensors["actor.0.weight"]?.shape, [3, 4])
        XCTAssertEqual(try Safetensors.decode(try Fixtures.discretePolicy(normalized: false).encoded()).metadata["obs_norm"], "null")
    }

    func testEncodingIsDeterministic() throws {
        XCTAssertEqual(try Fixtures.discretePolicy().encoded(), try Fixtures.discretePolicy().encoded())
    }

    // MARK: Refusals

    func testMissingFileIsAnIOErrorNamingThePath() {
        let path = directory + "/nope.safetensors"
        assertReflexError(.io, contains: [path, "No such file"]) { _ = try PolicyFile.load(path: path) }
    }

    func testTruncatedFileSaysTruncated() throws {
        let bytes = try Fixtures.discretePolicy().encoded()
        let path = directory + "/cut.safetensors"
        for length in [0, 5, 8, 20, bytes.count / 2, bytes.count - 1] {
            try writeFile(path, Data(bytes[0..<length]))
            assertReflexError(.invalidPolicyFile, contains: [path + ": truncated: "]) { _ = try PolicyFile.load(path: path) }
        }
    }

    func testCorruptHeaderSaysCorrupt() throws {
        var bytes = try Fixtures.discretePolicy().encoded()
        bytes[8] = UInt8(ascii: "[")
        assertReflexError(.invalidPolicyFile, contains: ["x.st: corrupt: "]) { _ = try PolicyFile.decode(bytes, source: "x.st") }
    }

    func testForeignSafetensorsFileIsRefused() throws {
        let foreign = Safetensors.encode(
            tensors: ["model.embed.weight": Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])], metadata: ["format": "pt"]
        )
        let path = directory + "/bert.safetensors"
        try writeFile(path, Data(foreign))
        assertReflexError(.invalidPolicyFile, contains: [path + ": not a Reflex policy file (no reflex-policy format tag)"]) {
            _ = try PolicyFile.load(path: path)
        }
    }

    func testNewerFormatVersionIsRefused() throws {
        let bytes = try Fixtures.tampered(Fixtures.discretePolicy()) { _, metadata in metadata["format_version"] = "2" }
        assertReflexError(.invalidPolicyFile, contains: ["format_version 2 is newer", "(1)", "update Reflex"]) {
            _ = try PolicyFile.decode(bytes)
        }
        let garbage = try Fixtures.tampered(Fixtures.discretePolicy()) { _, metadata in metadata["format_version"] = "one" }
        assertReflexError(.invalidPolicyFile, contains: ["format_version"]) { _ = try PolicyFile.decode(garbage) }
    }

    func testMissingTensorIsNamed() throws {
        let bytes = try Fixtures.tampered(Fixtures.discretePolicy()) { tensors, _ in tensors["actor.1.weight"] = nil }
        assertReflexError(.invalidPolicyFile, contains: ["missing tensor 'actor.1.weight'", "[2, 3]"]) {
            _ = try PolicyFile.decode(bytes)
        }
        let norm = try Fixtures.tampered(Fixtures.discretePolicy()) { tensors, _ in tensors["obs_norm.var"] = nil }
        assertReflexError(.invalidPolicyFile, contains: ["missing tensor 'obs_norm.var'"]) { _ = try PolicyFile.decode(norm) }
    }

    func testWrongShapeNamesTensorExpectedAndActual() throws {
        let bytes = try Fixtures.tampered(Fixtures.discretePolicy()) { tensors, _ in
            tensors["actor.0.weight"] = Tensor(shape: [4, 3], scalars: Array(repeating: 0, count: 12))
        }
        assertReflexError(.invalidPolicyFile, contains: ["'actor.0.weight'", "shape [4, 3]", "expected [3, 4]"]) {
            _ = try PolicyFile.decode(bytes)
        }
        let norm = try Fixtures.tampered(Fixtures.discretePolicy()) { tensors, _ in
            tensors["obs_norm.mean"] = Tensor(shape: [2, 2], scalars: [0, 0, 0, 0])
        }
        assertReflexError(.invalidPolicyFile, contains: ["'obs_norm.mean'", "[2, 2]", "expected [4]"]) { _ = try PolicyFile.decode(norm) }
    }

    func testUnexpectedTensorIsRefused() throws {
        let bytes = try Fixtures.tampered(Fixtures.discretePolicy()) { tensors, _ in
            tensors["critic.0.weight"] = Tensor(shape: [1], scalars: [0])
        }
        assertReflexError(.invalidPolicyFile, contains: ["unexpected tensor 'critic.0.weight'"]) { _ = try PolicyFile.decode(bytes) }
    }

    func testNonFiniteWeightsAreRefused() throws {
        for bad: Float in [.nan, .infinity, -.infinity] {
            let bytes = try Fixtures.tampered(Fixtures.discretePolicy()) { tensors, _ in
                tensors["actor.1.bias"]?.scalars[1] = bad
            }
            assertReflexError(.invalidPolicyFile, contains: ["'actor.1.bias'", "non-finite", "element 1"]) {
                _ = try PolicyFile.decode(bytes)
            }
        }
    }

    func testBadMetadataJSONNamesTheEntry() throws {
        let bytes = try Fixtures.tampered(Fixtures.discretePolicy()) { _, metadata in metadata["architecture"] = #"{"kind":"mlp"}"# }
        assertReflexError(.invalidPolicyFile, contains: ["metadata entry 'architecture' is invalid", "input_size"]) {
            _ = try PolicyFile.decode(bytes)
        }
        let missing = try Fixtures.tampered(Fixtures.discretePolicy()) { _, metadata in metadata["provenance"] = nil }
        assertReflexError(.invalidPolicyFile, contains: ["metadata entry 'provenance' is missing"]) { _ = try PolicyFile.decode(missing) }
    }

    func testInconsistentPartsAreRefusedOnWrite() {
        var policy = Fixtures.discretePolicy()
        policy.actionSpace = .discrete(choices: [[-10], [0], [10]])
        let path = directory + "/bad.safetensors"
        assertReflexError(.invalidPolicyFile, contains: [path, "output size 2", "3 discrete choices"]) { try policy.write(to: path) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))

        var continuous = Fixtures.discretePolicy()
        continuous.actionSpace = .continuous(low: [-1], high: [1])
        assertReflexError(.invalidPolicyFile, contains: ["gaussian head"]) { try continuous.validate() }

        var wrongInput = Fixtures.discretePolicy()
        wrongInput.observationChannels.removeLast()
        assertReflexError(.invalidPolicyFile, contains: ["input size 4", "3 observation channels"]) { try wrongInput.validate() }
    }

    func testVerifyRobotRefusesAnotherRobot() throws {
        let policy = Fixtures.discretePolicy()
        XCTAssertNoThrow(try policy.verify(robot: "cartpole"))
        assertReflexError(.policyMismatch, contains: ["policy was trained for 'cartpole', not 'furuta'"]) {
            try policy.verify(robot: "furuta")
        }
    }

    func testVerifyChannels() throws {
        let policy = Fixtures.discretePolicy()
        XCTAssertNoThrow(try policy.verify(sensors: Fixtures.cartPoleSensors, actuators: Fixtures.cartPoleActuators))
        var sensors = Fixtures.cartPoleSensors
        sensors[2].unit = "deg"
        assertReflexError(.channelMismatch, contains: ["pole_angle", "unit rad ≠ deg"]) {
            try policy.verify(sensors: sensors, actuators: Fixtures.cartPoleActuators)
        }
    }

    // MARK: Atomic write

    func testWriteGoesThroughATemporaryFileInTheSameDirectory() throws {
        let path = directory + "/policy.safetensors"
        let old = Fixtures.discretePolicy(normalized: false)
        try old.write(to: path)
        let new = Fixtures.discretePolicy()
        var seenTemporary: String?
        try new.write(to: path) { temporary in
            seenTemporary = temporary
            XCTAssertEqual((temporary as NSString).deletingLastPathComponent, self.directory)
            XCTAssertNotEqual(temporary, path)
            // The new bytes are complete in the temporary file; the target still holds the old policy.
            XCTAssertEqual(try PolicyFile.load(path: temporary), new)
            XCTAssertEqual(try PolicyFile.load(path: path), old)
        }
        XCTAssertNotNil(seenTemporary)
        XCTAssertEqual(try PolicyFile.load(path: path), new)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["policy.safetensors"])
    }

    func testFailedWriteLeavesOldFileIntactAndNoTemporaryBehind() throws {
        struct Interrupted: Error {}
        let path = directory + "/policy.safetensors"
        let old = Fixtures.discretePolicy(normalized: false)
        try old.write(to: path)
        XCTAssertThrowsError(try Fixtures.discretePolicy().write(to: path) { _ in throw Interrupted() })
        XCTAssertEqual(try PolicyFile.load(path: path), old)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["policy.safetensors"])
    }

    func testWriteIntoMissingOrReadOnlyDirectoryFails() throws {
        let missing = directory + "/no/such/dir/policy.safetensors"
        assertReflexError(.io, contains: [missing, "temporary file"]) { try Fixtures.discretePolicy().write(to: missing) }

        let path = directory + "/policy.safetensors"
        let old = Fixtures.discretePolicy(normalized: false)
        try old.write(to: path)
        chmod(directory, 0o555)
        defer { chmod(directory, 0o755) }
        guard getuid() != 0 else { return }  // root ignores directory permissions; the hook test covers this case
        assertReflexError(.io, contains: [path]) { try Fixtures.discretePolicy().write(to: path) }
        XCTAssertEqual(try PolicyFile.load(path: path), old)
    }
}
