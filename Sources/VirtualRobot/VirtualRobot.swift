#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Bridge
import CBridge
import Foundation
import ReflexCore
import Simulation

/// A simulated plant served behind the real wire protocol, as our firmware would serve the real robot:
/// HELLO → IDENTIFY, ARM/DISARM → ACK, ACTUATE held until the next one (zero-order hold), SENSORS once per
/// period, a watchdog that puts the actuators in their safe state when commands stop, and GET_LINK_STATS →
/// LINK_STATS with its decoder's counters (a pseudo-terminal loses no bytes: receive overruns stay 0).
///
/// Physics: while disarmed the plant is held at its start state (a latch holds the pole); ARM resets it
/// from the seed and releases the latch; after a FAULT it keeps running with the safe actuator values.
/// The loop runs in real time with absolute deadlines; host disconnects and reconnects are survived.
public final class VirtualRobot<Plant: SimulatedPlant> {
    /// What the robot has done, for reports and tests.
    public struct Statistics: Sendable, Equatable {
        public var periods = 0
        /// Periods that started more than one period late (the missed ones are skipped, not replayed).
        public var overruns = 0
        public var framesReceived = 0
        public var badFrames = 0
        public var framesSent = 0
        /// Frames not sent because no host had the link open or the host was not reading.
        public var framesDropped = 0
        public var handshakes = 0
        public var arms = 0
        public var faultsSent = 0
        /// ACTUATE or HEARTBEAT received while disarmed (ignored).
        public var ignoredCommands = 0
        public var disconnects = 0
        /// SENSORS frames corrupted, dropped or given a NaN on purpose (`InjectedFaults`).
        public var injectedFaults = 0
        public init() {}
    }

    /// Faults injected into the SENSORS stream, for fault tests (0: off).
    public struct InjectedFaults: Sendable, Equatable {
        /// Every Nth SENSORS frame has one byte flipped on the wire (the host's CRC check must reject it).
        public var corruptEvery = 0
        /// Every Nth SENSORS frame is not sent.
        public var dropEvery = 0
        /// Every Nth SENSORS frame reports NaN for the first sensor.
        public var nanEvery = 0
        public init(corruptEvery: Int = 0, dropEvery: Int = 0, nanEvery: Int = 0) {
            self.corruptEvery = corruptEvery
            self.dropEvery = dropEvery
            self.nanEvery = nanEvery
        }
    }

    /// Where the plant is in its lifecycle.
    private enum Phase { case latched, armed, coasting }

    public let identify: Identify
    public let seed: UInt64
    /// Faults to inject; set before `serve`.
    public var injectedFaults = InjectedFaults()
    /// Called on the serving thread for notable events (handshake, arm, fault, disconnect).
    public var onEvent: ((String) -> Void)?

