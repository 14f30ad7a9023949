import Foundation

/// Why a safetensors buffer could not be decoded.
///
/// `kind` lets callers tell a cut-off file from a corrupt one; `message` says exactly what is wrong.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A closed set of problem classes that can grow (swift-system's `Errno` habit).
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The buffer ends before the header or data it announces.
        public static let truncated = Kind(rawValue: "truncated")
        /// The header is not valid UTF-8 JSON of the expected shape.
        public static let invalidHeader = Kind(rawValue: "invalid header")
        /// A tensor uses a dtype other than F32.
        public static let unsupportedDType = Kind(rawValue: "unsupported dtype")
        /// Offsets, shapes and the data section disagree (gaps, overlaps, trailing bytes).
        public static let invalidLayout = Kind(rawValue: "invalid layout")
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}

/// Reads and writes the safetensors format (F32 tensors only).
///
/// Layout: an 8-byte little-endian `u64` header length `N`, `N` bytes of JSON header padded with spaces so
/// that `8 + N` is a multiple of 8, then the raw little-endian tensor data. Encoding is deterministic: tensors
/// are laid out contiguously in name order and the header's keys are sorted.
public enum Safetensors {
    /// Headers larger than this are refused as hostile rather than allocated.
    public static let maximumHeaderLength: UInt64 = 100_000_000

    /// Key of the string-to-string metadata object in the header.
    public static let metadataKey = "__metadata__"

