#if canImport(Glibc)
import Glibc
#endif
import Bridge
import ReflexCore
import Simulation
import VirtualRobot
import XCTest

/// SerialDevice against an in-process VirtualRobot on a pseudo-terminal: the whole host/device protocol.
final class VirtualRobotTests: XCTestCase {
    private var terminal: PseudoTerminal!
    private var robot: VirtualRobot<CartPolePlant>!
    private var running: RunningRobot!
    private var link = ""
    private let seed: UInt64 = 7

    override func setUpWithError() throws {
        link = "/tmp/reflex-vr-test-\(getpid())-\(name.filter { $0.isLetter })"
        unlink(link)
        terminal = try PseudoTerminal(linkPath: link)
        robot = try VirtualRobot(
            plant: CartPolePlant(model: CartPoleModel()), deviceName: "cartpole", firmwareVersion: "1.4.2", seed: seed)
        running = robot.start(on: terminal)
    }

    override func tearDown() {
        running?.stopAndWait()
        terminal?.close()
    }

    /// Reads until `condition` holds or `timeout` passes; returns how many fresh frames came.
    @discardableResult
    private func pump(_ device: SerialDevice, timeout: Double, until condition: () -> Bool) throws -> Int {
        var values = [Float](repeating: 0, count: 4)
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        var fresh = 0
        while !condition(), MonotonicClock.now() < deadline {
            if case .fresh = try values.withUnsafeMutableBufferPointer({ try device.read(into: $0, timeoutNanos: 50_000_000) }) {
                fresh += 1
            }
        }
        return fresh
    }

    private func startObservation(seed: UInt64) -> [Float] {
        var plant = CartPolePlant(model: CartPoleModel())
        plant.reset(seed: seed)
        var out = [Float](repeating: 0, count: 4)
        out.withUnsafeMutableBufferPointer { plant.observe(into: $0) }
        return out
    }

