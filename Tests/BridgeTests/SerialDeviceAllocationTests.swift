#if canImport(Glibc)
import Glibc
#endif
import CAllocationCounter
import Foundation
import ReflexCore
import XCTest
@testable import Bridge

/// `SerialDevice.read` and `write` on a real pseudo-terminal do not allocate: SENSORS in, ACTUATE out,
/// thousands of times, counted by the malloc interposer on this thread.
final class SerialDeviceAllocationTests: XCTestCase {
    func testReadAndWriteDoNotAllocate() throws {
        let link = "/tmp/reflex-alloc-test-\(getpid())"
        unlink(link)
        defer { unlink(link) }
        let responder = try SerialDeviceReconnectTests.Responder(link: link)
        defer { responder.unplug() }
        let device = try SerialDevice(path: link)
        _ = try device.configure()
        try device.activate()
        responder.stopAnswering()  // from here on this thread plays the device, by hand
        let fd = responder.terminal.controllerFD

        let rounds = 2000
        let frames = try (0..<(rounds + 100)).map { i in
            try Message.sensors(Sensors(timestampMicros: UInt64(i) * 20_000, status: [.armed, .configured], values: [Float(i % 100) / 100]))
                .frame(sequence: UInt16(truncatingIfNeeded: 100 + i))
        }
        let drain = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        defer { drain.deallocate() }
        var values: [Float] = [0]
        var command: [Float] = [0]
        var fresh = 0
        func round(_ i: Int) throws {
            _ = frames[i].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let reading = try values.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 200_000_000) }
            if case .fresh = reading { fresh += 1 }
            command[0] = values[0] * 10
            try command.withUnsafeBufferPointer { try device.write($0) }
            while read(fd, drain, 4096) > 0 {}  // what the host sent (ACTUATE), discarded
        }
        for i in 0..<100 { try round(i) }

        fresh = 0
        allocation_counter_start()
        for i in 100..<(100 + rounds) { try round(i) }
        let allocations = allocation_counter_stop()

        XCTAssertEqual(allocations, 0, "heap allocations over \(rounds) read/write rounds")
        XCTAssertEqual(fresh, rounds, "each round read the frame just written")
        XCTAssertEqual(device.state, .active)
        XCTAssertEqual(values[0], Float((rounds + 99) % 100) / 100)
    }
}
