import Foundation
import ReflexCore
import Yams

/// One hyperparameter that a preset file or `--set section.key=value` may change.
public struct ConfigField<Config>: Sendable {
    /// snake_case key, as in the preset files (`learning_rate`).
    public let key: String
    /// What the value means, for error messages and `--help`.
    public let summary: String
    let apply: @Sendable (inout Config, String) throws -> Void

    /// A number field.
    public static func float(_ key: String, _ path: WritableKeyPath<Config, Float> & Sendable, _ summary: String) -> Self {
        ConfigField(key: key, summary: summary) { config, text in
            guard let v = Float(text), v.isFinite else { throw Problem("'\(text)' is not a finite number") }
            config[keyPath: path] = v
        }
    }

    public static func double(_ key: String, _ path: WritableKeyPath<Config, Double> & Sendable, _ summary: String) -> Self {
        ConfigField(key: key, summary: summary) { config, text in
            guard let v = Double(text), v.isFinite else { throw Problem("'\(text)' is not a finite number") }
            config[keyPath: path] = v
        }
    }

    /// An optional number: `none` or `null` clears it.
    public static func optionalFloat(_ key: String, _ path: WritableKeyPath<Config, Float?> & Sendable, _ summary: String) -> Self {
        ConfigField(key: key, summary: summary) { config, text in
            if ["none", "null", "~"].contains(text.lowercased()) { config[keyPath: path] = nil; return }
            guard let v = Float(text), v.isFinite else { throw Problem("'\(text)' is not a finite number (or none)") }
            config[keyPath: path] = v
        }
    }

    public static func optionalDouble(_ key: String, _ path: WritableKeyPath<Config, Double?> & Sendable, _ summary: String) -> Self {
        ConfigField(key: key, summary: summary) { config, text in
            if ["none", "null", "~"].contains(text.lowercased()) { config[keyPath: path] = nil; return }
            guard let v = Double(text), v.isFinite else { throw Problem("'\(text)' is not a finite number (or none)") }
            config[keyPath: path] = v
        }
    }

    /// A positive integer field (`1e5` and `100_000` are accepted as well).
    public static func count(_ key: String, _ path: WritableKeyPath<Config, Int> & Sendable, _ summary: String, allowZero: Bool = false) -> Self {
        ConfigField(key: key, summary: summary) { config, text in
            guard let v = parseInteger(text) else { throw Problem("'\(text)' is not an integer") }
            guard v > 0 || (allowZero && v == 0) else { throw Problem("must be \(allowZero ? "≥ 0" : "> 0"), got \(v)") }
            config[keyPath: path] = v
        }
    }

    public static func bool(_ key: String, _ path: WritableKeyPath<Config, Bool> & Sendable, _ summary: String) -> Self {
        ConfigField(key: key, summary: summary) { config, text in
            switch text.lowercased() {
            case "true", "yes", "on", "1": config[keyPath: path] = true
            case "false", "no", "off", "0": config[keyPath: path] = false
            default: throw Problem("'\(text)' is not true or false")
            }
        }
    }

    /// A list of positive integers: `64,64` or `[64, 64]`.
    public static func sizes(_ key: String, _ path: WritableKeyPath<Config, [Int]> & Sendable, _ summary: String) -> Self {
        ConfigField(key: key, summary: summary) { config, text in
            let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
            let parts = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let values = parts.compactMap { parseInteger($0) }
            guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 > 0 }) else {
                throw Problem("'\(text)' is not a list of positive integers like [64, 64]")
            }
            config[keyPath: path] = values
        }
    }

    /// A list of names: `a,b` or `[a, b]`; `none`, `[]` or nothing clears it. Each name is a plain word
    /// (letters, digits, `_`, `-`, `.`); repeated names are refused.
    public static func names(_ key: String, _ path: WritableKeyPath<Config, [String]> & Sendable, _ summary: String) -> Self {
        ConfigField(key: key, summary: summary) { config, text in
            let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
            if inner.isEmpty || ["none", "null", "~"].contains(inner.lowercased()) { config[keyPath: path] = []; return }
            let parts = inner.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-."))
            guard parts.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy(allowed.contains) }) else {
                throw Problem("'\(text)' is not a list of names like [arm_encoder, pendulum_encoder]")
            }
            guard Set(parts).count == parts.count else { throw Problem("'\(text)' names a channel twice") }
            config[keyPath: path] = parts
        }
    }

    /// One of a fixed set of words.
    public static func choice(_ key: String, _ path: WritableKeyPath<Config, String> & Sendable, _ choices: [String], _ summary: String) -> Self {
        ConfigField(key: key, summary: summary) { config, text in
            guard choices.contains(text) else { throw Problem("'\(text)' is not one of \(choices.joined(separator: ", "))") }
            config[keyPath: path] = text
        }
    }

    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}

