import Foundation
import NeuralNet
import ReflexCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Saving and loading a policy as one safetensors file.
///
/// Tensors hold the weights and the normalizer statistics; `__metadata__` holds compact JSON strings
/// (`architecture`, `observation_channels`, `actuator_channels`, `action_space`, `provenance`, `obs_norm`,
/// and only when present `image_preprocessing` and `observation_features`) plus the `format` tag and
/// `format_version`. JSON cannot hold ±infinity (a channel range may be
/// unbounded), so non-finite numbers are written as the strings `"inf"`, `"-inf"` and `"nan"`.
extension PolicyFile {
    /// Metadata keys, shared with `check_policy_file.py`.
    enum MetadataKey {
        static let format = "format"
        static let formatVersion = "format_version"
        static let architecture = "architecture"
        static let observationChannels = "observation_channels"
        static let actuatorChannels = "actuator_channels"
        static let actionSpace = "action_space"
        static let provenance = "provenance"
        static let observationNormalization = "obs_norm"
        /// Only in files trained from pixels, so sensor policies' files stay as they were.
        static let imagePreprocessing = "image_preprocessing"
        /// Only in files whose policy reads derived features, so other files stay as they were.
        static let observationFeatures = "observation_features"
    }

    /// The file's bytes. Deterministic: the same policy always gives the same bytes.
    public func encoded() throws -> [UInt8] {
        try validate()
        let encoder = Self.metadataEncoder()
        func json<T: Encodable>(_ value: T, _ key: String) throws -> String {
            do {
                return String(decoding: try encoder.encode(value), as: UTF8.self)
            } catch {
                throw ReflexError(.invalidPolicyFile, "policy: cannot encode metadata '\(key)': \(error)")
            }
        }
        var metadata: [String: String] = [
            MetadataKey.format: Self.formatTag,
            MetadataKey.formatVersion: String(Self.formatVersion),
            MetadataKey.architecture: try json(architecture, MetadataKey.architecture),
            MetadataKey.observationChannels: try json(observationChannels, MetadataKey.observationChannels),
            MetadataKey.actuatorChannels: try json(actuatorChannels, MetadataKey.actuatorChannels),
            MetadataKey.actionSpace: try json(actionSpace, MetadataKey.actionSpace),
            MetadataKey.provenance: try json(provenance, MetadataKey.provenance),
            MetadataKey.observationNormalization: "null",
        ]
        if let imagePreprocessing {
            metadata[MetadataKey.imagePreprocessing] = try json(imagePreprocessing, MetadataKey.imagePreprocessing)
        }
        if let observationFeatures {
            metadata[MetadataKey.observationFeatures] = try json(observationFeatures, MetadataKey.observationFeatures)
        }
        var tensors = weights
        if let norm = observationNormalization {
            let parameters = ObservationNormalization.Parameters(epsilon: norm.epsilon, clip: norm.clip)
            metadata[MetadataKey.observationNormalization] = try json(parameters, MetadataKey.observationNormalization)
            tensors[ObservationNormalization.meanName] = Tensor(shape: [norm.mean.count], scalars: norm.mean)
            tensors[ObservationNormalization.varianceName] = Tensor(shape: [norm.variance.count], scalars: norm.variance)
        }
        return Safetensors.encode(tensors: tensors, metadata: metadata)
    }

