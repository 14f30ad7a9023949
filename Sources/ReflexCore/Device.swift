/// What a device says about itself in the handshake.
public struct DeviceIdentity: Sendable, Equatable {
    public var name: String
    /// Firmware version as major.minor.patch.
    public var firmwareVersion: String
    /// Control period the device runs at, in microseconds.
    public var periodMicros: UInt32
    public var sensors: [ChannelSpec]
    public var actuators: [ChannelSpec]

    public init(name: String, firmwareVersion: String, periodMicros: UInt32, sensors: [ChannelSpec], actuators: [ChannelSpec]) {
        self.name = name
        self.firmwareVersion = firmwareVersion
        self.periodMicros = periodMicros
        self.sensors = sensors
        self.actuators = actuators
    }
}

/// ros2_control's lifecycle states for a piece of hardware.
public enum DeviceState: String, Sendable {
    /// Not yet connected or handshake not done.
    case unconfigured
    /// Handshake done: sensors readable, commands refused.
    case inactive
    /// Armed: commands accepted.
    case active
    /// A fault put the actuators in their safe state; recovery is explicit.
    case fault
}

/// Counters of a device link, for the loop's report.
public struct LinkStatistics: Sendable, Equatable {
    public var framesSent = 0
    public var framesReceived = 0
    /// Frames that failed COBS decoding, CRC, version or length checks.
    public var badFrames = 0
    /// FAULT messages the device reported.
    public var faultsReported = 0
    public init() {}
}

/// Freshness of a sensor read.
public enum SensorReading: Sendable, Equatable {
    /// A frame newer than the previous read; its device timestamp in microseconds.
    case fresh(deviceTimeMicros: UInt64)
    /// No new frame since the previous read; the buffer holds the last known values.
    case stale
    /// Nothing has been received yet.
    case none
}

/// Hardware with ros2_control's read/write split and lifecycle.
public protocol Device: AnyObject {
    var state: DeviceState { get }
    var identity: DeviceIdentity? { get }
    var statistics: LinkStatistics { get }
    /// Handshake: unconfigured → inactive. Throws when the device does not answer or answers wrongly.
    func configure() throws -> DeviceIdentity
    /// Arms the device: inactive → active.
    func activate() throws
    /// Disarms the device (actuators to their safe values): active → inactive.
    func deactivate() throws
    /// Copies the newest sensor values into `values` (count = sensor channels). Never blocks longer than
    /// `timeoutNanos` (0: do not wait for a new frame).
    func read(into values: UnsafeMutableBufferPointer<Float>, timeoutNanos: UInt64) throws -> SensorReading
    /// Sends actuator values (count = actuator channels). Only valid when active.
    func write(_ values: UnsafeBufferPointer<Float>) throws
}
