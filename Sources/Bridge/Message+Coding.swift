import CBridge
import ReflexCore

/// Why a message could not be encoded or decoded, from the C library's status codes.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: UInt32
    public var context: String

    init(_ status: rfx_status, _ context: String) {
        self.status = status.rawValue
        self.context = context
    }

    public var description: String {
        let what: String
        switch rfx_status(rawValue: status) {
        case RFX_ERR_CAPACITY: what = "does not fit the frame (payload limit \(WireProtocol.maxPayload) bytes)"
        case RFX_ERR_COBS: what = "bad COBS encoding"
        case RFX_ERR_LENGTH: what = "wrong length"
        case RFX_ERR_CRC: what = "CRC mismatch"
        case RFX_ERR_VERSION: what = "unsupported protocol version"
        case RFX_ERR_TYPE: what = "unknown message type"
        case RFX_ERR_VALUE: what = "value out of the layout's limits"
        default: what = "status \(status)"
        }
        return "\(context): \(what)"
    }
}

extension Message {
    /// The wire frame of this message: COBS-encoded, with the trailing 0x00.
    public func frame(sequence: UInt16) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: WireProtocol.maxWireFrame)
        let count = try out.withUnsafeMutableBufferPointer { try encode(sequence: sequence, into: $0) }
        out.removeSubrange(count...)
        return out
    }

    /// Encodes the wire frame into `buffer` (needs `WireProtocol.maxWireFrame` bytes); returns its length.
    public func encode(sequence: UInt16, into buffer: UnsafeMutableBufferPointer<UInt8>) throws -> Int {
        let message = UnsafeMutablePointer<rfx_message>.allocate(capacity: 1)
        defer { message.deallocate() }
        message.initialize(to: rfx_message())
        try fill(message, sequence: sequence)
        var length = 0
        let status = rfx_message_encode(message, buffer.baseAddress, buffer.count, &length)
        guard status == RFX_OK else { throw WireError(status, "encoding \(type)") }
        return length
    }

    private func fill(_ m: UnsafeMutablePointer<rfx_message>, sequence: UInt16) throws {
        m.pointee.type = type.rawValue
        m.pointee.seq = sequence
        switch self {
        case .hello(let hello):
            m.pointee.body.hello.protocol_version = hello.protocolVersion
            m.pointee.body.hello.watchdog_ms = hello.watchdogMillis
            m.pointee.body.hello.host_name = try rfx_string(hello.hostName)
        case .identify(let identify):
            guard identify.sensors.count <= WireProtocol.maxChannels,
                  identify.actuators.count <= WireProtocol.maxChannels
            else { throw WireError(RFX_ERR_VALUE, "IDENTIFY with more than \(WireProtocol.maxChannels) channels") }
            m.pointee.body.identify.fw_major = identify.firmwareMajor
            m.pointee.body.identify.fw_minor = identify.firmwareMinor
            m.pointee.body.identify.fw_patch = identify.firmwarePatch
            m.pointee.body.identify.period_us = identify.periodMicros
            m.pointee.body.identify.watchdog_ms = identify.watchdogMillis
            m.pointee.body.identify.device_name = try rfx_string(identify.deviceName)
            m.pointee.body.identify.sensor_count = UInt8(identify.sensors.count)
            m.pointee.body.identify.actuator_count = UInt8(identify.actuators.count)
            try withUnsafeMutableBytes(of: &m.pointee.body.identify.sensors) { raw in
                let channels = raw.bindMemory(to: rfx_channel.self)
                for (i, spec) in identify.sensors.enumerated() { channels[i] = try rfx_channel(spec) }
            }
            try withUnsafeMutableBytes(of: &m.pointee.body.identify.actuators) { raw in
                let channels = raw.bindMemory(to: rfx_channel.self)
                for (i, spec) in identify.actuators.enumerated() { channels[i] = try rfx_channel(spec) }
            }
        case .arm, .disarm, .getLinkStats:
            break
        case .actuate(let values):
            m.pointee.body.actuate.count = try Self.copy(values, into: &m.pointee.body.actuate.values)
        case .sensors(let sensors):
            m.pointee.body.sensors.timestamp_us = sensors.timestampMicros
            m.pointee.body.sensors.status = sensors.status.rawValue
            m.pointee.body.sensors.count = try Self.copy(sensors.values, into: &m.pointee.body.sensors.values)
        case .heartbeat(let status):
            m.pointee.body.heartbeat.status = status.rawValue
        case .fault(let fault):
            m.pointee.body.fault.code = fault.code.rawValue
            m.pointee.body.fault.detail = fault.detail
            m.pointee.body.fault.timestamp_us = fault.timestampMicros
        case .ack(let ack):
            m.pointee.body.ack.acked_seq = ack.ackedSequence
            m.pointee.body.ack.acked_type = ack.ackedType.rawValue
            m.pointee.body.ack.result = ack.result.rawValue
            m.pointee.body.ack.status = ack.status.rawValue
        case .linkStats(let stats):
            func u32(_ value: Int, _ name: String) throws -> UInt32 {
                guard let v = UInt32(exactly: value) else {
                    throw WireError(RFX_ERR_VALUE, "LINK_STATS \(name) \(value) (0…\(UInt32.max))")
                }
                return v
            }
            m.pointee.body.link_stats.request_seq = stats.requestSequence
            m.pointee.body.link_stats.timestamp_us = stats.timestampMicros
            m.pointee.body.link_stats.frames = try u32(stats.frames, "frames")
            m.pointee.body.link_stats.cobs_errors = try u32(stats.cobsErrors, "COBS errors")
            m.pointee.body.link_stats.crc_errors = try u32(stats.crcErrors, "CRC errors")
            m.pointee.body.link_stats.version_errors = try u32(stats.versionErrors, "version errors")
            m.pointee.body.link_stats.short_errors = try u32(stats.shortErrors, "too-short errors")
            m.pointee.body.link_stats.long_errors = try u32(stats.longErrors, "too-long errors")
            m.pointee.body.link_stats.payload_errors = try u32(stats.payloadErrors, "payload errors")
            m.pointee.body.link_stats.type_errors = try u32(stats.unknownTypes, "unknown types")
            m.pointee.body.link_stats.sequence_gaps = try u32(stats.sequenceGaps, "sequence gaps")
            m.pointee.body.link_stats.rx_overruns = try u32(stats.receiveOverruns, "receive overruns")
            m.pointee.body.link_stats.tx_dropped = try u32(stats.framesNotSent, "frames not sent")
        }
    }

    private static func copy<T>(_ values: [Float], into tuple: inout T) throws -> UInt8 {
        guard values.count <= WireProtocol.maxChannels else {
            throw WireError(RFX_ERR_VALUE, "\(values.count) values (at most \(WireProtocol.maxChannels))")
        }
        withUnsafeMutableBytes(of: &tuple) { raw in
            let floats = raw.bindMemory(to: Float.self)
            for (i, v) in values.enumerated() { floats[i] = v }
        }
        return UInt8(values.count)
    }

    /// Decodes the payload of a frame that passed the framing checks.
    static func decode(_ view: UnsafePointer<rfx_frame_view>) -> Result<Message, WireError> {
        let message = UnsafeMutablePointer<rfx_message>.allocate(capacity: 1)
        defer { message.deallocate() }
        message.initialize(to: rfx_message())
        let status = rfx_message_decode(view, message)
        guard status == RFX_OK else {
            return .failure(WireError(status, "decoding \(MessageType(rawValue: view.pointee.type))"))
        }
        let body = message.pointee.body
        switch MessageType(rawValue: message.pointee.type) {
        case .hello:
            return .success(.hello(Hello(
                protocolVersion: body.hello.protocol_version, watchdogMillis: body.hello.watchdog_ms,
                hostName: body.hello.host_name.string)))
        case .identify:
            var identify = body.identify
            let sensors = withUnsafeBytes(of: &identify.sensors) { raw in
                raw.bindMemory(to: rfx_channel.self).prefix(Int(identify.sensor_count)).map { $0.spec(actuator: false) }
            }
            let actuators = withUnsafeBytes(of: &identify.actuators) { raw in
                raw.bindMemory(to: rfx_channel.self).prefix(Int(identify.actuator_count)).map { $0.spec(actuator: true) }
            }
            return .success(.identify(Identify(
                firmwareMajor: identify.fw_major, firmwareMinor: identify.fw_minor, firmwarePatch: identify.fw_patch,
                deviceName: identify.device_name.string, periodMicros: identify.period_us,
                watchdogMillis: identify.watchdog_ms, sensors: sensors, actuators: actuators)))
        case .arm:
            return .success(.arm)
        case .disarm:
            return .success(.disarm)
        case .actuate:
            var actuate = body.actuate
            return .success(.actuate(Self.values(&actuate.values, count: actuate.count)))
        case .sensors:
            var sensors = body.sensors
            return .success(.sensors(Sensors(
                timestampMicros: sensors.timestamp_us, status: DeviceStatus(rawValue: sensors.status),
                values: Self.values(&sensors.values, count: sensors.count))))
        case .heartbeat:
            return .success(.heartbeat(DeviceStatus(rawValue: body.heartbeat.status)))
        case .fault:
            return .success(.fault(Fault(
                code: FaultCode(rawValue: body.fault.code), detail: body.fault.detail,
                timestampMicros: body.fault.timestamp_us)))
        case .ack:
            return .success(.ack(Ack(
                ackedSequence: body.ack.acked_seq, ackedType: MessageType(rawValue: body.ack.acked_type),
                result: AckResult(rawValue: body.ack.result), status: DeviceStatus(rawValue: body.ack.status))))
        case .getLinkStats:
            return .success(.getLinkStats)
        case .linkStats:
            return .success(.linkStats(DeviceLinkStatistics(body.link_stats)))
        default:
            return .failure(WireError(RFX_ERR_TYPE, "decoding"))
        }
    }

    private static func values<T>(_ tuple: inout T, count: UInt8) -> [Float] {
        withUnsafeBytes(of: &tuple) { Array($0.bindMemory(to: Float.self).prefix(Int(count))) }
    }

    /// Decodes one complete wire frame (COBS bytes, with or without the trailing 0x00).
    public static func decode(frame bytes: [UInt8]) throws -> Envelope {
        let decoder = FrameDecoder()
        var result: Envelope?
        decoder.feed(bytes) { result = $0 }
        if result == nil, bytes.last != 0 { decoder.feed([0]) { result = $0 } }
        guard let result else {
            throw WireError(rfx_status(rawValue: decoder.lastError), "decoding frame")
        }
        return result
    }
}

