// The on-disk shape of a robot description (schema 1), decoded strictly with Codable, then checked
// and converted into `RobotDescription`. See simulators/README.md for the fields and units.

/// One problem in a description file: where (dotted key path, `[i]` for list items) and what.
struct DescriptionIssue: Error {
    var path: String
    var problem: String

    init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    init(_ codingPath: [CodingKey], _ problem: String) {
        self.init(formatKeyPath(codingPath), problem)
    }
}

/// `sensors[2].unit` from a decoder's coding path; `(top level)` for the root.
func formatKeyPath(_ path: [CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return text.isEmpty ? "(top level)" : text
}

/// Any key, to list what a mapping really holds.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

/// Throws for the first key of the decoder's mapping that `Keys` does not list.
func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: Decoder, _: Keys.Type) throws {
    let container = try decoder.container(keyedBy: AnyCodingKey.self)
    let known = Keys.allCases.map(\.stringValue)
    for key in container.allKeys where !known.contains(key.stringValue) {
        throw DescriptionIssue(
            decoder.codingPath + [key], "unknown key (known: \(known.joined(separator: ", ")))")
    }
}

/// A number as people write it: `-1`, `0.02`, `inf`.
func formatNumber(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
}

// MARK: - File structs

struct DescriptionFile: Decodable {
    static let supportedSchemas = [1]

    var schema: Int
    var name: String
    var summary: String
    var simulator: String
    var controlPeriod: Double
    var integrator: String
    var physics: [String: Double]
    var task: [String: Double]
    var episode: EpisodeFile
    var sensors: [SensorFile]
    var actuators: [ActuatorFile]
    var actions: ActionsFile
    var physicsSubsteps: Int?
    /// `physics.<name>` or `task.<name>` → `[low, high]`.
    var randomization: [String: [Double]]?
    /// `camera:`, for robots that see through one.
    var camera: CameraFile?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case schema, name, summary, simulator
        case controlPeriod = "control_period"
        case physicsSubsteps = "physics_substeps"
        case integrator, physics, task, episode, sensors, actuators, actions, randomization, camera
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // The schema decides which keys exist, so it is checked before anything else.
        schema = try c.decode(Int.self, forKey: .schema)
        guard Self.supportedSchemas.contains(schema) else {
            throw DescriptionIssue(
                "schema", "unsupported schema \(schema) (supported: \(Self.supportedSchemas.map(String.init).joined(separator: ", ")))")
        }
        try rejectUnknownKeys(decoder, CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        summary = try c.decode(String.self, forKey: .summary)
        simulator = try c.decode(String.self, forKey: .simulator)
        controlPeriod = try c.decode(Double.self, forKey: .controlPeriod)
        integrator = try c.decode(String.self, forKey: .integrator)
        physics = try c.decode([String: Double].self, forKey: .physics)
        task = try c.decode([String: Double].self, forKey: .task)
        episode = try c.decode(EpisodeFile.self, forKey: .episode)
        sensors = try c.decode([SensorFile].self, forKey: .sensors)
        actuators = try c.decode([ActuatorFile].self, forKey: .actuators)
        actions = try c.decode(ActionsFile.self, forKey: .actions)
        physicsSubsteps = try c.decodeIfPresent(Int.self, forKey: .physicsSubsteps)
        randomization = try c.decodeIfPresent([String: [Double]].self, forKey: .randomization)
        camera = try c.decodeIfPresent(CameraFile.self, forKey: .camera)
    }
}

struct EpisodeFile: Decodable {
    var maxSteps: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxSteps = "max_steps"
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxSteps = try c.decode(Int.self, forKey: .maxSteps)
    }
}

struct SensorFile: Decodable {
    var name: String
    var unit: String
    var min: Double
    var max: Double
    var resolution: Double?
    var noise: Double?
    var latencyTicks: Int?
    var raw: RawFile?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, unit, min, max, resolution, noise
        case latencyTicks = "latency_ticks"
        case raw
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        unit = try c.decode(String.self, forKey: .unit)
        min = try c.decode(Double.self, forKey: .min)
        max = try c.decode(Double.self, forKey: .max)
        resolution = try c.decodeIfPresent(Double.self, forKey: .resolution)
        noise = try c.decodeIfPresent(Double.self, forKey: .noise)
        latencyTicks = try c.decodeIfPresent(Int.self, forKey: .latencyTicks)
        raw = try c.decodeIfPresent(RawFile.self, forKey: .raw)
    }
}

/// `raw:` of a sensor channel that reports counts.
struct RawFile: Decodable {
    var encoding: String
    var scale: Double
    var unit: String
    var offset: Double?
    var wrap: Int?
    var bits: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case encoding, scale, unit, offset, wrap, bits
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        encoding = try c.decode(String.self, forKey: .encoding)
        scale = try c.decode(Double.self, forKey: .scale)
        unit = try c.decode(String.self, forKey: .unit)
        offset = try c.decodeIfPresent(Double.self, forKey: .offset)
        wrap = try c.decodeIfPresent(Int.self, forKey: .wrap)
        bits = try c.decodeIfPresent(Int.self, forKey: .bits)
    }
}

struct ActuatorFile: Decodable {
    var name: String
    var unit: String
    var min: Double
    var max: Double
    var safe: Double
    var deadzone: Double?
    var rateLimit: Double?
    var latencyTicks: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, unit, min, max, safe, deadzone
        case rateLimit = "rate_limit"
        case latencyTicks = "latency_ticks"
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        unit = try c.decode(String.self, forKey: .unit)
        min = try c.decode(Double.self, forKey: .min)
        max = try c.decode(Double.self, forKey: .max)
        safe = try c.decode(Double.self, forKey: .safe)
        deadzone = try c.decodeIfPresent(Double.self, forKey: .deadzone)
        rateLimit = try c.decodeIfPresent(Double.self, forKey: .rateLimit)
        latencyTicks = try c.decodeIfPresent(Int.self, forKey: .latencyTicks)
    }
}

struct ActionsFile: Decodable {
    var discrete: [DiscreteActionFile]?
    var continuous: ContinuousActionFile?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case discrete, continuous
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        discrete = try c.decodeIfPresent([DiscreteActionFile].self, forKey: .discrete)
        continuous = try c.decodeIfPresent(ContinuousActionFile.self, forKey: .continuous)
        if (discrete == nil) == (continuous == nil) {
            throw DescriptionIssue(decoder.codingPath, "give exactly one of: discrete, continuous")
        }
    }
}

struct DiscreteActionFile: Decodable {
    var name: String
    /// One value per actuator, in actuator order and units.
    var values: [Double]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, values
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        values = try c.decode([Double].self, forKey: .values)
    }
}

struct ContinuousActionFile: Decodable {
    /// Per actuator, in actuator order and units.
    var low: [Double]
    var high: [Double]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case low, high
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        low = try c.decode([Double].self, forKey: .low)
        high = try c.decode([Double].self, forKey: .high)
    }
}
