import CBridge
import ReflexCore

/// A message type byte of the wire protocol (`firmware-bridge/PROTOCOL.md`); unknown values are representable.
public struct MessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let hello = MessageType(rawValue: UInt8(RFX_MSG_HELLO.rawValue))
    public static let identify = MessageType(rawValue: UInt8(RFX_MSG_IDENTIFY.rawValue))
    public static let arm = MessageType(rawValue: UInt8(RFX_MSG_ARM.rawValue))
    public static let disarm = MessageType(rawValue: UInt8(RFX_MSG_DISARM.rawValue))
    public static let actuate = MessageType(rawValue: UInt8(RFX_MSG_ACTUATE.rawValue))
    public static let sensors = MessageType(rawValue: UInt8(RFX_MSG_SENSORS.rawValue))
    public static let heartbeat = MessageType(rawValue: UInt8(RFX_MSG_HEARTBEAT.rawValue))
    public static let fault = MessageType(rawValue: UInt8(RFX_MSG_FAULT.rawValue))
    public static let ack = MessageType(rawValue: UInt8(RFX_MSG_ACK.rawValue))
    public static let getLinkStats = MessageType(rawValue: UInt8(RFX_MSG_GET_LINK_STATS.rawValue))
    public static let linkStats = MessageType(rawValue: UInt8(RFX_MSG_LINK_STATS.rawValue))

    /// Every type this protocol version defines.
    public static let known: [MessageType] = [
        .hello, .identify, .arm, .disarm, .actuate, .sensors, .heartbeat, .fault, .ack, .getLinkStats, .linkStats,
    ]

    public var description: String {
        switch self {
        case .hello: return "HELLO"
        case .identify: return "IDENTIFY"
        case .arm: return "ARM"
        case .disarm: return "DISARM"
        case .actuate: return "ACTUATE"
        case .sensors: return "SENSORS"
        case .heartbeat: return "HEARTBEAT"
        case .fault: return "FAULT"
        case .ack: return "ACK"
        case .getLinkStats: return "GET_LINK_STATS"
        case .linkStats: return "LINK_STATS"
        default: return "type 0x" + String(rawValue, radix: 16)
        }
    }
}

/// The device status byte of SENSORS, HEARTBEAT and ACK.
public struct DeviceStatus: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Actuators follow ACTUATE.
    public static let armed = DeviceStatus(rawValue: UInt8(RFX_STATUS_ARMED))
    /// A FAULT happened since the last successful ARM.
    public static let fault = DeviceStatus(rawValue: UInt8(RFX_STATUS_FAULT))
    /// A HELLO has been answered since the link came up.
    public static let configured = DeviceStatus(rawValue: UInt8(RFX_STATUS_CONFIGURED))
}

/// Why a device disarmed (FAULT's code byte). Every FAULT means the actuators now hold their safe values.
public struct FaultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let watchdog = FaultCode(rawValue: UInt8(RFX_FAULT_WATCHDOG.rawValue))
    public static let emergencyStop = FaultCode(rawValue: UInt8(RFX_FAULT_ESTOP.rawValue))
    public static let badCommand = FaultCode(rawValue: UInt8(RFX_FAULT_BAD_COMMAND.rawValue))
    public static let valueOutOfRange = FaultCode(rawValue: UInt8(RFX_FAULT_OUT_OF_RANGE.rawValue))
    public static let channelCount = FaultCode(rawValue: UInt8(RFX_FAULT_CHANNEL_COUNT.rawValue))
    public static let `internal` = FaultCode(rawValue: UInt8(RFX_FAULT_INTERNAL.rawValue))

    public var description: String {
        switch self {
        case .watchdog: return "watchdog"
        case .emergencyStop: return "emergency stop"
        case .badCommand: return "bad command"
        case .valueOutOfRange: return "value out of range"
        case .channelCount: return "channel count"
        case .internal: return "internal"
        default: return "fault \(rawValue)"
        }
    }
}

/// ACK's result byte.
public struct AckResult: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let ok = AckResult(rawValue: UInt8(RFX_ACK_OK.rawValue))
    public static let notConfigured = AckResult(rawValue: UInt8(RFX_ACK_NOT_CONFIGURED.rawValue))
    public static let refused = AckResult(rawValue: UInt8(RFX_ACK_REFUSED.rawValue))

    public var description: String {
        switch self {
        case .ok: return "ok"
        case .notConfigured: return "not configured (send HELLO first)"
        case .refused: return "refused"
        default: return "result \(rawValue)"
        }
    }
}

/// HELLO: the host opens the handshake.
public struct Hello: Equatable, Sendable {
    public var protocolVersion: UInt8
    /// Watchdog the host asks for in milliseconds; 0 asks for the device default.
    public var watchdogMillis: UInt16
    public var hostName: String

