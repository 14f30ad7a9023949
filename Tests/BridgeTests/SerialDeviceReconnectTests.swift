#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ReflexCore
import XCTest
@testable import Bridge

/// A device that disappears and comes back at the same path (USB replug, virtual robot restarted): the link
/// error is clear, reopening waits for the path, and the device does a fresh handshake.
final class SerialDeviceReconnectTests: XCTestCase {
    var link = ""

    override func setUp() {
        link = "/tmp/reflex-reconnect-test-\(getpid())-\(name.filter { $0.isLetter })"
        unlink(link)
    }

    override func tearDown() { unlink(link) }

    /// Answers every HELLO on the controller end with an IDENTIFY and every ARM with an ACK, on its own thread.
    final class Responder: @unchecked Sendable {
        let terminal: PseudoTerminal
        private let lock = NSLock()
        private var stopping = false
        private var hellos = 0
        private let done = DispatchSemaphore(value: 0)

        init(link: String) throws {
            terminal = try PseudoTerminal(linkPath: link)
            let identify = Identify(
                firmwareMajor: 1, firmwareMinor: 2, firmwarePatch: 3, deviceName: "stub", periodMicros: 20_000, watchdogMillis: 50,
                sensors: [ChannelSpec(name: "angle", unit: "rad", min: -1, max: 1)],
                actuators: [ChannelSpec(name: "force", unit: "N", min: -10, max: 10, safeValue: 0)])
            let reply = try Message.identify(identify).frame(sequence: 0)
            let fd = terminal.controllerFD
            Thread { [self] in
                let decoder = FrameDecoder()
                var buffer = [UInt8](repeating: 0, count: 512)
                while !isStopping {
                    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&pfd, 1, 20) > 0, pfd.revents & Int16(POLLIN) != 0 else { continue }
                    let n = read(fd, &buffer, buffer.count)
                    guard n > 0 else { continue }
                    for envelope in decoder.feed(Array(buffer[0..<n])) {
                        switch envelope.message {
                        case .hello:
                            lock.lock()
                            hellos += 1
                            lock.unlock()
                            _ = reply.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                        case .arm:
                            let ack = Ack(ackedSequence: envelope.sequence, ackedType: .arm, result: .ok, status: [.armed, .configured])
                            if let frame = try? Message.ack(ack).frame(sequence: 1) {
                                _ = frame.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                            }
                        default:
                            break
                        }
                    }
                }
                done.signal()
            }.start()
        }

        private var isStopping: Bool {
            lock.lock()
            defer { lock.unlock() }
            return stopping
        }

        var helloCount: Int {
            lock.lock()
            defer { lock.unlock() }
            return hellos
        }

        /// Stops answering (the pty stays open).
        func stopAnswering() {
            lock.lock()
            let wasStopping = stopping
            stopping = true
            lock.unlock()
            if !wasStopping { done.wait() }
        }

        /// Unplugs: stops answering, closes the pty and removes the link.
        func unplug() {
            stopAnswering()
            terminal.close()
        }
    }

    func testDeviceThatDisappearsAndReturnsIsReopenedWithAFreshHandshake() throws {
        let first = try Responder(link: link)
        let transport = try ReconnectableTransport(path: link)
        let device = SerialDevice(transport: transport)
        XCTAssertEqual(try device.configure().name, "stub")
        XCTAssertEqual(device.state, .inactive)

        first.unplug()
        var values = [Float](repeating: 0, count: 1)
        XCTAssertThrowsError(try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 100_000_000) }) { error in
            XCTAssertTrue("\(error)".contains("hung up"), "\(error)")
        }
        // Nothing at the path yet: reopening fails, names the path, and leaves the transport closed.
        XCTAssertThrowsError(try transport.reopen()) { error in XCTAssertTrue("\(error)".contains(link), "\(error)") }
        XCTAssertFalse(transport.isOpen)
        XCTAssertThrowsError(try device.sendHeartbeat()) { error in XCTAssertTrue("\(error)".contains("closed"), "\(error)") }

        let second = try Responder(link: link)
        defer { second.unplug() }
        try transport.reopen()
        XCTAssertTrue(transport.isOpen)
        XCTAssertEqual(try device.configure().firmwareVersion, "1.2.3")
        XCTAssertEqual(device.state, .inactive)
        XCTAssertEqual(second.helloCount, 1, "a fresh handshake on the new link")
        XCTAssertNoThrow(try device.sendHeartbeat())
    }

    /// A device that predates LINK_STATS (this responder, like firmware 1.0, ignores GET_LINK_STATS): asking
    /// for its counters is a timeout that says why, and the link carries on.
    func testLinkStatisticsFromADeviceThatDoesNotAnswerTimeOutClearly() throws {
        let responder = try Responder(link: link)
        defer { responder.unplug() }
        var configuration = SerialDevice.Configuration()
        configuration.ackTimeoutNanos = 50_000_000
        configuration.ackAttempts = 2
        let device = SerialDevice(transport: try SerialTransport(path: link), configuration: configuration)
        defer { device.close() }
        _ = try device.configure()
        let sent = device.statistics.framesSent
        XCTAssertThrowsError(try device.readLinkStatistics()) { error in
            XCTAssertTrue("\(error)".contains("no LINK_STATS after 2 GET_LINK_STATS") && "\(error)".contains("before 1.1"), "\(error)")
        }
        XCTAssertEqual(device.statistics.framesSent - sent, 2, "one request per attempt")
        XCTAssertEqual(device.state, .inactive)
        XCTAssertNoThrow(try device.activate())
    }

    func testPortListingNeverListsPseudoTerminals() throws {
        let responder = try Responder(link: link)
        defer { responder.unplug() }
        let ports = try SerialPortList.list()
        XCTAssertFalse(ports.contains { $0.name == responder.terminal.devicePath || $0.name == link })
        for port in ports where port.transport == "usb" {
            XCTAssertNotNil(port.usbID.map { $0.count == 9 && $0.contains(":") })
        }
    }
}
