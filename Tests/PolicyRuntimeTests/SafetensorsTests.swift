import Foundation
import NeuralNet
import XCTest

final class SafetensorsTests: XCTestCase {
    private let sample: [String: Tensor] = [
        "b.weight": Tensor(shape: [2, 3], scalars: [1, -2, 3.5, .pi, -0.0, 1e-30]),
        "a.bias": Tensor(shape: [2], scalars: [0.25, -7]),
        "scalar": Tensor(shape: [], scalars: [42]),
        "empty": Tensor(shape: [0, 3], scalars: []),
    ]
    private let sampleMetadata = ["format": "test", "path": "a/b \"quoted\" ünïcode", "json": "{\"k\":[1,2]}"]

    /// A file with `header` as its JSON header (padded to 8) followed by `data`.
    private func rawFile(header: String, data: [UInt8]) -> [UInt8] {
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(headerBytes.count) >> (8 * UInt64($0))) }
        out += headerBytes
        out += data
        return out
    }

    private func headerLength(_ bytes: [UInt8]) -> Int {
        (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
    }

    func testRoundTrip() throws {
        let bytes = Safetensors.encode(tensors: sample, metadata: sampleMetadata)
        let decoded = try Safetensors.decode(bytes)
        XCTAssertEqual(decoded.tensors, sample)
        XCTAssertEqual(decoded.metadata, sampleMetadata)
        XCTAssertEqual(decoded.tensors["b.weight"]?.scalars[4].sign, .minus, "negative zero keeps its bit pattern")
    }

    func testEmptyFileRoundTrip() throws {
        let decoded = try Safetensors.decode(Safetensors.encode(tensors: [:], metadata: [:]))
        XCTAssertTrue(decoded.tensors.isEmpty)
        XCTAssertTrue(decoded.metadata.isEmpty)
    }

    func testEncodingIsDeterministic() {
        let first = Safetensors.encode(tensors: sample, metadata: sampleMetadata)
        for _ in 0..<5 {
            // Dictionaries built in another order must give the same bytes.
            var shuffled: [String: Tensor] = [:]
            for (key, value) in sample.shuffled() { shuffled[key] = value }
            XCTAssertEqual(Safetensors.encode(tensors: shuffled, metadata: sampleMetadata), first)
        }
    }

    func testByteLayout() throws {
        let tensors = ["w": Tensor(shape: [2], scalars: [1, -2]), "a": Tensor(shape: [1], scalars: [0.5])]
        let bytes = Safetensors.encode(tensors: tensors, metadata: ["k": "v"])
        let n = headerLength(bytes)
        XCTAssertEqual((8 + n) % 8, 0, "header padded so data starts 8-aligned")
        XCTAssertEqual(bytes.count, 8 + n + 12)
        let header = try XCTUnwrap(String(bytes: bytes[8..<(8 + n)], encoding: .utf8))
        XCTAssertTrue(header.hasPrefix("{"))
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces).last, "}", "padding is spaces only")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any])
        XCTAssertEqual(json["__metadata__"] as? [String: String], ["k": "v"])
        let a = try XCTUnwrap(json["a"] as? [String: Any])
        let w = try XCTUnwrap(json["w"] as? [String: Any])
        XCTAssertEqual(a["dtype"] as? String, "F32")
        XCTAssertEqual(a["data_offsets"] as? [Int], [0, 4], "sorted by name: 'a' first")
        XCTAssertEqual(w["data_offsets"] as? [Int], [4, 12])
        XCTAssertEqual(w["shape"] as? [Int], [2])
        // Raw little-endian IEEE 754: 0.5 = 0x3F000000, 1 = 0x3F800000, -2 = 0xC0000000.
        XCTAssertEqual(Array(bytes[(8 + n)...]), [0, 0, 0, 0x3F, 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0])
    }

    func testHeaderLengthIsLittleEndian() {
        let bytes = Safetensors.encode(tensors: ["x": Tensor(shape: [1], scalars: [1])], metadata: [:])
        let n = headerLength(bytes)
        XCTAssertEqual(bytes[0], UInt8(n & 0xFF))
        XCTAssertEqual(bytes[1], UInt8((n >> 8) & 0xFF))
        XCTAssertEqual(Array(bytes[2..<8]), [0, 0, 0, 0, 0, 0])
    }

    func testTruncatedAtEveryLengthIsReportedAsTruncated() {
        let bytes = Safetensors.encode(tensors: sample, metadata: sampleMetadata)
        for length in 0..<bytes.count {
            assertSafetensorsError(Array(bytes[0..<length]), .truncated)
        }
        assertSafetensorsError([1, 2, 3], .truncated, contains: ["3 bytes", "shorter than the 8-byte"])
    }

    func testHugeHeaderLength() {
        var bytes = [UInt8](repeating: 0x20, count: 1024)
        let huge: UInt64 = 123_456_789
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: huge >> (8 * UInt64(i))) }
        assertSafetensorsError(bytes, .invalidHeader, contains: ["not a safetensors file", "header length 123456789 exceeds the limit"])
        for i in 0..<8 { bytes[i] = 0xFF }
        assertSafetensorsError(bytes, .invalidHeader, contains: ["header length 18446744073709551615"])
        // Plausible but longer than the file: a cut-off download.
        let cut: UInt64 = 5_000
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: cut >> (8 * UInt64(i))) }
        assertSafetensorsError(bytes, .truncated, contains: ["header length 5000 exceeds file size 1024"])
    }

    func testHeaderNotUTF8() {
        assertSafetensorsError(rawFile(header: "{\"a\":1}", data: []).enumerated().map { $0.offset == 10 ? 0xFF : $0.element },
                               .invalidHeader, contains: ["UTF-8"])
    }

    func testHeaderNotJSONOrNotObject() {
        assertSafetensorsError(rawFile(header: "{\"a\": [1, 2", data: []), .invalidHeader, contains: ["not valid JSON"])
        assertSafetensorsError(rawFile(header: "[1, 2, 3]", data: []), .invalidHeader, contains: ["not a JSON object"])
        assertSafetensorsError(rawFile(header: "{\"a\": 5}", data: []), .invalidHeader, contains: ["'a'", "not a JSON object"])
    }

    func testFlippedHeaderBytesNeverCrash() throws {
        let bytes = Safetensors.encode(tensors: sample, metadata: sampleMetadata)
        let n = headerLength(bytes)
        var failures = 0
        for index in 8..<(8 + n) {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var corrupted = bytes
                corrupted[index] ^= mask
                do { _ = try Safetensors.decode(corrupted) } catch is SafetensorsError { failures += 1 }
            }
        }
        XCTAssertGreaterThan(failures, n, "most flips must be detected")
    }

    func testF64IsRefusedNamingTheDType() {
        let file = rawFile(header: #"{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        assertSafetensorsError(file, .unsupportedDType, contains: ["'x'", "F64", "only F32"])
    }

    func testShapeDisagreesWithByteCount() {
        let file = rawFile(header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        assertSafetensorsError(file, .invalidLayout, contains: ["'x'", "[3]", "12 bytes", "cover 8"])
        let negative = rawFile(header: #"{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        assertSafetensorsError(negative, .invalidHeader, contains: ["invalid shape"])
        let fractional = rawFile(header: #"{"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 4))
        assertSafetensorsError(fractional, .invalidHeader, contains: ["invalid shape"])
        let enormous = rawFile(header: #"{"x":{"dtype":"F32","shape":[4000000000,4000000000,4000000000],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 4))
        assertSafetensorsError(enormous, .invalidLayout, contains: ["too large"])
    }

    func testOffsetsOutOfBounds() {
        let file = rawFile(header: #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: Array(repeating: 0, count: 8))
        assertSafetensorsError(file, .truncated, contains: ["'x'", "[0, 16]", "8 bytes"])
        let reversed = rawFile(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: Array(repeating: 0, count: 8))
        assertSafetensorsError(reversed, .invalidLayout, contains: ["begin after end"])
        let missing = rawFile(header: #"{"x":{"dtype":"F32","shape":[1]}}"#, data: Array(repeating: 0, count: 4))
        assertSafetensorsError(missing, .invalidHeader, contains: ["data_offsets"])
    }

    func testGapOverlapAndTrailingBytes() {
        let gap = rawFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                          data: Array(repeating: 0, count: 12))
        assertSafetensorsError(gap, .invalidLayout, contains: ["gap of 4 bytes", "'a'", "'b'"])
        let leadingGap = rawFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: Array(repeating: 0, count: 8))
        assertSafetensorsError(leadingGap, .invalidLayout, contains: ["gap of 4 bytes at the start"])
        let overlap = rawFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                              data: Array(repeating: 0, count: 8))
        assertSafetensorsError(overlap, .invalidLayout, contains: ["overlaps"])
        let trailing = rawFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 6))
        assertSafetensorsError(trailing, .invalidLayout, contains: ["2 trailing bytes"])
    }

    func testMetadataValuesMustBeStrings() {
        let file = rawFile(header: #"{"__metadata__":{"format":"x","version":1}}"#, data: [])
        assertSafetensorsError(file, .invalidHeader, contains: ["'version'", "not a string"])
        let notObject = rawFile(header: #"{"__metadata__":["x"]}"#, data: [])
        assertSafetensorsError(notObject, .invalidHeader, contains: ["__metadata__", "not a JSON object"])
    }

    func testDecodesFileWrittenByPythonConventions() throws {
        // Header as Python's safetensors writes it: no metadata, keys in its own order, space padding.
        let file = rawFile(header: #"{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#, data: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
        let decoded = try Safetensors.decode(file)
        XCTAssertEqual(decoded.tensors["w"], Tensor(shape: [1, 2], scalars: [1, 2]))
        XCTAssertTrue(decoded.metadata.isEmpty)
    }
}
