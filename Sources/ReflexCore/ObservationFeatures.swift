import Foundation

/// Derived observation values for one encoder channel: what the policy reads instead of raw counts.
///
/// The angle is `counts × scale + offset` (the channel's `raw:` encoding in the robot description, copied
/// here so that a policy file is complete without the description):
/// - `angle`: the channel's value is replaced by `cos(angle), sin(angle)` — continuous across the counter's
///   wrap and bounded, whatever the swing;
/// - `velocity`: `Δcounts × scale ÷ period` (rad/s for an angle) appended after it, where Δcounts is the
///   difference from the previous reading taken the shortest way round modulo `wrap` (a counter that
///   wraps gives the right velocity through the wrap), and 0 at the first reading of an episode.
///
/// Stored in a policy file's `observation_features` metadata entry and in the training environment, so
/// training and deployment compute the same values (`ObservationFeatureMap` is the one implementation).
public struct ObservationFeature: Codable, Hashable, Sendable {
    /// The names `transforms` may hold.
    public static let knownTransforms = ["angle", "velocity"]

    /// Sensor channel name (one of the policy's observation channels).
    public var channel: String
    /// `angle`, `velocity` or both, in that order.
    public var transforms: [String]
    /// Physical units per count (rad/count for an angle); required, > 0.
    public var scale: Double?
    /// Physical value at count 0; default 0.
    public var offset: Double?
    /// Counts per revolution of a wrapping counter; nil when the counter does not wrap.
    public var wrap: Double?
    /// Seconds between readings (the control period); required by `velocity`.
    public var period: Double?

    public init(channel: String, transforms: [String], scale: Double?, offset: Double? = nil, wrap: Double? = nil, period: Double? = nil) {
        self.channel = channel
        self.transforms = transforms
        self.scale = scale
        self.offset = offset
        self.wrap = wrap
        self.period = period
    }

    /// The entry for channel `name` with encoding `raw` (`counts × scale + offset`), sampled every `period` s.
    public init(channel name: String, angle: Bool, velocity: Bool, raw: RawEncoding, period: Double) {
        self.init(
            channel: name, transforms: (angle ? ["angle"] : []) + (velocity ? ["velocity"] : []), scale: raw.scale,
            offset: raw.offset == 0 ? nil : raw.offset, wrap: raw.wrap.map(Double.init), period: velocity ? period : nil)
    }
}

/// Raised when an `ObservationFeature` list cannot be applied to a channel list; `message` names the
/// entry and the problem.
public struct ObservationFeatureError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A checked `ObservationFeature` list laid over a sensor channel list: maps one raw reading
/// (`inputCount` values, in channel order) to the feature values (`outputCount`).
///
/// Output order follows the channels: an unlisted channel passes through unchanged; a listed one gives
/// `cos, sin` (angle), then `velocity`. The previous reading is caller-owned state, so one map serves
/// many environment copies; `apply` neither allocates nor throws, and runs the same arithmetic (Double,
/// rounded once to Float) in training and deployment.
public struct ObservationFeatureMap: Sendable, Equatable {
    /// Raw sensor values per reading.
    public let inputCount: Int
    /// Feature values per reading.
    public let outputCount: Int
    /// The entries in channel order.
    public let features: [ObservationFeature]
    /// Per input channel: does it give cos/sin, a velocity; its scale, offset, wrap (0: none), period.
    private let angle: [Bool], velocity: [Bool]
    private let scale: [Double], offset: [Double], wrap: [Double], period: [Double]

