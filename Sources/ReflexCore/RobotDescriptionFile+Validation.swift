
// Checking a decoded description file against its simulator's schema and converting it into
// `RobotDescription`; every problem names the key path.

// MARK: - Checking and conversion

extension DescriptionFile {
    /// Checks every value and builds the description; throws `DescriptionIssue` for the first problem.
    func validated(sourceText: String) throws -> RobotDescription {
        try checkIdentifier(name, at: "name")
        guard let sim = SimulatorSchema.all[simulator] else {
            throw DescriptionIssue(
                "simulator", "unknown simulator '\(simulator)' (known: \(SimulatorSchema.names.joined(separator: ", ")))")
        }
        guard controlPeriod.isFinite, controlPeriod > 0 else {
            throw DescriptionIssue("control_period", "must be > 0 (seconds), got \(formatNumber(controlPeriod))")
        }
        guard sim.integrators.contains(integrator) else {
            throw DescriptionIssue(
                "integrator",
                "unsupported integrator '\(integrator)' for \(sim.name) (supported: \(sim.integrators.joined(separator: ", ")))")
        }
        try checkParameters(physics, against: sim.physics, section: "physics")
        try checkParameters(task, against: sim.task, section: "task")
        guard episode.maxSteps > 0 else {
            throw DescriptionIssue("episode.max_steps", "must be > 0, got \(episode.maxSteps)")
        }
        let substeps = physicsSubsteps ?? 1
        guard (1...100_000).contains(substeps) else {
            throw DescriptionIssue("physics_substeps", "must be 1…100000 integration steps per control period, got \(substeps)")
        }

        guard !sensors.isEmpty else { throw DescriptionIssue("sensors", "must list at least one channel") }
        var sensorSpecs: [ChannelSpec] = []
        var sensorModels: [SensorModel] = []
        for (i, s) in sensors.enumerated() {
            let path = "sensors[\(i)]"
            try checkChannel(name: s.name, unit: s.unit, min: s.min, max: s.max, at: path, finite: false)
            if let first = sensorSpecs.firstIndex(where: { $0.name == s.name }) {
                throw DescriptionIssue(path + ".name", "duplicate channel name '\(s.name)' (also sensors[\(first)])")
            }
            sensorSpecs.append(ChannelSpec(name: s.name, unit: s.unit, min: s.min, max: s.max))
            sensorModels.append(try validatedSensorModel(s, at: path))
        }

        guard !actuators.isEmpty else { throw DescriptionIssue("actuators", "must list at least one channel") }
        var actuatorSpecs: [ChannelSpec] = []
        var actuatorModels: [ActuatorModel] = []
        for (i, a) in actuators.enumerated() {
            let path = "actuators[\(i)]"
            try checkChannel(name: a.name, unit: a.unit, min: a.min, max: a.max, at: path, finite: true)
            guard a.safe.isFinite, a.safe >= a.min, a.safe <= a.max else {
                throw DescriptionIssue(
                    path + ".safe",
                    "safe value \(formatNumber(a.safe)) is outside the range \(formatNumber(a.min))…\(formatNumber(a.max))")
            }
            if let first = actuatorSpecs.firstIndex(where: { $0.name == a.name }) {
                throw DescriptionIssue(path + ".name", "duplicate channel name '\(a.name)' (also actuators[\(first)])")
            }
            actuatorSpecs.append(ChannelSpec(name: a.name, unit: a.unit, min: a.min, max: a.max, safeValue: a.safe))
            actuatorModels.append(try validatedActuatorModel(a, at: path))
        }

        let actionSpace = try validatedActions(actuatorSpecs)
        let ranges = try validatedRandomization(sim, sensors: sensorSpecs, actuators: actuatorSpecs)
        let cameraSpec = try camera?.validated()
        return RobotDescription(
            name: name, simulator: simulator, summary: summary, controlPeriod: controlPeriod, physics: physics,
            integrator: integrator, task: task, maxEpisodeSteps: episode.maxSteps, sensors: sensorSpecs,
            actuators: actuatorSpecs, actionSpace: actionSpace, sourceText: sourceText, physicsSubsteps: substeps,
            sensorModels: sensorModels, actuatorModels: actuatorModels, randomization: ranges, camera: cameraSpec)
    }