    public init(protocolVersion: UInt8 = WireProtocol.version, watchdogMillis: UInt16 = 0, hostName: String) {
        self.protocolVersion = protocolVersion
        self.watchdogMillis = watchdogMillis
        self.hostName = hostName
    }
}

/// IDENTIFY: the device's answer to HELLO.
public struct Identify: Equatable, Sendable {
    public var firmwareMajor: UInt8
    public var firmwareMinor: UInt8
    public var firmwarePatch: UInt8
    public var deviceName: String
    /// Control period in microseconds: one SENSORS per period.
    public var periodMicros: UInt32
    /// Watchdog the device applies from now on, in milliseconds.
    public var watchdogMillis: UInt16
    /// Sensor channels in SENSORS order (ranges travel as Float32).
    public var sensors: [ChannelSpec]
    /// Actuator channels in ACTUATE order, each with its safe value.
    public var actuators: [ChannelSpec]

    public init(
        firmwareMajor: UInt8, firmwareMinor: UInt8, firmwarePatch: UInt8, deviceName: String, periodMicros: UInt32,
        watchdogMillis: UInt16, sensors: [ChannelSpec], actuators: [ChannelSpec]
    ) {
        self.firmwareMajor = firmwareMajor
        self.firmwareMinor = firmwareMinor
        self.firmwarePatch = firmwarePatch
        self.deviceName = deviceName
        self.periodMicros = periodMicros
        self.watchdogMillis = watchdogMillis
        self.sensors = sensors
        self.actuators = actuators
    }

    public var firmwareVersion: String { "\(firmwareMajor).\(firmwareMinor).\(firmwarePatch)" }

    public var identity: DeviceIdentity {
        DeviceIdentity(
            name: deviceName, firmwareVersion: firmwareVersion, periodMicros: periodMicros, sensors: sensors,
            actuators: actuators)
    }
}

/// SENSORS: one sample of every sensor channel, sent once per control period.
public struct Sensors: Equatable, Sendable {
    /// Device time in microseconds since the device started.
    public var timestampMicros: UInt64
    public var status: DeviceStatus
    /// One value per sensor channel.
    public var values: [Float]

    public init(timestampMicros: UInt64, status: DeviceStatus, values: [Float]) {
        self.timestampMicros = timestampMicros
        self.status = status
        self.values = values
    }
}

/// FAULT: the device disarmed and put its actuators in their safe state.
public struct Fault: Equatable, Sendable, CustomStringConvertible {
    public var code: FaultCode
    /// Code-specific detail: ms since the last command (watchdog), channel index (out of range), …
    public var detail: UInt16
    /// Device time of the fault in microseconds.
    public var timestampMicros: UInt64

    public init(code: FaultCode, detail: UInt16, timestampMicros: UInt64) {
        self.code = code
        self.detail = detail
        self.timestampMicros = timestampMicros
    }

    public var description: String { "\(code) (detail \(detail)) at \(timestampMicros) µs" }
}

/// ACK: the device's answer to ARM and DISARM.
public struct Ack: Equatable, Sendable {
    /// Sequence number of the ARM or DISARM frame answered.
    public var ackedSequence: UInt16
    public var ackedType: MessageType
    public var result: AckResult
    /// Status after handling the request.
    public var status: DeviceStatus

    public init(ackedSequence: UInt16, ackedType: MessageType, result: AckResult, status: DeviceStatus) {
        self.ackedSequence = ackedSequence
        self.ackedType = ackedType
        self.result = result
        self.status = status
    }
}

/// LINK_STATS: the device's receive counters, counted since the device started (a HELLO does not clear
/// them: compare two replies). Each kind of malformed frame is one counter (PROTOCOL.md §2): a frame
/// truncated on the line shows up as a COBS, too-short or CRC error depending on where it was cut.
public struct DeviceLinkStatistics: Equatable, Sendable {
    /// Sequence number of the GET_LINK_STATS answered.
    public var requestSequence: UInt16
    /// Device time of the reply, µs since the device started.
    public var timestampMicros: UInt64
    /// Valid frames the device received (the request answered included).
    public var frames: Int
    public var cobsErrors: Int
    public var crcErrors: Int
    public var versionErrors: Int
    /// Raw frames shorter than a header and CRC (6 bytes).
    public var shortErrors: Int
    /// More bytes before a delimiter than any frame has.
    public var longErrors: Int
    /// Payload size or contents wrong for the type.
    public var payloadErrors: Int
    public var unknownTypes: Int
    /// Valid frames whose sequence number was not the previous one's plus one.
    public var sequenceGaps: Int
    /// Bytes the device's receive buffer lost before its decoder saw them.
    public var receiveOverruns: Int
    /// Frames the device did not send because its transmit buffer was full.
    public var framesNotSent: Int