    /// Checks `features` against `channels`; throws naming the entry and the problem (unknown transform,
    /// channel not among `channels`, a channel listed twice, missing or non-positive scale, non-finite
    /// offset/wrap/period, velocity without a period).
    public init(features: [ObservationFeature], channels: [ChannelSpec]) throws {
        let names = channels.map(\.name)
        var byChannel: [Int: ObservationFeature] = [:]
        for (index, f) in features.enumerated() {
            let what = "observation_features[\(index)] (\(f.channel))"
            guard let c = names.firstIndex(of: f.channel) else {
                throw ObservationFeatureError("\(what): channel '\(f.channel)' is not an observation channel (\(names.joined(separator: ", ")))")
            }
            guard byChannel[c] == nil else { throw ObservationFeatureError("\(what): channel '\(f.channel)' is listed twice") }
            guard !f.transforms.isEmpty else { throw ObservationFeatureError("\(what): no transforms (known: \(ObservationFeature.knownTransforms.joined(separator: ", ")))") }
            for t in f.transforms where !ObservationFeature.knownTransforms.contains(t) {
                throw ObservationFeatureError("\(what): unknown transform '\(t)' (known: \(ObservationFeature.knownTransforms.joined(separator: ", ")))")
            }
            guard Set(f.transforms).count == f.transforms.count else { throw ObservationFeatureError("\(what): a transform is listed twice: \(f.transforms)") }
            guard let s = f.scale else { throw ObservationFeatureError("\(what): missing raw scale (physical units per count)") }
            guard s.isFinite, s > 0 else { throw ObservationFeatureError("\(what): scale \(s) must be finite and > 0") }
            if let o = f.offset, !o.isFinite { throw ObservationFeatureError("\(what): offset \(o) must be finite") }
            if let w = f.wrap, !(w.isFinite && w > 0) { throw ObservationFeatureError("\(what): wrap \(w) must be finite and > 0 counts") }
            if f.transforms.contains("velocity") {
                guard let p = f.period else { throw ObservationFeatureError("\(what): velocity needs period (seconds between readings)") }
                guard p.isFinite, p > 0 else { throw ObservationFeatureError("\(what): period \(p) must be finite and > 0") }
            } else if let p = f.period, !(p.isFinite && p > 0) {
                throw ObservationFeatureError("\(what): period \(p) must be finite and > 0")
            }
            byChannel[c] = f
        }
        inputCount = channels.count
        var (angle, velocity) = ([Bool](repeating: false, count: channels.count), [Bool](repeating: false, count: channels.count))
        var (scale, offset) = ([Double](repeating: 1, count: channels.count), [Double](repeating: 0, count: channels.count))
        var (wrap, period) = ([Double](repeating: 0, count: channels.count), [Double](repeating: 1, count: channels.count))
        var outputs = 0
        for c in 0..<channels.count {
            guard let f = byChannel[c] else { outputs += 1; continue }
            angle[c] = f.transforms.contains("angle")
            velocity[c] = f.transforms.contains("velocity")
            scale[c] = f.scale ?? 1
            offset[c] = f.offset ?? 0
            wrap[c] = f.wrap ?? 0
            period[c] = f.period ?? 1
            outputs += (angle[c] ? 2 : 1) + (velocity[c] ? 1 : 0)
        }
        outputCount = outputs
        self.features = (0..<channels.count).compactMap { byChannel[$0] }
        (self.angle, self.velocity, self.scale, self.offset, self.wrap, self.period) = (angle, velocity, scale, offset, wrap, period)
    }

    /// Names of the output values, for messages and tests: `<channel>`, `<channel>.cos`, `<channel>.sin`,
    /// `<channel>.velocity`.
    public func outputNames(channels: [ChannelSpec]) -> [String] {
        var result: [String] = []
        for (c, channel) in channels.enumerated() where c < inputCount {
            if angle[c] { result += [channel.name + ".cos", channel.name + ".sin"] } else if !velocity[c] { result.append(channel.name) }
            if velocity[c] {
                if !angle[c] { result.append(channel.name) }
                result.append(channel.name + ".velocity")
            }
        }
        return result
    }

    /// Feature values of one `reading` (`inputCount` values) into `output` (`outputCount`).
    ///
    /// `previous` (`inputCount` values) holds the last reading of this episode and is overwritten with
    /// `reading`; `first` says there is none (an episode's first reading), which makes every velocity 0.
    @inline(__always)
    public func apply(
        _ reading: UnsafePointer<Float>, previous: UnsafeMutablePointer<Float>, first: Bool, into output: UnsafeMutablePointer<Float>
    ) {
        var o = 0
        for c in 0..<inputCount {
            let counts = reading[c]
            if angle[c] {
                let theta = Double(counts) * scale[c] + offset[c]
                output[o] = Float(cos(theta))
                output[o + 1] = Float(sin(theta))
                o += 2
            } else {
                output[o] = counts
                o += 1
            }
            if velocity[c] {
                var delta = first ? 0 : Double(counts) - Double(previous[c])
                let w = wrap[c]
                // The shortest way round: into −w/2 ..< w/2.
                if w > 0 { delta -= w * (delta / w + 0.5).rounded(.down) }
                output[o] = Float(delta * scale[c] / period[c])
                o += 1
            }
            previous[c] = counts
        }
    }
}
