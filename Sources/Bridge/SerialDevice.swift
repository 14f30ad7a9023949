import CBridge
import ReflexCore

/// A device running Reflex firmware (or the virtual robot) at the other end of a `Transport`, driven
/// with ros2_control's lifecycle: `configure` (HELLO → IDENTIFY), `activate` (ARM → ACK), `read`/`write`
/// (SENSORS in, ACTUATE out), `deactivate` (DISARM → ACK).
///
/// `read` and `write` reuse preallocated buffers: no heap allocation per tick in steady state.
public final class SerialDevice: Device {
    /// Handshake and timing choices of the host side.
    public struct Configuration: Sendable {
        /// Sent in HELLO (at most 32 bytes of UTF-8).
        public var hostName = "reflex"
        /// Watchdog to ask for in HELLO, in ms; 0 takes the device default (2 × period + 10 ms).
        public var watchdogMillis: UInt16 = 0
        /// How long to wait for IDENTIFY after each HELLO.
        public var handshakeTimeoutNanos: UInt64 = 300_000_000
        /// HELLOs sent before `configure` gives up.
        public var handshakeAttempts = 4
        /// How long to wait for the ACK of ARM or DISARM (each attempt).
        public var ackTimeoutNanos: UInt64 = 300_000_000
        /// ARM/DISARM requests sent before giving up.
        public var ackAttempts = 3

        public init(hostName: String = "reflex", watchdogMillis: UInt16 = 0) {
            self.hostName = hostName
            self.watchdogMillis = watchdogMillis
        }
    }

    public let transport: Transport
    public let configuration: Configuration
    public private(set) var state: DeviceState = .unconfigured
    public private(set) var identity: DeviceIdentity?
    /// The whole IDENTIFY of the last handshake (includes the watchdog the device applies).
    public private(set) var identify: Identify?
    public private(set) var statistics = LinkStatistics()
    /// The last FAULT the device reported.
    public private(set) var lastFault: Fault?
    /// Status byte of the newest SENSORS, HEARTBEAT or ACK.
    public private(set) var deviceStatus: DeviceStatus = []
    /// The decoder's counters by kind of malformed frame.
    public var decoderStatistics: FrameDecoder.Statistics { decoder.statistics }
    /// SENSORS frames whose sequence number skipped ahead (frames lost on the link).
    public private(set) var sequenceGaps = 0

