import Bridge
import ReflexCore
import XCTest

final class FrameDecoderTests: XCTestCase {
    private let sensors = Message.sensors(Sensors(timestampMicros: 20000, status: [.armed], values: [0.5, -1, 0, 2]))

    func testSplitFramesDecodeAcrossFeeds() throws {
        let frame = try sensors.frame(sequence: 9) + Message.arm.frame(sequence: 10)
        let decoder = FrameDecoder()
        var got: [Envelope] = []
        for byte in frame { got += decoder.feed([byte]) }
        XCTAssertEqual(got, [Envelope(sequence: 9, message: sensors), Envelope(sequence: 10, message: .arm)])
        XCTAssertEqual(decoder.statistics.badFrames, 0)
        XCTAssertEqual(decoder.statistics.messages, 2)
    }

    func testGarbageBeforeFrameIsCountedAndSkipped() throws {
        let decoder = FrameDecoder()
        let got = decoder.feed([0x13, 0x37, 0x42] + (try sensors.frame(sequence: 1)))
        // The garbage runs into the frame until the first 0x00, so that frame is lost with it...
        XCTAssertEqual(got, [])
        XCTAssertEqual(decoder.statistics.badFrames, 1)
        // ...and the next frame after the delimiter is decoded.
        XCTAssertEqual(decoder.feed(try sensors.frame(sequence: 2)).map(\.sequence), [2])
        // A leading 0x00 (resync) protects a frame from garbage before it.
        XCTAssertEqual(decoder.feed([0x99, 0x98, 0] + (try sensors.frame(sequence: 3))).map(\.sequence), [3])
        XCTAssertEqual(decoder.statistics.badFrames, 2)
    }

    func testCorruptedCRCIsCounted() throws {
        for position in 0..<(try sensors.frame(sequence: 5)).count - 1 {
            var frame = try sensors.frame(sequence: 5)
            frame[position] ^= 0x04
            if frame[position] == 0 { continue }  // that flip made a delimiter; covered elsewhere
            let decoder = FrameDecoder()
            XCTAssertEqual(decoder.feed(frame), [], "flip at \(position)")
            XCTAssertEqual(decoder.statistics.badFrames, 1, "flip at \(position)")
            XCTAssertEqual(decoder.feed(try sensors.frame(sequence: 6)).count, 1)
        }
        var frame = try sensors.frame(sequence: 5)
        frame[frame.count - 2] ^= 0x01  // last CRC byte
        let decoder = FrameDecoder()
        _ = decoder.feed(frame)
        XCTAssertEqual(decoder.statistics.crcErrors, 1)
    }

    func testTruncatedFramesAreCounted() throws {
        let full = try sensors.frame(sequence: 7)
        let decoder = FrameDecoder()
        for cut in 1..<(full.count - 1) {
            XCTAssertEqual(decoder.feed(Array(full[0..<cut]) + [0]), [], "cut at \(cut)")
        }
        XCTAssertEqual(decoder.statistics.badFrames, full.count - 2)
        XCTAssertEqual(decoder.feed(full).count, 1)
    }

    func testVersionLengthAndTypeErrorsAreCountedByKind() throws {
        let decoder = FrameDecoder()
        // Another protocol version with a valid CRC.
        var raw: [UInt8] = [2, 0x03, 0, 0]
        var crc = WireProtocol.crc16(raw)
        raw += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
        _ = decoder.feed(cobs(raw) + [0])
        XCTAssertEqual(decoder.statistics.versionErrors, 1)
        // ARM with a payload byte: wrong length for its type.
        raw = [1, 0x03, 0, 0, 7]
        crc = WireProtocol.crc16(raw)
        raw += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
        _ = decoder.feed(cobs(raw) + [0])
        XCTAssertEqual(decoder.statistics.lengthErrors, 1)
        XCTAssertEqual(decoder.statistics.payloadErrors, 1)
        // Unknown type.
        raw = [1, 0x7E, 0, 0]
        crc = WireProtocol.crc16(raw)
        raw += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
        _ = decoder.feed(cobs(raw) + [0])
        XCTAssertEqual(decoder.statistics.unknownTypes, 1)
        // Too long: more than a maximal frame before the delimiter.
        _ = decoder.feed([UInt8](repeating: 0x55, count: 1000) + [0])
        XCTAssertEqual(decoder.statistics.lengthErrors, 2)
        XCTAssertEqual(decoder.statistics.longErrors, 1)
        // Idle delimiters are not frames.
        _ = decoder.feed([0, 0, 0])
        XCTAssertEqual(decoder.statistics.badFrames, 4)
        XCTAssertEqual(decoder.feed(try Message.disarm.frame(sequence: 1)).count, 1)
    }

    func testRandomBytesNeverCrashAndDecoderRecovers() throws {
        var rng = SeededGenerator(seed: 42)
        let decoder = FrameDecoder()
        let good = try sensors.frame(sequence: 1)
        var delivered = 0
        for round in 0..<300 {
            var chunk = (0..<Int(rng.next() % 400)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if round % 3 == 0 { chunk += good }  // valid frames glued to garbage
            if round % 5 == 0 { chunk.append(0) }
            delivered += decoder.feed(chunk).count
        }
        // Whatever came before, a delimiter then a frame always gets through.
        XCTAssertEqual(decoder.feed([0] + good).count, 1)
        XCTAssertGreaterThan(decoder.statistics.badFrames, 0)
        XCTAssertLessThanOrEqual(delivered, 100)
    }

    /// A plain COBS encoder for building malformed-but-well-framed test input.
    private func cobs(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0]
        var codeIndex = 0
        var code: UInt8 = 1
        for byte in data {
            if byte == 0 {
                out[codeIndex] = code
                codeIndex = out.count
                out.append(0)
                code = 1
            } else {
                out.append(byte)
                code += 1
                if code == 0xFF {
                    out[codeIndex] = code
                    codeIndex = out.count
                    out.append(0)
                    code = 1
                }
            }
        }
        out[codeIndex] = code
        return out
    }
}