    /// Serializes `tensors` (all F32) and `metadata` into one safetensors buffer.
    public static func encode(tensors: [String: Tensor], metadata: [String: String]) -> [UInt8] {
        let sorted = tensors.sorted { $0.key < $1.key }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header[metadataKey] = metadata }
        var offset = 0
        for (name, tensor) in sorted {
            let byteCount = tensor.scalars.count * 4
            header[name] = [
                "dtype": "F32",
                "shape": tensor.shape,
                "data_offsets": [offset, offset + byteCount],
            ] as [String: Any]
            offset += byteCount
        }
        // Sorted keys make the bytes a pure function of the input.
        let json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        var headerBytes = [UInt8](json)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }

        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for (_, tensor) in sorted {
            let scalars = tensor.scalars
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: scalars.count * 4))
            out.withUnsafeMutableBytes { raw in
                for (i, value) in scalars.enumerated() {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: start + 4 * i, as: UInt32.self)
                }
            }
        }
        return out
    }

    /// Parses and validates a safetensors buffer. Never traps on hostile input: every inconsistency throws a
    /// `SafetensorsError` that names the tensor and the numbers involved.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else {
            throw SafetensorsError(.truncated, "file is \(bytes.count) bytes, shorter than the 8-byte header length field")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        let fileSize = UInt64(bytes.count)
        if headerLength > maximumHeaderLength {
            // No real file has a header this large: most likely not safetensors at all (a text file, say).
            throw SafetensorsError(
                .invalidHeader,
                "not a safetensors file: header length \(headerLength) exceeds the limit of \(maximumHeaderLength) bytes")
        }
        if headerLength > fileSize - 8 {
            throw SafetensorsError(.truncated, "header length \(headerLength) exceeds file size \(fileSize)")
        }
        if headerLength < 2 {
            throw SafetensorsError(.invalidHeader, "header length \(headerLength) is too small to hold a JSON object")
        }
        let headerEnd = 8 + Int(headerLength)
        let headerSlice = bytes[8..<headerEnd]
        guard String(validating: headerSlice, as: UTF8.self) != nil else {
            throw SafetensorsError(.invalidHeader, "header is not valid UTF-8")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(headerSlice), options: [])
        } catch {
            throw SafetensorsError(.invalidHeader, "header is not valid JSON (\(error.localizedDescription))")
        }
        guard let object = parsed as? [String: Any] else {
            throw SafetensorsError(.invalidHeader, "header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        if let rawMetadata = object[metadataKey] {
            guard let dictionary = rawMetadata as? [String: Any] else {
                throw SafetensorsError(.invalidHeader, "\(metadataKey) is not a JSON object")
            }
            for (key, value) in dictionary {
                guard let text = value as? String else {
                    throw SafetensorsError(.invalidHeader, "\(metadataKey) value for '\(key)' is not a string")
                }
                metadata[key] = text
            }
        }

        let dataCount = bytes.count - headerEnd
        var entries: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, rawEntry) in object where name != metadataKey {
            entries.append(try parseEntry(name: name, rawEntry, dataCount: dataCount))
        }

        // The data section must be tiled exactly: no gaps, no overlaps, nothing after the last tensor.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        var previous: String?
        for entry in entries {
            if entry.begin > cursor {
                let after = previous.map { "after tensor '\($0)'" } ?? "at the start of the data"
                throw SafetensorsError(.invalidLayout, "gap of \(entry.begin - cursor) bytes \(after), before tensor '\(entry.name)'")
            }
            if entry.begin < cursor {
                throw SafetensorsError(.invalidLayout, "tensor '\(entry.name)' (bytes \(entry.begin)..<\(entry.end)) overlaps tensor '\(previous ?? "?")'")
            }
            cursor = entry.end
            previous = entry.name
        }
        if cursor != dataCount {
            throw SafetensorsError(.invalidLayout, "\(dataCount - cursor) trailing bytes after the last tensor (data section is \(dataCount) bytes, tensors cover \(cursor))")
        }

        var tensors: [String: Tensor] = [:]
        bytes.withUnsafeBytes { raw in
            for entry in entries {
                let count = (entry.end - entry.begin) / 4
                let base = headerEnd + entry.begin
                let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for i in 0..<count {
                        let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self))
                        buffer[i] = Float(bitPattern: bits)
                    }
                    initialized = count
                }
                tensors[entry.name] = Tensor(shape: entry.shape, scalars: scalars)
            }
        }
        return (tensors, metadata)
    }

    /// Validates one tensor entry of the header against the data section's size.
    private static func parseEntry(name: String, _ rawEntry: Any, dataCount: Int) throws -> (name: String, shape: [Int], begin: Int, end: Int) {
        guard let entry = rawEntry as? [String: Any] else {
            throw SafetensorsError(.invalidHeader, "entry for tensor '\(name)' is not a JSON object")
        }
        guard let dtype = entry["dtype"] as? String else {
            throw SafetensorsError(.invalidHeader, "tensor '\(name)' has no dtype string")
        }
        guard dtype == "F32" else {
            throw SafetensorsError(.unsupportedDType, "tensor '\(name)' has dtype \(dtype); only F32 is supported")
        }
        guard let rawShape = entry["shape"] as? [Any] else {
            throw SafetensorsError(.invalidHeader, "tensor '\(name)' has no shape array")
        }
        var shape: [Int] = []
        var elementCount = 1
        for dimension in rawShape {
            guard let size = nonNegativeInteger(dimension) else {
                throw SafetensorsError(.invalidHeader, "tensor '\(name)' has an invalid shape \(rawShape)")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Int.max / 4 else {
                throw SafetensorsError(.invalidLayout, "tensor '\(name)' shape \(shape + [size]) is too large")
            }
            shape.append(size)
            elementCount = product
        }
        guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
              let begin = nonNegativeInteger(offsets[0]), let end = nonNegativeInteger(offsets[1])
        else {
            throw SafetensorsError(.invalidHeader, "tensor '\(name)' has no valid data_offsets [begin, end]")
        }
        guard begin <= end else {
            throw SafetensorsError(.invalidLayout, "tensor '\(name)' has data_offsets [\(begin), \(end)] with begin after end")
        }
        guard end <= dataCount else {
            throw SafetensorsError(.truncated, "tensor '\(name)' data_offsets [\(begin), \(end)] exceed the data section of \(dataCount) bytes")
        }
        guard end - begin == elementCount * 4 else {
            throw SafetensorsError(.invalidLayout, "tensor '\(name)' shape \(shape) needs \(elementCount * 4) bytes but data_offsets [\(begin), \(end)] cover \(end - begin)")
        }
        return (name, shape, begin, end)
    }

    /// A JSON number that is an exact non-negative integer (no fractions).
    private static func nonNegativeInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.isFinite, double >= 0, double == double.rounded(), double < 9.0e15 else { return nil }
        let integer = number.int64Value
        guard Double(integer) == double else { return nil }
        return Int(integer)
    }
}