/// `100000`, `100_000`, `1e5` → 100000; nil for anything that is not a whole number.
func parseInteger(_ text: String) -> Int? {
    let cleaned = text.replacingOccurrences(of: "_", with: "")
    if let v = Int(cleaned) { return v }
    if let d = Double(cleaned), d.isFinite, d == d.rounded(), abs(d) < 9e15 { return Int(d) }
    return nil
}

/// One `section.key=value` setting and where it came from (a preset file, or the command line).
public struct ConfigSetting: Sendable, Equatable {
    public var section: String
    public var key: String
    public var value: String
    /// `presets/pendulum.yaml` or `--set`: prefixes error messages.
    public var source: String

    public init(section: String, key: String, value: String, source: String) {
        self.section = section
        self.key = key
        self.value = value
        self.source = source
    }

    /// Parses `--set ppo.learning_rate=3e-4`.
    public static func parse(_ text: String) throws -> ConfigSetting {
        guard let eq = text.firstIndex(of: "=") else {
            throw ReflexError(.invalidArgument, "--set \(text): expected section.key=value (e.g. ppo.learning_rate=3e-4)")
        }
        let path = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let value = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !value.isEmpty else {
            throw ReflexError(.invalidArgument, "--set \(text): expected section.key=value (e.g. ppo.learning_rate=3e-4)")
        }
        return ConfigSetting(section: String(parts[0]), key: String(parts[1]), value: value, source: "--set")
    }
}

extension Array {
    /// Applies every setting whose section is `section` to `config`; throws `.invalidArgument` naming the
    /// source, the key and the problem (an unknown key lists the known ones).
    public func apply<Config>(to config: inout Config, section: String, fields: [ConfigField<Config>]) throws
    where Element == ConfigSetting {
        for setting in self where setting.section == section {
            let name = "\(setting.section).\(setting.key)"
            guard let field = fields.first(where: { $0.key == setting.key }) else {
                throw ReflexError(
                    .invalidArgument,
                    "\(setting.source): unknown key '\(name)' (\(section) keys: \(fields.map(\.key).sorted().joined(separator: ", ")))")
            }
            do {
                try field.apply(&config, setting.value)
            } catch let problem as ConfigField<Config>.Problem {
                throw ReflexError(.invalidArgument, "\(setting.source): \(name): \(problem.message) (\(field.summary))")
            }
        }
    }
}

/// Known-good hyperparameters for one robot, per algorithm, from `presets/<robot>.yaml` (rl-zoo style):
///
/// ```yaml
/// ppo:
///   learning_rate: 1e-3
///   hidden_sizes: [64, 64]
/// sac:
///   total_steps: 20000
/// ```
public struct PresetFile: Sendable, Equatable {
    /// Settings in file order.
    public var settings: [ConfigSetting]
    /// Algorithms the file has a section for.
    public var algorithms: [String] { Array(Set(settings.map(\.section))).sorted() }

    /// Parses preset YAML; `file` names it in errors. Sections other than `known` are refused.
    public static func parse(yaml: String, file: String, knownSections: [String]) throws -> PresetFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ReflexError(.invalidArgument, "\(file): not valid YAML: \(error)")
        }
        guard let root, let mapping = root.mapping else {
            throw ReflexError(.invalidArgument, "\(file): expected a mapping of algorithm sections (\(knownSections.joined(separator: ", ")))")
        }
        var settings: [ConfigSetting] = []
        for (sectionNode, body) in mapping {
            guard let section = sectionNode.string, knownSections.contains(section) else {
                throw ReflexError(
                    .invalidArgument,
                    "\(file): unknown section '\(sectionNode.string ?? "?")' (known: \(knownSections.joined(separator: ", ")))")
            }
            guard let entries = body.mapping else {
                throw ReflexError(.invalidArgument, "\(file): \(section): expected a mapping of key: value")
            }
            for (keyNode, valueNode) in entries {
                guard let key = keyNode.string else { throw ReflexError(.invalidArgument, "\(file): \(section): a key is not a string") }
                let value: String
                if let scalar = valueNode.scalar {
                    value = scalar.string
                } else if let sequence = valueNode.sequence, sequence.allSatisfy({ $0.scalar != nil }) {
                    value = sequence.compactMap { $0.scalar?.string }.joined(separator: ",")
                } else {
                    throw ReflexError(.invalidArgument, "\(file): \(section).\(key): expected a number, word or list")
                }
                settings.append(ConfigSetting(section: section, key: key, value: value, source: file))
            }
        }
        return PresetFile(settings: settings)
    }

    /// Loads `presets/<robot>.yaml` from beside the `simulators/` directory; an empty preset (library
    /// defaults) when the robot has no preset file.
    public static func bundled(robot: String, knownSections: [String]) throws -> PresetFile {
        guard let path = bundledPath(robot: robot) else { return PresetFile(settings: []) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ReflexError(.io, "\(path): cannot read: \(error.localizedDescription)")
        }
        return try parse(yaml: text, file: path, knownSections: knownSections)
    }

    /// `presets/<robot>.yaml` next to the bundled `simulators/` directory, if it exists.
    public static func bundledPath(robot: String) -> String? {
        guard let simulators = RobotDescription.simulatorsDirectory() else { return nil }
        let path = URL(fileURLWithPath: simulators).deletingLastPathComponent()
            .appendingPathComponent("presets").appendingPathComponent(robot + ".yaml").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}