    private var plant: Plant
    private let clock: ControlClock
    private let periodNanos: UInt64
    private let defaultWatchdogMillis: UInt16
    private var watchdogNanos: UInt64
    private let safeValues: [Float]
    private var held: [Float]
    private var observation: [Float]
    private var phase = Phase.latched
    private var configured = false
    private var faultLatched = false
    private var linkUp = true
    private var lastCommandNanos: UInt64 = 0
    private var startNanos: UInt64 = 0
    private var sequence: UInt16 = 0
    private var armCount: UInt64 = 0
    private var sensorFrames = 0
    private let decoder = FrameDecoder()
    private var fd: Int32 = -1
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
    private let frameBuffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: WireProtocol.maxWireFrame)
    private let payloadBuffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: WireProtocol.maxPayload)
    private var corruptNextFrame = false
    private let lock = NSLock()
    private var stopRequested = false
    private var stats = Statistics()

    /// - Parameters:
    ///   - firmwareVersion: `major.minor.patch`, each 0…255.
    ///   - watchdogMillis: watchdog when HELLO asks for the default; nil: 2 × period + 10 ms.
    ///   - periodMicros: serve SENSORS at this period instead of the plant's (for benchmarking the loop at, say,
    ///     1 kHz). The physics still advances one plant step per served period, so the plant then runs faster
    ///     (or slower) than real time.
    public init(
        plant: Plant, deviceName: String, firmwareVersion: String, seed: UInt64 = 0, watchdogMillis: UInt16? = nil,
        periodMicros servedPeriodMicros: UInt32? = nil, clock: ControlClock = MonotonicClock()
    ) throws {
        let parts = firmwareVersion.split(separator: ".").map { UInt8($0) }
        guard parts.count == 3, let major = parts[0], let minor = parts[1], let patch = parts[2] else {
            throw ReflexError(.invalidArgument, "firmware version \"\(firmwareVersion)\" is not major.minor.patch (0…255 each)")
        }
        guard plant.period > 0, plant.period < 4000 else {
            throw ReflexError(.invalidArgument, "plant period \(plant.period) s is out of range")
        }
        if let servedPeriodMicros, servedPeriodMicros < 100 || servedPeriodMicros > 4_000_000_000 {
            throw ReflexError(.invalidArgument, "served period \(servedPeriodMicros) µs is out of range (100 µs … 4000 s)")
        }
        let periodMicros = servedPeriodMicros ?? UInt32((plant.period * 1e6).rounded())
        let watchdog = watchdogMillis ?? WireProtocol.defaultWatchdogMillis(periodMicros: periodMicros)
        identify = Identify(
            firmwareMajor: major, firmwareMinor: minor, firmwarePatch: patch, deviceName: deviceName,
            periodMicros: periodMicros, watchdogMillis: watchdog, sensors: plant.sensors, actuators: plant.actuators)
        // Refuse now what the wire cannot carry, rather than at the first HELLO.
        _ = try Message.identify(identify).frame(sequence: 0)
        self.plant = plant
        self.seed = seed
        self.clock = clock
        periodNanos = UInt64(periodMicros) * 1000
        defaultWatchdogMillis = watchdog
        watchdogNanos = UInt64(watchdog) * 1_000_000
        safeValues = plant.actuators.map { Float($0.safeValue ?? 0) }
        held = safeValues
        observation = [Float](repeating: 0, count: plant.sensors.count)
        self.plant.reset(seed: seed)
    }

    deinit {
        readBuffer.deallocate()
        frameBuffer.deallocate()
        payloadBuffer.deallocate()
    }

    public var statistics: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return stats
    }

    /// Asks `serve` to return; it notices within one period. Safe from any thread.
    public func stop() {
        lock.lock()
        stopRequested = true
        lock.unlock()
    }

    private var shouldStop: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    private func count(_ update: (inout Statistics) -> Void) {
        lock.lock()
        update(&stats)
        lock.unlock()
    }

    /// Serves the plant on the controller end of `terminal` until `stop()`.
    public func serve(on terminal: PseudoTerminal) {
        serve(fileDescriptor: terminal.controllerFD)
    }

    /// Serves on a non-blocking file descriptor until `stop()`.
    public func serve(fileDescriptor: Int32) {
        fd = fileDescriptor
        startNanos = clock.nowNanos()
        var next = startNanos + periodNanos
        while !shouldStop {
            handleInput(until: next)
            if shouldStop { break }
            let now = clock.nowNanos()
            if now >= next + periodNanos {
                let missed = (now - next) / periodNanos
                next += missed * periodNanos
                count { $0.overruns += 1 }
            }
            tick(now: now)
            next += periodNanos
        }
        // Leaving: the actuators go safe, as a firmware reset would.
        held = safeValues
        phase = .latched
    }

    // MARK: The period

    private func tick(now: UInt64) {
        if phase == .armed, now > lastCommandNanos + watchdogNanos {
            let elapsed = (now - lastCommandNanos) / 1_000_000
            fault(.watchdog, detail: UInt16(min(elapsed, UInt64(UInt16.max))), now: now)
        }
        switch phase {
        case .latched:
            break
        case .armed, .coasting:
            held.withUnsafeBufferPointer { plant.step(actuators: $0) }
        }
        count { $0.periods += 1 }
        guard configured else { return }
        observation.withUnsafeMutableBufferPointer { plant.observe(into: $0) }
        sensorFrames += 1
        let faults = injectedFaults
        if faults.dropEvery > 0 && sensorFrames % faults.dropEvery == 0 {
            count { $0.injectedFaults += 1 }
            return
        }
        if faults.nanEvery > 0 && sensorFrames % faults.nanEvery == 0 && !observation.isEmpty {
            observation[0] = .nan
            count { $0.injectedFaults += 1 }
        }
        corruptNextFrame = faults.corruptEvery > 0 && sensorFrames % faults.corruptEvery == 0
        if corruptNextFrame { count { $0.injectedFaults += 1 } }
        let micros = deviceMicros(now)
        let status = statusByte
        let values = observation
        sendFrame(type: .sensors) { w in
            rfx_put_u64(w, micros)
            rfx_put_u8(w, status)
            rfx_put_u8(w, UInt8(values.count))
            for v in values { rfx_put_f32(w, v) }
        }
    }

    private var statusByte: UInt8 {
        var status: DeviceStatus = []
        if phase == .armed { status.insert(.armed) }
        if faultLatched { status.insert(.fault) }
        if configured { status.insert(.configured) }
        return status.rawValue
    }

    private func deviceMicros(_ now: UInt64) -> UInt64 { (now - startNanos) / 1000 }

    private func fault(_ code: FaultCode, detail: UInt16, now: UInt64) {
        held = safeValues
        if phase == .armed { phase = .coasting }
        faultLatched = true
        count { $0.faultsSent += 1 }
        onEvent?("FAULT \(code) (detail \(detail)): actuators safe, disarmed")
        send(.fault(Fault(code: code, detail: detail, timestampMicros: deviceMicros(now))))
    }

    // MARK: Input

    /// Handles input as it arrives until the absolute time `deadline`.
    private func handleInput(until deadline: UInt64) {
        while !shouldStop {
            let now = clock.nowNanos()
            guard now < deadline else { return }
            let millis = Int32((deadline - now) / 1_000_000)
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if millis == 0 {
                // Under a millisecond left (always, at a 1 kHz period): take what has arrived, then sleep
                // precisely to the deadline; input arriving meanwhile waits for the next period.
                if poll(&pfd, 1, 0) <= 0 || pfd.revents & Int16(POLLIN) == 0 {
                    clock.sleep(untilNanos: deadline)
                    return
                }
            }
            let n = millis == 0 ? 1 : poll(&pfd, 1, millis)
            if n < 0 {
                if errno == EINTR { continue }
                clock.sleep(untilNanos: deadline)
                return
            }
            if n == 0 { continue }
            if pfd.revents & Int16(POLLIN) != 0 {
                let got = Glibc.read(fd, readBuffer.baseAddress, readBuffer.count)
                if got > 0 {
                    linkUp = true
                    let bytes = UnsafeRawBufferPointer(rebasing: readBuffer[0..<got])
                    decoder.feed(bytes) { envelope in
                        // Counters first, so whoever receives this frame's reply also sees the frames before it counted.
                        updateDecoderCounts()
                        handle(envelope, now: clock.nowNanos())
                    }
                    updateDecoderCounts()
                    continue
                }
                if got < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            }
            // Nobody has the device end open (POLLHUP, EOF or EIO): keep the plant running, check again next period.
            hostGone()
            clock.sleep(untilNanos: deadline)
            return
        }
    }

    private func updateDecoderCounts() {
        let d = decoder.statistics
        count {
            $0.framesReceived = d.messages
            $0.badFrames = d.badFrames
        }
    }

    private func hostGone() {
        guard linkUp else { return }
        linkUp = false
        decoder.reset()
        if configured {
            configured = false
            count { $0.disconnects += 1 }
            onEvent?("host disconnected")
        }
    }

    private func handle(_ envelope: Envelope, now: UInt64) {
        switch envelope.message {
        case .hello(let hello):
            phase = .latched
            held = safeValues
            plant.reset(seed: seed &+ armCount)
            configured = true
            faultLatched = false
            let periodMillis = UInt16(min((identify.periodMicros + 999) / 1000, UInt32(UInt16.max)))
            let watchdog = hello.watchdogMillis == 0 ? defaultWatchdogMillis : max(hello.watchdogMillis, periodMillis)
            watchdogNanos = UInt64(watchdog) * 1_000_000
            var reply = identify
            reply.watchdogMillis = watchdog
            count { $0.handshakes += 1 }
            onEvent?("HELLO from \(hello.hostName.isEmpty ? "host" : hello.hostName): watchdog \(watchdog) ms")
            send(.identify(reply))
        case .arm:
            guard configured else {
                send(.ack(Ack(ackedSequence: envelope.sequence, ackedType: .arm, result: .notConfigured, status: DeviceStatus(rawValue: statusByte))))
                return
            }
            if phase != .armed {
                plant.reset(seed: seed &+ armCount)
                armCount += 1
                held = safeValues
                count { $0.arms += 1 }
                onEvent?("ARM")
            }
            phase = .armed
            faultLatched = false
            lastCommandNanos = now
            send(.ack(Ack(ackedSequence: envelope.sequence, ackedType: .arm, result: .ok, status: DeviceStatus(rawValue: statusByte))))
        case .disarm:
            if phase != .latched { onEvent?("DISARM (last command \(held.map { "\($0)" }.joined(separator: ",")))") }
            phase = .latched
            held = safeValues
            plant.reset(seed: seed &+ armCount)
            send(.ack(Ack(ackedSequence: envelope.sequence, ackedType: .disarm, result: .ok, status: DeviceStatus(rawValue: statusByte))))
        case .actuate(let values):
            guard phase == .armed else {
                count { $0.ignoredCommands += 1 }
                return
            }
            guard values.count == held.count else {
                fault(.channelCount, detail: UInt16(values.count), now: now)
                return
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                fault(.valueOutOfRange, detail: UInt16(bad), now: now)
                return
            }
            for i in 0..<values.count { held[i] = values[i] }
            lastCommandNanos = now
        case .heartbeat:
            if phase == .armed {
                lastCommandNanos = now
            } else {
                count { $0.ignoredCommands += 1 }
            }
        case .getLinkStats:
            // As the firmware: only once configured; the decoder's counters since the robot started.
            guard configured else { return }
            let d = decoder.statistics
            let dropped = statistics.framesDropped
            send(.linkStats(DeviceLinkStatistics(
                requestSequence: envelope.sequence, timestampMicros: deviceMicros(now), frames: d.messages,
                cobsErrors: d.cobsErrors, crcErrors: d.crcErrors, versionErrors: d.versionErrors,
                shortErrors: d.shortErrors, longErrors: d.longErrors, payloadErrors: d.payloadErrors,
                unknownTypes: d.unknownTypes, sequenceGaps: d.sequenceGaps, receiveOverruns: 0, framesNotSent: dropped)))
        default:
            break  // device-to-host messages have no meaning here
        }
    }

    // MARK: Output

    private func send(_ message: Message) {
        do {
            let length = try message.encode(sequence: nextSequence(), into: frameBuffer)
            write(length: length)
        } catch {
            count { $0.framesDropped += 1 }
        }
    }

    private func sendFrame(type: MessageType, _ fill: (UnsafeMutablePointer<rfx_writer>) -> Void) {
        var writer = rfx_writer()
        rfx_writer_init(&writer, payloadBuffer.baseAddress, payloadBuffer.count)
        fill(&writer)
        var length = 0
        guard writer.status == RFX_OK,
              rfx_frame_encode(type.rawValue, nextSequence(), payloadBuffer.baseAddress, writer.len, frameBuffer.baseAddress, frameBuffer.count, &length) == RFX_OK
        else {
            count { $0.framesDropped += 1 }
            return
        }
        write(length: length)
    }

    private func nextSequence() -> UInt16 {
        defer { sequence &+= 1 }
        return sequence
    }

    /// Never blocks the period for long: a host that does not read loses frames, as with a real UART.
    private func write(length: Int) {
        if corruptNextFrame {
            corruptNextFrame = false
            // Flip bits in the middle of the encoded frame (never the delimiter), as line noise would.
            if length > 2 { frameBuffer[length / 2] ^= 0x5A }
        }
        var offset = 0
        var waits = 0
        while offset < length {
            let n = Glibc.write(fd, frameBuffer.baseAddress! + offset, length - offset)
            if n > 0 {
                offset += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && offset > 0 && waits < 5 {
                // Half a frame is out: finish it rather than leave a fragment, but wait only briefly.
                waits += 1
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 1)
                continue
            }
            if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { hostGone() }
            count { $0.framesDropped += 1 }
            return
        }
        count { $0.framesSent += 1 }
    }
}

extension VirtualRobot {
    /// Serves on a background thread (for tests and embedding); call `stop()` and then `wait()` the returned handle.
    public func start(on terminal: PseudoTerminal) -> RunningRobot {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            self.serve(on: terminal)
            done.signal()
        }
        thread.name = "virtual-robot \(identify.deviceName)"
        thread.start()
        return RunningRobot(stop: { [self] in self.stop() }, done: done)
    }
}

/// A virtual robot serving on a background thread.
public final class RunningRobot: @unchecked Sendable {
    private let stopAction: () -> Void
    private let done: DispatchSemaphore
    private var finished = false

    init(stop: @escaping () -> Void, done: DispatchSemaphore) {
        stopAction = stop
        self.done = done
    }

    /// Stops the robot and waits until its loop has returned.
    public func stopAndWait() {
        guard !finished else { return }
        stopAction()
        done.wait()
        finished = true
    }
}
