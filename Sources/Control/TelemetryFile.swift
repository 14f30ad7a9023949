import Foundation
import ReflexCore

/// A telemetry file read back (see `TelemetryFormat`).
public struct TelemetryFile {
    /// One tick: the fixed fields and the channel values.
    public struct Record {
        public var header: TickRecordHeader
        public var sensors: [Float]
        public var rawAction: [Float]
        public var filteredAction: [Float]
    }

    public let periodNanos: UInt64
    public let sensorNames: [String]
    public let actuatorNames: [String]
    /// The whole JSON header (device, policy, …).
    public let header: [String: Any]
    public let records: [Record]
    /// Bytes at the end that did not make a whole record (a run killed mid-write).
    public let trailingBytes: Int

    /// Reads `path`; throws naming the file and the problem when it is not a telemetry file.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReflexError(.invalidArgument, "\(path): cannot read (no such file, or no permission)")
        }
        try self.init(bytes: [UInt8](data), source: path)
    }

    public init(bytes: [UInt8], source: String) throws {
        let magic = TelemetryFormat.magic
        guard bytes.count >= magic.count + 4, Array(bytes[0..<magic.count]) == magic else {
            throw ReflexError(.invalidArgument, "\(source): not a Reflex telemetry file (no RFXTLM01 magic; write one with reflex run --telemetry FILE)")
        }
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard 12 + length <= bytes.count else {
            throw ReflexError(.invalidArgument, "\(source): header of \(length) bytes runs past the end of the file (\(bytes.count) bytes)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[12..<(12 + length)])) as? [String: Any] else {
            throw ReflexError(.invalidArgument, "\(source): header is not a JSON object")
        }
        func names(_ key: String) throws -> [String] {
            guard let list = object[key] as? [[String: Any]] else {
                throw ReflexError(.invalidArgument, "\(source): header has no \(key) list")
            }
            return list.map { ($0["name"] as? String) ?? "?" }
        }
        guard (object["version"] as? Int) == TelemetryFormat.version else {
            throw ReflexError(.invalidArgument, "\(source): telemetry version \(object["version"] ?? "none") is not \(TelemetryFormat.version)")
        }
        guard let period = (object["period_ns"] as? NSNumber)?.uint64Value, period > 0 else {
            throw ReflexError(.invalidArgument, "\(source): header has no positive period_ns")
        }
        let sensorNames = try names("sensors")
        let actuatorNames = try names("actuators")
        let recordBytes = TelemetryFormat.recordBytes(sensors: sensorNames.count, actuators: actuatorNames.count)
        guard (object["record_bytes"] as? Int) == recordBytes else {
            throw ReflexError(.invalidArgument, "\(source): record_bytes \(object["record_bytes"] ?? "none") does not match \(sensorNames.count) sensors and \(actuatorNames.count) actuators (\(recordBytes))")
        }
        let start = 12 + length
        let count = (bytes.count - start) / recordBytes
        var records: [Record] = []
        records.reserveCapacity(count)
        bytes.withUnsafeBytes { raw in
            for index in 0..<count {
                let p = raw.baseAddress! + start + index * recordBytes
                func floats(_ from: Int, _ n: Int) -> [Float] {
                    (0..<n).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: from + 4 * $0, as: UInt32.self))) }
                }
                let s = TelemetryFormat.fixedRecordBytes
                records.append(Record(
                    header: TickRecordHeader.load(from: p), sensors: floats(s, sensorNames.count),
                    rawAction: floats(s + 4 * sensorNames.count, actuatorNames.count),
                    filteredAction: floats(s + 4 * (sensorNames.count + actuatorNames.count), actuatorNames.count)))
            }
        }
        periodNanos = period
        self.sensorNames = sensorNames
        self.actuatorNames = actuatorNames
        header = object
        self.records = records
        trailingBytes = bytes.count - start - count * recordBytes
    }
}