    private func validatedSensorModel(_ s: SensorFile, at path: String) throws -> SensorModel {
        var model = SensorModel()
        if let resolution = s.resolution {
            guard resolution.isFinite, resolution > 0 else {
                throw DescriptionIssue(path + ".resolution", "must be > 0 (\(s.unit) per step), got \(formatNumber(resolution))")
            }
            model.resolution = resolution
        }
        if let noise = s.noise {
            guard noise.isFinite, noise >= 0 else {
                throw DescriptionIssue(path + ".noise", "must be ≥ 0 (standard deviation in \(s.unit)), got \(formatNumber(noise))")
            }
            model.noise = noise
        }
        if let latency = s.latencyTicks {
            guard (0...1000).contains(latency) else {
                throw DescriptionIssue(path + ".latency_ticks", "must be 0…1000 control periods, got \(latency)")
            }
            model.latencyTicks = latency
        }
        if let raw = s.raw {
            let rawPath = path + ".raw"
            guard let kind = RawEncoding.Kind(rawValue: raw.encoding) else {
                let known = RawEncoding.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                throw DescriptionIssue(rawPath + ".encoding", "unknown encoding '\(raw.encoding)' (known: \(known))")
            }
            guard s.unit == "counts" else {
                throw DescriptionIssue(path + ".unit", "a channel with a raw encoding reports counts: unit must be 'counts', got '\(s.unit)'")
            }
            guard raw.scale.isFinite, raw.scale > 0 else {
                throw DescriptionIssue(rawPath + ".scale", "must be > 0 (\(raw.unit) per count), got \(formatNumber(raw.scale))")
            }
            guard !raw.unit.trimmingSpaces.isEmpty else { throw DescriptionIssue(rawPath + ".unit", "must not be empty") }
            if let offset = raw.offset, !offset.isFinite {
                throw DescriptionIssue(rawPath + ".offset", "must be a finite number, got \(formatNumber(offset))")
            }
            if let wrap = raw.wrap {
                guard kind != .adc else { throw DescriptionIssue(rawPath + ".wrap", "only quadrature counters wrap; an adc clamps to its bits") }
                guard wrap >= 2, wrap % 2 == 0 else {
                    throw DescriptionIssue(rawPath + ".wrap", "must be an even count ≥ 2, got \(wrap)")
                }
            }
            if kind == .adc {
                guard let bits = raw.bits else { throw DescriptionIssue(rawPath + ".bits", "missing field, required by encoding adc") }
                guard (1...31).contains(bits) else { throw DescriptionIssue(rawPath + ".bits", "must be 1…31, got \(bits)") }
                let top = Double((1 << bits) - 1)
                guard s.min >= 0, s.max <= top else {
                    throw DescriptionIssue(
                        path + ".min", "a \(bits)-bit adc reports 0…\(formatNumber(top)); the range \(formatNumber(s.min))…\(formatNumber(s.max)) does not fit")
                }
            } else if raw.bits != nil {
                throw DescriptionIssue(rawPath + ".bits", "only an adc has bits")
            }
            if s.resolution != nil {
                throw DescriptionIssue(path + ".resolution", "a channel with a raw encoding is quantized to whole counts; remove resolution")
            }
            model.raw = RawEncoding(kind: kind, scale: raw.scale, unit: raw.unit, offset: raw.offset ?? 0, wrap: raw.wrap, bits: raw.bits)
        }
        return model
    }

    private func validatedActuatorModel(_ a: ActuatorFile, at path: String) throws -> ActuatorModel {
        var model = ActuatorModel()
        if let deadzone = a.deadzone {
            let reach = Swift.max(abs(a.min), abs(a.max))
            guard deadzone.isFinite, deadzone >= 0, deadzone < reach else {
                throw DescriptionIssue(
                    path + ".deadzone", "must be ≥ 0 and below the largest command \(formatNumber(reach)) \(a.unit), got \(formatNumber(deadzone))")
            }
            model.deadzone = deadzone
        }
        if let rate = a.rateLimit {
            guard rate.isFinite, rate > 0 else {
                throw DescriptionIssue(path + ".rate_limit", "must be > 0 (\(a.unit) per second), got \(formatNumber(rate))")
            }
            model.rateLimit = rate
        }
        if let latency = a.latencyTicks {
            guard (0...1000).contains(latency) else {
                throw DescriptionIssue(path + ".latency_ticks", "must be 0…1000 control periods, got \(latency)")
            }
            model.latencyTicks = latency
        }
        return model
    }