    public init(
        requestSequence: UInt16 = 0, timestampMicros: UInt64 = 0, frames: Int = 0, cobsErrors: Int = 0, crcErrors: Int = 0,
        versionErrors: Int = 0, shortErrors: Int = 0, longErrors: Int = 0, payloadErrors: Int = 0, unknownTypes: Int = 0,
        sequenceGaps: Int = 0, receiveOverruns: Int = 0, framesNotSent: Int = 0
    ) {
        self.requestSequence = requestSequence
        self.timestampMicros = timestampMicros
        self.frames = frames
        self.cobsErrors = cobsErrors
        self.crcErrors = crcErrors
        self.versionErrors = versionErrors
        self.shortErrors = shortErrors
        self.longErrors = longErrors
        self.payloadErrors = payloadErrors
        self.unknownTypes = unknownTypes
        self.sequenceGaps = sequenceGaps
        self.receiveOverruns = receiveOverruns
        self.framesNotSent = framesNotSent
    }

    /// Every malformed frame the device dropped.
    public var badFrames: Int {
        cobsErrors + crcErrors + versionErrors + shortErrors + longErrors + payloadErrors + unknownTypes
    }

    /// The counters by name, in wire order (snake_case, as in `reflex run --json`).
    public var counters: [(name: String, value: Int)] {
        [
            ("frames", frames), ("bad_frames", badFrames), ("cobs_errors", cobsErrors), ("crc_errors", crcErrors),
            ("version_errors", versionErrors), ("short_errors", shortErrors), ("long_errors", longErrors),
            ("payload_errors", payloadErrors), ("unknown_types", unknownTypes), ("sequence_gaps", sequenceGaps),
            ("receive_overruns", receiveOverruns), ("frames_not_sent", framesNotSent),
        ]
    }

    /// One line for a report.
    public var summary: String {
        "\(frames) valid, \(badFrames) bad (COBS \(cobsErrors), CRC \(crcErrors), too short \(shortErrors), "
            + "too long \(longErrors), payload \(payloadErrors), unknown type \(unknownTypes), version \(versionErrors)), "
            + "\(sequenceGaps) sequence gaps, \(receiveOverruns) bytes lost, \(framesNotSent) frames not sent"
    }
}

/// One message of the wire protocol, v1.
public enum Message: Equatable, Sendable {
    case hello(Hello)
    case identify(Identify)
    case arm
    case disarm
    /// One value per actuator channel.
    case actuate([Float])
    case sensors(Sensors)
    case heartbeat(DeviceStatus)
    case fault(Fault)
    case ack(Ack)
    /// Asks the device for LINK_STATS.
    case getLinkStats
    case linkStats(DeviceLinkStatistics)

    public var type: MessageType {
        switch self {
        case .hello: return .hello
        case .identify: return .identify
        case .arm: return .arm
        case .disarm: return .disarm
        case .actuate: return .actuate
        case .sensors: return .sensors
        case .heartbeat: return .heartbeat
        case .fault: return .fault
        case .ack: return .ack
        case .getLinkStats: return .getLinkStats
        case .linkStats: return .linkStats
        }
    }
}

/// A decoded frame: its sequence number and message.
public struct Envelope: Equatable, Sendable {
    public var sequence: UInt16
    public var message: Message

    public init(sequence: UInt16, message: Message) {
        self.sequence = sequence
        self.message = message
    }
}

/// Constants of the wire protocol, from the C header.
public enum WireProtocol {
    public static let version = UInt8(RFX_PROTOCOL_VERSION)
    public static let maxPayload = Int(RFX_MAX_PAYLOAD)
    /// Largest frame on the wire, trailing 0x00 included.
    public static let maxWireFrame = Int(RFX_LIMIT_MAX_WIRE_FRAME)
    public static let maxString = Int(RFX_MAX_STRING)
    public static let maxChannels = Int(RFX_MAX_CHANNELS)
    public static let watchdogMarginMillis = Int(RFX_WATCHDOG_MARGIN_MS)

    /// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0).
    public static func crc16<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
        var crc: UInt16 = 0xFFFF
        for byte in bytes { crc = rfx_crc16_update(crc, byte) }
        return crc
    }

    /// The device's default watchdog for a control period: two periods plus a margin, in ms (rounded up).
    public static func defaultWatchdogMillis(periodMicros: UInt32) -> UInt16 {
        let millis = (2 * UInt64(periodMicros) + 999) / 1000 + UInt64(RFX_WATCHDOG_MARGIN_MS)
        return UInt16(min(millis, UInt64(UInt16.max)))
    }
}