extension DeviceLinkStatistics {
    /// From the C layout (counters widened to Int).
    init(_ s: rfx_link_stats) {
        self.init(
            requestSequence: s.request_seq, timestampMicros: s.timestamp_us, frames: Int(s.frames),
            cobsErrors: Int(s.cobs_errors), crcErrors: Int(s.crc_errors), versionErrors: Int(s.version_errors),
            shortErrors: Int(s.short_errors), longErrors: Int(s.long_errors), payloadErrors: Int(s.payload_errors),
            unknownTypes: Int(s.type_errors), sequenceGaps: Int(s.sequence_gaps), receiveOverruns: Int(s.rx_overruns),
            framesNotSent: Int(s.tx_dropped))
    }
}

extension rfx_string {
    init(_ text: String) throws {
        self.init()
        let utf8 = Array(text.utf8)
        guard utf8.count <= WireProtocol.maxString else {
            throw WireError(RFX_ERR_VALUE, "string \"\(text)\" is \(utf8.count) bytes (at most \(WireProtocol.maxString))")
        }
        len = UInt8(utf8.count)
        withUnsafeMutableBytes(of: &bytes) { raw in
            for (i, b) in utf8.enumerated() { raw[i] = b }
        }
    }

    var string: String {
        var copy = bytes
        let count = Int(len)
        return withUnsafeBytes(of: &copy) { raw in
            String(decoding: raw.prefix(count), as: UTF8.self)
        }
    }
}

extension rfx_channel {
    init(_ spec: ChannelSpec) throws {
        self.init()
        name = try rfx_string(spec.name)
        unit = try rfx_string(spec.unit)
        min = Float(spec.min)
        max = Float(spec.max)
        safe_value = Float(spec.safeValue ?? 0)
    }

    func spec(actuator: Bool) -> ChannelSpec {
        ChannelSpec(
            name: name.string, unit: unit.string, min: Double(min), max: Double(max),
            safeValue: actuator ? Double(safe_value) : nil)
    }
}