    func testHandshakeArmActuateWatchdogAndDisarm() throws {
        let device = try SerialDevice(path: link, configuration: .init(hostName: "test", watchdogMillis: 300))
        defer { device.close() }
        XCTAssertEqual(device.state, .unconfigured)

        // Handshake: the identity carries CartPolePlant's channels.
        let identity = try device.configure()
        let plant = CartPolePlant(model: CartPoleModel())
        XCTAssertEqual(device.state, .inactive)
        XCTAssertEqual(identity.name, "cartpole")
        XCTAssertEqual(identity.firmwareVersion, "1.4.2")
        XCTAssertEqual(identity.periodMicros, 20_000)
        XCTAssertEqual(ChannelSpec.differences(expected: plant.sensors, actual: identity.sensors, kind: "sensors"), [])
        XCTAssertEqual(ChannelSpec.differences(expected: plant.actuators, actual: identity.actuators, kind: "actuators"), [])
        XCTAssertEqual(identity.actuators.first?.safeValue, 0)
        XCTAssertEqual(identity.sensors[1].max, .infinity)
        XCTAssertEqual(device.identify?.watchdogMillis, 300)

        // Inactive: sensors readable, the plant latched at its start state.
        var values = [Float](repeating: .nan, count: 4)
        var reading = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 500_000_000) }
        guard case .fresh = reading else { return XCTFail("no SENSORS while inactive: \(reading)") }
        XCTAssertEqual(values, startObservation(seed: seed))
        XCTAssertThrowsError(try [Float(1)].withUnsafeBufferPointer { try device.write($0) })

        // Armed: push right for 25 periods; every read brings a new frame with a later timestamp.
        try device.activate()
        XCTAssertEqual(device.state, .active)
        var lastTime: UInt64 = 0
        var fresh = 0
        for _ in 0..<25 {
            reading = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 200_000_000) }
            if case .fresh(let time) = reading {
                XCTAssertGreaterThan(time, lastTime)
                lastTime = time
                fresh += 1
            }
            try [Float(5)].withUnsafeBufferPointer { try device.write($0) }
        }
        XCTAssertGreaterThanOrEqual(fresh, 20)
        XCTAssertEqual(device.state, .active)
        XCTAssertGreaterThan(values[0], startObservation(seed: seed)[0] + 0.01, "the cart moved right")
        XCTAssertGreaterThan(values[1], 0.1, "and is moving right")

        // Writes stop: the device's watchdog disarms it and reports FAULT(watchdog).
        try pump(device, timeout: 3) { device.state == .fault }
        XCTAssertEqual(device.state, .fault)
        XCTAssertEqual(device.lastFault?.code, .watchdog)
        XCTAssertGreaterThanOrEqual(Int(device.lastFault?.detail ?? 0), 300)
        XCTAssertEqual(device.statistics.faultsReported, 1)
        XCTAssertFalse(device.deviceStatus.contains(.armed))
        XCTAssertThrowsError(try [Float(1)].withUnsafeBufferPointer { try device.write($0) })

        // After the fault the physics coasts with the safe force: sensors keep changing.
        let before = values
        try pump(device, timeout: 0.2) { false }
        _ = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 100_000_000) }
        XCTAssertNotEqual(values, before)

        // Recovery is explicit: ARM again, then DISARM.
        try device.activate()
        XCTAssertEqual(device.state, .active)
        try device.deactivate()
        XCTAssertEqual(device.state, .inactive)
        // Disarmed: latched again, so two frames a period apart hold the same values.
        _ = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 100_000_000) }
        let latched = values
        reading = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 200_000_000) }
        XCTAssertEqual(values, latched)

        XCTAssertEqual(device.statistics.badFrames, 0)
        XCTAssertGreaterThan(device.statistics.framesReceived, 40)
        XCTAssertGreaterThan(device.statistics.framesSent, 25)
        let stats = robot.statistics
        XCTAssertEqual(stats.arms, 2)
        XCTAssertEqual(stats.faultsSent, 1)
        XCTAssertEqual(stats.badFrames, 0)
    }

    func testHostCanDisconnectAndReconnect() throws {
        let first = try SerialDevice(path: link)
        _ = try first.configure()
        try first.activate()
        first.close()  // gone while armed: the watchdog trips with nobody listening
        let second = try SerialDevice(path: link)
        defer { second.close() }
        let identity = try second.configure()
        XCTAssertEqual(identity.name, "cartpole")
        XCTAssertEqual(second.identify?.watchdogMillis, 50, "default watchdog: 2 × 20 ms + 10 ms")
        try second.activate()
        var values = [Float](repeating: 0, count: 4)
        let reading = try values.withUnsafeMutableBufferPointer { try second.read(into: $0, timeoutNanos: 500_000_000) }
        guard case .fresh = reading else { return XCTFail("no SENSORS after reconnect") }
        try second.deactivate()
        XCTAssertEqual(robot.statistics.handshakes, 2)
    }

    func testArmBeforeHelloAndBadActuateAreAnswered() throws {
        let transport = try SerialTransport(path: link)
        defer { transport.close() }
        let decoder = FrameDecoder()
        func send(_ message: Message, _ seq: UInt16) throws {
            let frame = try message.frame(sequence: seq)
            try frame.withUnsafeBytes { try transport.write($0) }
        }
        /// The next message of `type` (others are skipped), or nil after 2 s.
        func next(_ type: MessageType, where match: (Message) -> Bool = { _ in true }) throws -> Message? {
            var buffer = [UInt8](repeating: 0, count: 512)
            let deadline = MonotonicClock.now() + 2_000_000_000
            while MonotonicClock.now() < deadline {
                let n = try buffer.withUnsafeMutableBytes { try transport.read(into: $0, timeoutNanos: 50_000_000) }
                for envelope in decoder.feed(Array(buffer[0..<n])) where envelope.message.type == type && match(envelope.message) {
                    return envelope.message
                }
            }
            return nil
        }

        try send(.arm, 40)
        XCTAssertEqual(try next(.ack), .ack(Ack(ackedSequence: 40, ackedType: .arm, result: .notConfigured, status: [])))

        try send(.hello(Hello(watchdogMillis: 1000, hostName: "raw")), 41)
        XCTAssertNotNil(try next(.identify))
        try send(.arm, 42)
        XCTAssertEqual(try next(.ack), .ack(Ack(ackedSequence: 42, ackedType: .arm, result: .ok, status: [.armed, .configured])))

        // Two values for one actuator: FAULT(channel count), disarmed.
        try send(.actuate([1, 2]), 43)
        guard case .fault(let f)? = try next(.fault) else { return XCTFail("no FAULT") }
        XCTAssertEqual(f.code, .channelCount)
        XCTAssertEqual(f.detail, 2)
        guard case .sensors(let s)? = try next(.sensors) else { return XCTFail("no SENSORS") }
        XCTAssertEqual(s.status, [.fault, .configured])

        // NaN: FAULT(value out of range) naming the channel.
        try send(.arm, 44)
        XCTAssertNotNil(try next(.ack))
        try send(.actuate([.nan]), 45)
        guard case .fault(let nanFault)? = try next(.fault) else { return XCTFail("no FAULT") }
        XCTAssertEqual(nanFault.code, .valueOutOfRange)
        XCTAssertEqual(nanFault.detail, 0)

        // Garbage on the line (ended by a 0x00) is counted by the robot and does not disturb it.
        try ([UInt8](repeating: 0x37, count: 40) + [0]).withUnsafeBytes { try transport.write($0) }
        try send(.disarm, 46)
        let disarmAck = try next(.ack) { if case .ack(let a) = $0 { return a.ackedSequence == 46 } else { return false } }
        XCTAssertNotNil(disarmAck)
        XCTAssertEqual(robot.statistics.badFrames, 1)
    }

    /// GET_LINK_STATS against the robot: injected garbage and truncated frames are counted exactly, and every
    /// frame the host sent is counted as valid (the same host code reads the firmware's counters).
    func testLinkStatisticsCountInjectedGarbageAndTruncatedFramesExactly() throws {
        let device = try SerialDevice(path: link, configuration: .init(hostName: "test", watchdogMillis: 300))
        defer { device.close() }
        XCTAssertThrowsError(try device.readLinkStatistics()) { error in
            XCTAssertTrue("\(error)".contains("before configure"), "\(error)")
        }
        _ = try device.configure()
        let before = try device.readLinkStatistics()
        XCTAssertEqual(before.frames, device.statistics.framesSent, "every frame the host sent arrived valid")
        XCTAssertEqual(before.badFrames, 0)

        var rng = SeededGenerator(seed: 5)
        let garbage = (0..<4).map { n in (0..<(1 + n * 13)).map { _ in UInt8.random(in: 1...255, using: &rng) } + [0] }
        let actuate = try Message.actuate([0.75]).frame(sequence: 999)
        let truncated = [3, 6, 9, actuate.count - 2].map { Array(actuate.prefix($0)) + [0] }
        let flood = [UInt8](repeating: 0x55, count: 300) + [0]
        for bytes in garbage + truncated + [flood] {
            try bytes.withUnsafeBytes { try device.transport.write($0) }
        }
        let after = try device.readLinkStatistics()
        XCTAssertEqual(after.badFrames - before.badFrames, garbage.count + truncated.count + 1)
        XCTAssertEqual(after.longErrors - before.longErrors, 1, "the 300-byte run")
        XCTAssertEqual(after.frames, device.statistics.framesSent, "no frame of the host's was lost among them")
        XCTAssertEqual(after.sequenceGaps, 0)
        XCTAssertEqual(after.receiveOverruns, 0)
        XCTAssertGreaterThan(after.timestampMicros, before.timestampMicros)
        XCTAssertEqual(robot.statistics.badFrames, after.badFrames)
        XCTAssertEqual(robot.statistics.ignoredCommands, 0, "no truncated ACTUATE was taken for a command")
    }

    func testStopIsNoticedWithinAPeriod() {
        let start = MonotonicClock.now()
        running.stopAndWait()
        // One 20 ms period plus scheduling slack on a shared machine.
        XCTAssertLessThan(MonotonicClock.now() - start, 100_000_000)
    }

    func testRobotRefusesBadFirmwareVersion() {
        XCTAssertThrowsError(try VirtualRobot(plant: CartPolePlant(model: CartPoleModel()), deviceName: "x", firmwareVersion: "1.2"))
    }
}