    /// Parses and verifies a policy file's bytes; `source` (a path) prefixes every error message.
    public static func decode(_ bytes: [UInt8], source: String = "policy") throws -> PolicyFile {
        let contents: (tensors: [String: Tensor], metadata: [String: String])
        do {
            contents = try Safetensors.decode(bytes)
        } catch let error as SafetensorsError {
            let what = error.kind == .truncated ? "truncated" : "corrupt"
            throw ReflexError(.invalidPolicyFile, "\(source): \(what): \(error.message)")
        }
        let metadata = contents.metadata
        guard metadata[MetadataKey.format] == formatTag else {
            throw ReflexError(.invalidPolicyFile, "\(source): not a Reflex policy file (no \(formatTag) format tag)")
        }
        guard let versionText = metadata[MetadataKey.formatVersion], let version = Int(versionText) else {
            throw ReflexError(.invalidPolicyFile, "\(source): format_version is missing or not an integer")
        }
        guard version <= formatVersion else {
            throw ReflexError(
                .invalidPolicyFile,
                "\(source): format_version \(version) is newer than this Reflex reads (\(formatVersion)); update Reflex to load it"
            )
        }
        guard version >= 1 else {
            throw ReflexError(.invalidPolicyFile, "\(source): format_version \(version) is not a known version")
        }

        let decoder = metadataDecoder()
        func field<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            guard let text = metadata[key] else {
                throw ReflexError(.invalidPolicyFile, "\(source): metadata entry '\(key)' is missing")
            }
            do {
                return try decoder.decode(T.self, from: Data(text.utf8))
            } catch {
                throw ReflexError(.invalidPolicyFile, "\(source): metadata entry '\(key)' is invalid: \(describe(error))")
            }
        }
        let architecture = try field(PolicyArchitecture.self, MetadataKey.architecture)
        let observationChannels = try field([ChannelSpec].self, MetadataKey.observationChannels)
        let actuatorChannels = try field([ChannelSpec].self, MetadataKey.actuatorChannels)
        let actionSpace = try field(ActionSpace.self, MetadataKey.actionSpace)
        let provenance = try field(Provenance.self, MetadataKey.provenance)
        let imagePreprocessing = metadata[MetadataKey.imagePreprocessing] == nil
            ? nil : try field(ImagePreprocessing.self, MetadataKey.imagePreprocessing)
        let observationFeatures = metadata[MetadataKey.observationFeatures] == nil
            ? nil : try field([ObservationFeature].self, MetadataKey.observationFeatures)

        var weights = contents.tensors
        var normalization: ObservationNormalization?
        let normText = metadata[MetadataKey.observationNormalization]?.trimmingCharacters(in: .whitespaces) ?? "null"
        if normText != "null" {
            let parameters = try field(ObservationNormalization.Parameters.self, MetadataKey.observationNormalization)
            let expected = [architecture.inputSize]
            var vectors: [[Float]] = []
            for name in [ObservationNormalization.meanName, ObservationNormalization.varianceName] {
                guard let tensor = weights.removeValue(forKey: name) else {
                    throw ReflexError(.invalidPolicyFile, "\(source): missing tensor '\(name)' (expected shape \(expected)) named by obs_norm")
                }
                guard tensor.shape == expected else {
                    throw ReflexError(.invalidPolicyFile, "\(source): tensor '\(name)' has shape \(tensor.shape), expected \(expected)")
                }
                vectors.append(tensor.scalars)
            }
            normalization = ObservationNormalization(
                mean: vectors[0], variance: vectors[1], epsilon: parameters.epsilon, clip: parameters.clip
            )
        }

        let policy = PolicyFile(
            architecture: architecture, weights: weights, observationNormalization: normalization,
            observationChannels: observationChannels, actuatorChannels: actuatorChannels,
            actionSpace: actionSpace, provenance: provenance, imagePreprocessing: imagePreprocessing,
            observationFeatures: observationFeatures
        )
        if let problem = policy.firstProblem() {
            throw ReflexError(.invalidPolicyFile, "\(source): \(problem)")
        }
        return policy
    }

    /// Loads and verifies a policy file. Missing or unreadable → `.io`; anything wrong inside →
    /// `.invalidPolicyFile`, with the path and the problem in the message.
    public static func load(path: String) throws -> PolicyFile {
        try decode(readFile(path), source: path)
    }

    /// Writes the policy atomically: the bytes go to a temporary file in the same directory, are flushed with
    /// `fsync`, and replace `path` with `rename`, so `path` is never half-written — a failure leaves the old
    /// file (if any) untouched.
    public func write(to path: String) throws {
        try write(to: path, beforeRename: nil)
    }

    /// `write(to:)` with a test hook run after the temporary file is complete and before the rename.
    func write(to path: String, beforeRename hook: ((_ temporaryPath: String) throws -> Void)?) throws {
        let bytes: [UInt8]
        do {
            bytes = try encoded()
        } catch let error as ReflexError {
            throw ReflexError(error.code, "\(path): \(error.message)")
        }
        try AtomicFile.write(bytes, to: path, beforeRename: hook)
    }

    // MARK: - Helpers

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ReflexError(.io, "\(path): cannot open policy file: \(errnoText())")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReflexError(.io, "\(path): cannot read policy file: \(errnoText())")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    static func metadataEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func metadataDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// A one-line account of a decoding error: the key path (in the file's snake_case) and what was wrong.
    private static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func snakeCase(_ key: String) -> String {
            var result = ""
            for character in key {
                if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
            }
            return result
        }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\(snakeCase($0.stringValue))" }.joined()
            return keys.isEmpty ? "" : "at \(keys): "
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context))missing key '\(snakeCase(key.stringValue))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context))\(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
