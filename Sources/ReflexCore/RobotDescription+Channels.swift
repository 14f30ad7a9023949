#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a sensor channel is measured: what hardware adds between the physical quantity and the value the
/// policy sees. All fields are optional in the description; the defaults describe an ideal sensor.
public struct SensorModel: Sendable, Equatable {
    /// Quantization step in the channel's unit (`resolution`); `nil` for none. Encoded channels
    /// (`raw`) are whole counts already.
    public var resolution: Double?
    /// Standard deviation of additive Gaussian noise in the channel's unit (`noise`, default 0).
    public var noise: Double
    /// The reported value is this many control periods old (`latency_ticks`, default 0).
    public var latencyTicks: Int
    /// How the channel's counts relate to a physical quantity (`raw`); `nil` when the channel reports
    /// the physical quantity itself.
    public var raw: RawEncoding?

    public init(resolution: Double? = nil, noise: Double = 0, latencyTicks: Int = 0, raw: RawEncoding? = nil) {
        self.resolution = resolution
        self.noise = noise
        self.latencyTicks = latencyTicks
        self.raw = raw
    }

    /// The sensor adds nothing to the plant's value (no quantization step, noise or latency).
    public var isIdeal: Bool { resolution == nil && noise == 0 && latencyTicks == 0 }
}

/// A channel that reports counts of a physical quantity: `physical = offset + counts × scale`.
public struct RawEncoding: Sendable, Equatable {
    /// What produces the counts.
    public enum Kind: String, Sendable, CaseIterable {
        /// A quadrature encoder's position counter (signed, floor of the position in counts).
        case quadrature
        /// Counts a quadrature encoder advanced during the last control period.
        case quadratureDelta = "quadrature-delta"
        /// An analog-to-digital converter: counts in 0…2^bits − 1.
        case adc
    }

    public var kind: Kind
    /// Physical units per count (`scale`), > 0.
    public var scale: Double
    /// Unit of the physical quantity (`unit`), e.g. `rad`, `m`, `V`.
    public var unit: String
    /// Physical value at count 0 (`offset`, default 0).
    public var offset: Double
    /// Quadrature only: the counter wraps modulo this many counts into `-wrap/2 ..< wrap/2` (`wrap`).
    public var wrap: Int?
    /// ADC only: converter width in bits (`bits`).
    public var bits: Int?

    public init(kind: Kind, scale: Double, unit: String, offset: Double = 0, wrap: Int? = nil, bits: Int? = nil) {
        self.kind = kind
        self.scale = scale
        self.unit = unit
        self.offset = offset
        self.wrap = wrap
        self.bits = bits
    }

    /// The counts this sensor reports for a physical value: floored to whole counts, wrapped or
    /// clamped to the converter's range. For `quadratureDelta`, pass the position; the plant subtracts
    /// the previous period's counts.
    @inline(__always)
    public func counts(_ physical: Double) -> Double {
        var c = floor((physical - offset) / scale)
        switch kind {
        case .quadrature, .quadratureDelta:
            if let wrap {
                let w = Double(wrap)
                c -= w * floor((c + w / 2) / w)
            }
        case .adc:
            let top = Double((1 << (bits ?? 10)) - 1)
            c = min(max(c, 0), top)
        }
        return c
    }

    /// The physical value at the middle of a count.
    public func physical(_ counts: Double) -> Double {
        offset + (counts + 0.5) * scale
    }
}

/// How an actuator channel responds to a command. All fields are optional in the description; the
/// defaults describe an ideal actuator (saturation at the channel's range always applies).
public struct ActuatorModel: Sendable, Equatable {
    /// Commands with magnitude below this give no output (`deadzone`, actuator units, default 0).
    public var deadzone: Double
    /// Largest change per second (`rate_limit`, actuator units per second); `nil` for none.
    public var rateLimit: Double?
    /// A command takes effect this many control periods after it is sent (`latency_ticks`, default 0).
    public var latencyTicks: Int

    public init(deadzone: Double = 0, rateLimit: Double? = nil, latencyTicks: Int = 0) {
        self.deadzone = deadzone
        self.rateLimit = rateLimit
        self.latencyTicks = latencyTicks
    }
}