    private func validatedRandomization(
        _ sim: SimulatorSchema, sensors: [ChannelSpec], actuators: [ChannelSpec]
    ) throws -> [ParameterRange] {
        var ranges: [ParameterRange] = []
        for key in (randomization ?? [:]).keys.sorted() {
            let path = "randomization.\(key)"
            let bounds = randomization?[key] ?? []
            let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if let section = parts.first, section == "sensors" || section == "actuators" {
                ranges.append(try validatedChannelRange(parts, bounds, at: path, sensors: sensors, actuators: actuators))
                continue
            }
            guard parts.count == 2, let section = ParameterRange.Section(rawValue: parts[0]) else {
                throw DescriptionIssue(
                    path,
                    "name a parameter as physics.<name>, task.<name>, sensors.<channel>.noise, sensors.<channel>.latency_ticks, actuators.<channel>.deadzone or actuators.latency_ticks")
            }
            let name = parts[1]
            let parameters = section == .physics ? sim.physics : sim.task
            guard let parameter = parameters.first(where: { $0.name == name }) else {
                throw DescriptionIssue(
                    path, "no such parameter (\(section.rawValue): \(parameters.map(\.name).joined(separator: ", ")))")
            }
            guard bounds.count == 2 else {
                throw DescriptionIssue(path, "expected [low, high] (\(parameter.unit)), got \(bounds.count) value(s)")
            }
            let (low, high) = (bounds[0], bounds[1])
            guard low.isFinite, high.isFinite, low <= high else {
                throw DescriptionIssue(path, "expected finite low ≤ high, got [\(formatNumber(low)), \(formatNumber(high))]")
            }
            switch parameter.rule {
            case .positive where low <= 0:
                throw DescriptionIssue(path, "\(name) must stay > 0, but the range starts at \(formatNumber(low))")
            case .nonNegative where low < 0:
                throw DescriptionIssue(path, "\(name) must stay ≥ 0, but the range starts at \(formatNumber(low))")
            default:
                break
            }
            ranges.append(ParameterRange(section: section, name: name, low: low, high: high))
        }
        return ranges
    }

    /// `sensors.<channel>.noise|latency_ticks`, `actuators.<channel>.deadzone`, `actuators.latency_ticks`.
    private func validatedChannelRange(
        _ parts: [String], _ bounds: [Double], at path: String, sensors: [ChannelSpec], actuators: [ChannelSpec]
    ) throws -> ParameterRange {
        let isSensor = parts[0] == "sensors"
        let channels = isSensor ? sensors : actuators
        let fields = isSensor ? ["noise", "latency_ticks"] : ["deadzone"]
        let field: String
        var channel: ChannelSpec?
        if !isSensor && parts.count == 2 && parts[1] == "latency_ticks" {
            field = "latency_ticks"
        } else {
            guard parts.count == 3 else {
                throw DescriptionIssue(
                    path, isSensor ? "name sensors.<channel>.noise or sensors.<channel>.latency_ticks"
                        : "name actuators.<channel>.deadzone or actuators.latency_ticks (every actuator)")
            }
            guard let found = channels.first(where: { $0.name == parts[1] }) else {
                throw DescriptionIssue(
                    path, "no \(isSensor ? "sensor" : "actuator") channel named '\(parts[1])' (\(channels.map(\.name).joined(separator: ", ")))")
            }
            guard fields.contains(parts[2]) else {
                throw DescriptionIssue(path, "\(parts[0]) can randomize \(fields.joined(separator: " or ")) per channel, not '\(parts[2])'")
            }
            channel = found
            field = parts[2]
        }
        guard bounds.count == 2 else { throw DescriptionIssue(path, "expected [low, high], got \(bounds.count) value(s)") }
        let (low, high) = (bounds[0], bounds[1])
        guard low.isFinite, high.isFinite, low <= high else {
            throw DescriptionIssue(path, "expected finite low ≤ high, got [\(formatNumber(low)), \(formatNumber(high))]")
        }
        switch field {
        case "latency_ticks":
            guard low >= 0, high <= 1000, low == low.rounded(), high == high.rounded() else {
                throw DescriptionIssue(path, "latency ranges are whole control periods in 0…1000, got [\(formatNumber(low)), \(formatNumber(high))]")
            }
        case "deadzone":
            let reach = Swift.max(abs(channel?.min ?? 0), abs(channel?.max ?? 0))
            guard low >= 0, high < reach else {
                throw DescriptionIssue(path, "a deadzone stays in 0 ≤ deadzone < \(formatNumber(reach)), got [\(formatNumber(low)), \(formatNumber(high))]")
            }
        default:
            guard low >= 0 else { throw DescriptionIssue(path, "noise must stay ≥ 0, but the range starts at \(formatNumber(low))") }
        }
        let name = channel.map { "\($0.name).\(field)" } ?? field
        return ParameterRange(section: isSensor ? .sensors : .actuators, name: name, low: low, high: high)
    }