extension PPOConfig {
    /// Every key a preset or `--set ppo.<key>=…` may change.
    public static let fields: [ConfigField<PPOConfig>] = [
        .count("environments", \.environments, "environment copies stepped together"),
        .count("steps_per_rollout", \.stepsPerRollout, "steps per copy per rollout"),
        .count("total_steps", \.totalSteps, "budget of environment steps"),
        .float("learning_rate", \.learningRate, "Adam's initial learning rate"),
        .bool("anneal_learning_rate", \.annealLearningRate, "anneal the learning rate linearly to 0"),
        .float("gamma", \.gamma, "discount factor"),
        .float("gae_lambda", \.gaeLambda, "GAE's λ"),
        .count("minibatches", \.minibatches, "minibatches per epoch"),
        .count("epochs", \.epochs, "passes over each rollout"),
        .bool("normalize_advantages", \.normalizeAdvantages, "normalize advantages per minibatch"),
        .float("clip_coefficient", \.clipCoefficient, "surrogate clipping ε"),
        .bool("clip_value_loss", \.clipValueLoss, "clip the value loss around the old values"),
        .float("entropy_coefficient", \.entropyCoefficient, "entropy bonus coefficient"),
        .float("value_coefficient", \.valueCoefficient, "value loss coefficient"),
        .float("max_gradient_norm", \.maxGradientNorm, "global gradient-norm limit"),
        .float("adam_epsilon", \.adamEpsilon, "Adam's ε"),
        .sizes("hidden_sizes", \.hiddenSizes, "hidden layer widths, e.g. [64, 64]"),
        .choice("activation", \.activation, ["tanh", "relu"], "hidden activation"),
        .double("evaluation_trigger", \.evaluationTrigger, "evaluate once the training return reaches this fraction of solved_return"),
        .optionalDouble("solved_return", \.solvedReturn, "deterministic mean return that counts as solved (none: whole budget)"),
        .count("evaluation_episodes", \.evaluationEpisodes, "episodes per evaluation"),
        .optionalFloat("target_kl", \.targetKL, "stop an update's epochs once the approximate KL exceeds this (none: off)"),
        .float("initial_log_std", \.initialLogStd, "continuous actions: initial log σ"),
        .bool("normalize_observations", \.normalizeObservations, "continuous actions: running observation normalization"),
        .float("observation_clip", \.observationClip, "clip normalized observations to ±this"),
        .bool("normalize_rewards", \.normalizeRewards, "continuous actions: scale rewards by the return's running std"),
        .float("reward_clip", \.rewardClip, "clip scaled rewards to ±this"),
    ]
}

extension SACConfig {
    /// Every key a preset or `--set sac.<key>=…` may change.
    public static let fields: [ConfigField<SACConfig>] = [
        .count("environments", \.environments, "environment copies stepped together"),
        .count("total_steps", \.totalSteps, "budget of environment steps"),
        .count("buffer_size", \.bufferSize, "replay buffer capacity"),
        .count("learning_starts", \.learningStarts, "random-action steps before updates start", allowZero: true),
        .count("batch_size", \.batchSize, "transitions per gradient step"),
        .float("gamma", \.gamma, "discount factor"),
        .float("tau", \.tau, "Polyak rate of the target critics"),
        .float("policy_learning_rate", \.policyLearningRate, "Adam's learning rate for the actor and α"),
        .float("q_learning_rate", \.qLearningRate, "Adam's learning rate for the critics"),
        .count("gradient_steps", \.gradientSteps, "gradient steps per environment step"),
        .count("policy_frequency", \.policyFrequency, "actor update every this many critic updates"),
        .count("target_network_frequency", \.targetNetworkFrequency, "target update every this many critic updates"),
        .bool("autotune", \.autotune, "tune the entropy temperature α"),
        .float("alpha", \.alpha, "entropy temperature (initial when autotuned)"),
        .optionalFloat("target_entropy", \.targetEntropy, "entropy target (none: −actuators)"),
        .sizes("hidden_sizes", \.hiddenSizes, "hidden layer widths, e.g. [256, 256]"),
        .count("evaluation_interval", \.evaluationInterval, "steps between evaluations"),
        .double("evaluation_trigger", \.evaluationTrigger, "evaluate once the training return reaches this fraction of solved_return"),
        .optionalDouble("solved_return", \.solvedReturn, "deterministic mean return that counts as solved (none: whole budget)"),
        .count("evaluation_episodes", \.evaluationEpisodes, "episodes per evaluation"),
    ]
}