    private let decoder = FrameDecoder()
    private var sequence: UInt16 = 0
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
    private let frameBuffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: WireProtocol.maxWireFrame)
    private let payloadBuffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: WireProtocol.maxPayload)
    private let sensorsScratch = UnsafeMutablePointer<rfx_sensors>.allocate(capacity: 1)
    /// Newest sensor values (capacity: the protocol's channel limit; count: the device's sensors).
    private let latest = UnsafeMutableBufferPointer<Float>.allocate(capacity: WireProtocol.maxChannels)
    private var latestCount = 0
    private var latestTimestamp: UInt64 = 0
    private var haveSensors = false
    private var freshSinceRead = false
    private var lastSensorsSequence: UInt16?
    /// Set while waiting for a reply (handshake, ACK).
    private var awaitedIdentify: Identify?
    private var awaitedAck: Ack?
    private var awaitedLinkStatistics: DeviceLinkStatistics?

    public init(transport: Transport, configuration: Configuration = Configuration()) {
        self.transport = transport
        self.configuration = configuration
        sensorsScratch.initialize(to: rfx_sensors())
        latest.initialize(repeating: 0)
    }

    /// Opens the serial port (or pseudo-terminal) at `path`.
    public convenience init(path: String, baudRate: Int = 115_200, configuration: Configuration = Configuration()) throws {
        self.init(transport: try SerialTransport(path: path, baudRate: baudRate), configuration: configuration)
    }

    deinit {
        readBuffer.deallocate()
        frameBuffer.deallocate()
        payloadBuffer.deallocate()
        sensorsScratch.deallocate()
        latest.deallocate()
    }

    // MARK: Lifecycle

    public func configure() throws -> DeviceIdentity {
        let hello = Message.hello(Hello(watchdogMillis: configuration.watchdogMillis, hostName: configuration.hostName))
        for _ in 0..<max(1, configuration.handshakeAttempts) {
            awaitedIdentify = nil
            try send(hello)
            let deadline = MonotonicClock.now() + configuration.handshakeTimeoutNanos
            while awaitedIdentify == nil, try pump(until: deadline) {}
            if let reply = awaitedIdentify {
                awaitedIdentify = nil
                guard reply.sensors.count <= WireProtocol.maxChannels else {
                    throw ReflexError(.protocolViolation, "\(transport.name): device announced \(reply.sensors.count) sensors")
                }
                identify = reply
                identity = reply.identity
                haveSensors = false
                freshSinceRead = false
                // A fresh handshake (after a reconnect the device may have restarted its sequence numbers).
                lastSensorsSequence = nil
                lastFault = nil
                state = .inactive
                return reply.identity
            }
        }
        state = .unconfigured
        let waited = configuration.handshakeTimeoutNanos / 1_000_000
        throw ReflexError(.timeout, "\(transport.name): no IDENTIFY after \(configuration.handshakeAttempts) HELLOs (\(waited) ms each); is the device powered and running Reflex firmware at this baud rate?")
    }

    public func activate() throws {
        guard state == .inactive || state == .fault || state == .active else {
            throw ReflexError(.protocolViolation, "\(transport.name): activate() before configure()")
        }
        let ack = try request(.arm)
        guard ack.result == .ok else {
            throw ReflexError(.protocolViolation, "\(transport.name): device refused ARM: \(ack.result)")
        }
        lastFault = nil
        state = .active
    }

    public func deactivate() throws {
        guard state != .unconfigured else { return }
        let ack = try request(.disarm)
        guard ack.result == .ok else {
            throw ReflexError(.protocolViolation, "\(transport.name): device refused DISARM: \(ack.result)")
        }
        state = .inactive
    }

    /// Sends a HEARTBEAT: keeps the device's watchdog fed when there is nothing to ACTUATE.
    public func sendHeartbeat() throws {
        try sendFrame(type: .heartbeat) { rfx_put_u8($0, 0) }
    }

    /// Asks the device for its link counters (GET_LINK_STATS → LINK_STATS): what it received, by kind of
    /// malformed frame, since it started. Retried like ARM; SENSORS arriving meanwhile are taken as usual, and
    /// the device's state does not change. Firmware before 1.1 does not answer: that is a timeout error.
    public func readLinkStatistics() throws -> DeviceLinkStatistics {
        guard state != .unconfigured else {
            throw ReflexError(.protocolViolation, "\(transport.name): link statistics asked for before configure()")
        }
        for _ in 0..<max(1, configuration.ackAttempts) {
            awaitedLinkStatistics = nil
            let seq = try sendFrame(type: .getLinkStats) { _ in }
            let deadline = MonotonicClock.now() + configuration.ackTimeoutNanos
            while true {
                if let reply = awaitedLinkStatistics, reply.requestSequence == seq {
                    awaitedLinkStatistics = nil
                    return reply
                }
                awaitedLinkStatistics = nil
                guard try pump(until: deadline) else { break }
            }
        }
        let waited = configuration.ackTimeoutNanos / 1_000_000
        throw ReflexError(
            .timeout,
            "\(transport.name): no LINK_STATS after \(configuration.ackAttempts) GET_LINK_STATS (\(waited) ms each); "
                + "firmware before 1.1 does not report its link counters")
    }

    /// Closes the transport; the device's watchdog then puts it in its safe state.
    public func close() {
        transport.close()
        state = .unconfigured
    }

    // MARK: Read and write

    public func read(into values: UnsafeMutableBufferPointer<Float>, timeoutNanos: UInt64) throws -> SensorReading {
        let deadline = MonotonicClock.now() + timeoutNanos
        // Drain what is already there, then wait for a new SENSORS only if none came.
        while try pump(until: 0) {}
        while !freshSinceRead, timeoutNanos > 0, try pump(until: deadline) {}
        guard haveSensors else { return .none }
        let n = min(values.count, latestCount)
        for i in 0..<n { values[i] = latest[i] }
        if freshSinceRead {
            freshSinceRead = false
            return .fresh(deviceTimeMicros: latestTimestamp)
        }
        return .stale
    }

    public func write(_ values: UnsafeBufferPointer<Float>) throws {
        guard state == .active else {
            let why = lastFault.map { " (device fault: \($0))" } ?? ""
            throw ReflexError(.protocolViolation, "\(transport.name): write while \(state.rawValue)\(why); activate() re-arms")
        }
        let expected = identity?.actuators.count ?? values.count
        guard values.count == expected else {
            throw ReflexError(.invalidArgument, "\(transport.name): \(values.count) actuator values for \(expected) channels")
        }
        try sendFrame(type: .actuate) { w in
            rfx_put_u8(w, UInt8(values.count))
            for v in values { rfx_put_f32(w, v) }
        }
    }

    // MARK: Internals

    private func nextSequence() -> UInt16 {
        defer { sequence &+= 1 }
        return sequence
    }

    private func send(_ message: Message) throws {
        let length = try message.encode(sequence: nextSequence(), into: frameBuffer)
        try transport.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(frameBuffer)[0..<length]))
        statistics.framesSent += 1
    }

    /// Builds a payload with `fill` and sends it, without allocating.
    @discardableResult
    private func sendFrame(type: MessageType, _ fill: (UnsafeMutablePointer<rfx_writer>) -> Void) throws -> UInt16 {
        var writer = rfx_writer()
        rfx_writer_init(&writer, payloadBuffer.baseAddress, payloadBuffer.count)
        fill(&writer)
        guard writer.status == RFX_OK else { throw WireError(writer.status, "encoding \(type)") }
        let seq = nextSequence()
        var length = 0
        let status = rfx_frame_encode(type.rawValue, seq, payloadBuffer.baseAddress, writer.len, frameBuffer.baseAddress, frameBuffer.count, &length)
        guard status == RFX_OK else { throw WireError(status, "encoding \(type)") }
        try transport.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(frameBuffer)[0..<length]))
        statistics.framesSent += 1
        return seq
    }

    /// Sends ARM or DISARM until the matching ACK arrives.
    private func request(_ type: MessageType) throws -> Ack {
        for _ in 0..<max(1, configuration.ackAttempts) {
            awaitedAck = nil
            let seq = try sendFrame(type: type) { _ in }
            let deadline = MonotonicClock.now() + configuration.ackTimeoutNanos
            while true {
                if let ack = awaitedAck, ack.ackedSequence == seq, ack.ackedType == type {
                    awaitedAck = nil
                    return ack
                }
                awaitedAck = nil
                guard try pump(until: deadline) else { break }
            }
        }
        throw ReflexError(.timeout, "\(transport.name): no ACK for \(type) after \(configuration.ackAttempts) attempts")
    }

    /// Reads once (waiting until `deadline`, or not at all when 0) and handles every frame that completed.
    /// Returns false when the deadline passed with nothing read.
    private func pump(until deadline: UInt64) throws -> Bool {
        let now = MonotonicClock.now()
        let timeout = deadline > now ? deadline - now : 0
        let n: Int
        do {
            n = try transport.read(into: readBuffer, timeoutNanos: timeout)
        } catch {
            state = .fault
            throw error
        }
        guard n > 0 else { return false }
        decoder.feedFrames(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n])) { handle($0) }
        let stats = decoder.statistics
        statistics.framesReceived = stats.messages
        statistics.badFrames = stats.badFrames
        return true
    }

    /// Handles one checked frame; false when its payload does not decode (counted as malformed).
    private func handle(_ frame: UnsafePointer<rfx_frame_view>) -> Bool {
        if frame.pointee.type == MessageType.sensors.rawValue {
            // The per-tick path: decode into preallocated storage, no Swift arrays.
            guard rfx_decode_sensors(frame.pointee.payload, frame.pointee.payload_len, sensorsScratch) == RFX_OK else {
                return false
            }
            let s = sensorsScratch.pointee
            if let last = lastSensorsSequence, frame.pointee.seq != last &+ 1 { sequenceGaps += 1 }
            lastSensorsSequence = frame.pointee.seq
            latestCount = Int(s.count)
            withUnsafeBytes(of: sensorsScratch.pointee.values) { raw in
                let floats = raw.bindMemory(to: Float.self)
                for i in 0..<latestCount { latest[i] = floats[i] }
            }
            latestTimestamp = s.timestamp_us
            haveSensors = true
            freshSinceRead = true
            noteStatus(DeviceStatus(rawValue: s.status))
            return true
        }
        switch Message.decode(frame) {
        case .failure:
            return false
        case .success(let message):
            switch message {
            case .identify(let reply):
                awaitedIdentify = reply
            case .ack(let ack):
                awaitedAck = ack
                deviceStatus = ack.status
            case .fault(let fault):
                statistics.faultsReported += 1
                lastFault = fault
                if state == .active || state == .inactive { state = .fault }
            case .heartbeat(let status):
                noteStatus(status)
            case .linkStats(let stats):
                awaitedLinkStatistics = stats
            default:
                break  // host-to-device messages echoed back, or nothing for us: ignore
            }
            return true
        }
    }

    /// An active device whose status says it is no longer armed has faulted even if the FAULT was lost.
    private func noteStatus(_ status: DeviceStatus) {
        deviceStatus = status
        if state == .active && !status.contains(.armed) {
            state = .fault
        }
    }
}