    private func validatedActions(_ actuators: [ChannelSpec]) throws -> ActionSpace {
        func checkValues(_ values: [Double], at path: String) throws {
            guard values.count == actuators.count else {
                throw DescriptionIssue(
                    path, "expected \(actuators.count) value(s), one per actuator, got \(values.count)")
            }
            for (j, v) in values.enumerated() where !(v.isFinite && v >= actuators[j].min && v <= actuators[j].max) {
                throw DescriptionIssue(
                    "\(path)[\(j)]",
                    "\(formatNumber(v)) is outside \(actuators[j].name)'s range \(formatNumber(actuators[j].min))…\(formatNumber(actuators[j].max))")
            }
        }

        if let discrete = actions.discrete {
            guard !discrete.isEmpty else { throw DescriptionIssue("actions.discrete", "must list at least one action") }
            var names: [String] = []
            for (i, action) in discrete.enumerated() {
                let path = "actions.discrete[\(i)]"
                try checkIdentifier(action.name, at: path + ".name")
                if let first = names.firstIndex(of: action.name) {
                    throw DescriptionIssue(path + ".name", "duplicate action name '\(action.name)' (also actions.discrete[\(first)])")
                }
                names.append(action.name)
                try checkValues(action.values, at: path + ".values")
            }
            return .discrete(choices: discrete.map(\.values))
        }
        // ActionsFile guarantees exactly one of the two.
        let continuous = actions.continuous ?? ContinuousActionFile.empty
        try checkValues(continuous.low, at: "actions.continuous.low")
        try checkValues(continuous.high, at: "actions.continuous.high")
        for j in continuous.low.indices where continuous.low[j] > continuous.high[j] {
            throw DescriptionIssue(
                "actions.continuous.low[\(j)]",
                "must be ≤ high (\(formatNumber(continuous.high[j]))), got \(formatNumber(continuous.low[j]))")
        }
        return .continuous(low: continuous.low, high: continuous.high)
    }

    private func checkParameters(
        _ values: [String: Double], against parameters: [SimulatorSchema.Parameter], section: String
    ) throws {
        let known = parameters.map(\.name)
        for key in values.keys.sorted() where !known.contains(key) {
            throw DescriptionIssue("\(section).\(key)", "unknown key (known: \(known.joined(separator: ", ")))")
        }
        for p in parameters {
            guard let v = values[p.name] else {
                if p.optional { continue }
                throw DescriptionIssue("\(section).\(p.name)", "missing field (\(p.unit)), required by \(simulator)")
            }
            let path = "\(section).\(p.name)"
            guard v.isFinite else { throw DescriptionIssue(path, "must be a finite number, got \(formatNumber(v))") }
            switch p.rule {
            case .positive where v <= 0:
                throw DescriptionIssue(path, "must be > 0, got \(formatNumber(v))")
            case .nonNegative where v < 0:
                throw DescriptionIssue(path, "must be ≥ 0, got \(formatNumber(v))")
            default:
                break
            }
        }
    }

    private func checkChannel(name: String, unit: String, min: Double, max: Double, at path: String, finite: Bool) throws {
        try checkIdentifier(name, at: path + ".name")
        guard !unit.trimmingSpaces.isEmpty else { throw DescriptionIssue(path + ".unit", "must not be empty") }
        for (key, v) in [("min", min), ("max", max)] {
            if v.isNaN || (finite && v.isInfinite) {
                throw DescriptionIssue("\(path).\(key)", "must be a \(finite ? "finite " : "")number, got \(formatNumber(v))")
            }
        }
        guard min <= max else {
            throw DescriptionIssue(path + ".min", "min (\(formatNumber(min))) must be ≤ max (\(formatNumber(max)))")
        }
    }

    private func checkIdentifier(_ text: String, at path: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-")
        guard let first = text.first, first.isLetter, first.isLowercase, text.allSatisfy(allowed.contains) else {
            throw DescriptionIssue(path, "must be a lowercase name (a-z, 0-9, _ or -, starting with a letter), got '\(text)'")
        }
    }
}

extension ContinuousActionFile {
    static let empty = ContinuousActionFile(low: [], high: [])

    init(low: [Double], high: [Double]) {
        self.low = low
        self.high = high
    }
}

extension String {
    var trimmingSpaces: Substring {
        drop(while: { $0 == " " || $0 == "\t" })
    }
}
