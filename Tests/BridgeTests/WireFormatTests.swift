import Bridge
import CBridge
import ReflexCore
import XCTest

final class WireFormatTests: XCTestCase {
    func testCRCCheckValue() {
        XCTAssertEqual(WireProtocol.crc16(Array("123456789".utf8)), 0x29B1)
        XCTAssertEqual(rfx_crc16("123456789", 9), 0x29B1)
    }

    func testLimits() {
        XCTAssertEqual(WireProtocol.maxPayload, 248)
        XCTAssertEqual(WireProtocol.maxWireFrame, 256)
        XCTAssertEqual(WireProtocol.defaultWatchdogMillis(periodMicros: 20000), 50)
        XCTAssertEqual(WireProtocol.defaultWatchdogMillis(periodMicros: 1500), 13)
    }

    func testGoldenFramesEncodeByteForByte() throws {
        let golden = try GoldenFrames.load()
        XCTAssertEqual(golden.count, GoldenFrames.messages.count)
        for (name, bytes) in golden {
            guard let envelope = GoldenFrames.messages[name] else {
                XCTFail("golden frame \(name) has no Swift message")
                continue
            }
            XCTAssertEqual(try envelope.message.frame(sequence: envelope.sequence), bytes, name)
        }
    }

    func testGoldenFramesDecode() throws {
        for (name, bytes) in try GoldenFrames.load() {
            let decoded = try Message.decode(frame: bytes)
            XCTAssertEqual(decoded, GoldenFrames.messages[name], name)
        }
    }

    func testRoundTripsOfEveryMessage() throws {
        let messages: [Message] = [
            .hello(Hello(watchdogMillis: 65535, hostName: String(repeating: "h", count: 32))),
            .identify(Identify(
                firmwareMajor: 255, firmwareMinor: 0, firmwarePatch: 7, deviceName: "", periodMicros: .max,
                watchdogMillis: 1, sensors: [], actuators: [ChannelSpec(name: "u", unit: "V", min: -1, max: 1, safeValue: 0.5)])),
            .arm, .disarm,
            .actuate([]), .actuate((0..<16).map { Float($0) - 7.5 }), .actuate([.infinity, -.infinity]),
            .sensors(Sensors(timestampMicros: .max, status: [.armed, .fault, .configured], values: [1, 2, 3])),
            .heartbeat([.configured]),
            .fault(Fault(code: .valueOutOfRange, detail: 65535, timestampMicros: 12)),
            .fault(Fault(code: FaultCode(rawValue: 200), detail: 0, timestampMicros: 0)),
            .ack(Ack(ackedSequence: 65535, ackedType: .disarm, result: .notConfigured, status: [])),
            .getLinkStats,
            .linkStats(DeviceLinkStatistics(
                requestSequence: 65535, timestampMicros: .max, frames: Int(UInt32.max), cobsErrors: 0, crcErrors: 1,
                versionErrors: 2, shortErrors: 3, longErrors: 4, payloadErrors: 5, unknownTypes: 6, sequenceGaps: 7,
                receiveOverruns: 8, framesNotSent: Int(UInt32.max))),
        ]
        for (i, message) in messages.enumerated() {
            let sequence = UInt16(truncatingIfNeeded: i * 4099)
            let frame = try message.frame(sequence: sequence)
            XCTAssertLessThanOrEqual(frame.count, WireProtocol.maxWireFrame)
            XCTAssertEqual(frame.last, 0)
            XCTAssertFalse(frame.dropLast().contains(0))
            XCTAssertEqual(try Message.decode(frame: frame), Envelope(sequence: sequence, message: message))
        }
    }

    func testNaNCrossesTheWire() throws {
        let envelope = try Message.decode(frame: Message.actuate([.nan]).frame(sequence: 1))
        guard case .actuate(let values) = envelope.message else { return XCTFail("not ACTUATE") }
        XCTAssertTrue(values[0].isNaN)
    }

    func testEncodingRefusesWhatTheLayoutCannotCarry() {
        XCTAssertThrowsError(try Message.hello(Hello(hostName: String(repeating: "x", count: 33))).frame(sequence: 0))
        XCTAssertThrowsError(try Message.actuate([Float](repeating: 0, count: 17)).frame(sequence: 0))
        let long = ChannelSpec(name: String(repeating: "n", count: 32), unit: "u", min: 0, max: 1)
        let identify = Identify(
            firmwareMajor: 1, firmwareMinor: 0, firmwarePatch: 0, deviceName: "big", periodMicros: 1000,
            watchdogMillis: 10, sensors: Array(repeating: long, count: 16), actuators: [])
        XCTAssertThrowsError(try Message.identify(identify).frame(sequence: 0)) { error in
            XCTAssertTrue("\(error)".contains("does not fit"), "\(error)")
        }
        // Counters are u32 on the wire: a larger one is refused by name, not wrapped.
        XCTAssertThrowsError(try Message.linkStats(DeviceLinkStatistics(crcErrors: 1 << 32)).frame(sequence: 0)) { error in
            XCTAssertTrue("\(error)".contains("CRC errors"), "\(error)")
        }
    }
}
