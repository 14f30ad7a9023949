/// The telemetry file format (`reflex run --telemetry FILE`, read by `reflex replay FILE`).
///
/// ```
/// magic        8 bytes  "RFXTLM01"
/// header_len   u32      length of the JSON header that follows
/// header       JSON     {"version":1,"period_ns":…,"device":…,"policy":…,"record_bytes":…,
///                        "sensors":[{"name":…,"unit":…}…],"actuators":[…]}
/// records      record_bytes each, until the end of the file:
///   0  u64 tick          tick number over the whole run (skipped deadlines have no record)
///   8  u64 deadline_ns   the tick's absolute deadline, CLOCK_MONOTONIC
///  16  u64 woke_ns       when the loop woke for it, CLOCK_MONOTONIC
///  24  u32 read_ns       device read
///  28  u32 act_ns        policy inference
///  32  u32 filter_ns     safety filter
///  36  u32 write_ns      device write
///  40  u32 faults        TickFaults bits
///  44  u16 skipped       deadlines skipped after this tick (overrun)
///  46  u8  link          LinkState (0 active, 1 inactive, 2 lost)
///  47  u8  reserved
///  48  f32 sensors[S], f32 raw_action[A], f32 filtered_action[A]
/// ```
/// All integers and floats little-endian (the host order on x86-64 and ARM64, the platforms Reflex runs on).
/// A file cut short (the process killed) loses at most its last partial record; the reader ignores it.
public enum TelemetryFormat {
    public static let magic: [UInt8] = Array("RFXTLM01".utf8)
    public static let version = 1
    public static let fixedRecordBytes = 48

    public static func recordBytes(sensors: Int, actuators: Int) -> Int {
        fixedRecordBytes + 4 * (sensors + 2 * actuators)
    }
}

/// The fixed part of one tick's telemetry record.
public struct TickRecordHeader: Sendable, Equatable {
    public var tick: UInt64
    public var deadlineNanos: UInt64
    public var wokeNanos: UInt64
    public var readNanos: UInt64
    public var actNanos: UInt64
    public var filterNanos: UInt64
    public var writeNanos: UInt64
    public var faults: TickFaults
    public var skipped: UInt64
    public var link: LinkState

    public init(
        tick: UInt64, deadlineNanos: UInt64, wokeNanos: UInt64, readNanos: UInt64, actNanos: UInt64, filterNanos: UInt64,
        writeNanos: UInt64, faults: TickFaults, skipped: UInt64, link: LinkState
    ) {
        self.tick = tick
        self.deadlineNanos = deadlineNanos
        self.wokeNanos = wokeNanos
        self.readNanos = readNanos
        self.actNanos = actNanos
        self.filterNanos = filterNanos
        self.writeNanos = writeNanos
        self.faults = faults
        self.skipped = skipped
        self.link = link
    }

    /// Wake-up lateness after the deadline.
    public var latenessNanos: UInt64 { wokeNanos > deadlineNanos ? wokeNanos - deadlineNanos : 0 }

    /// Writes the 48 fixed bytes at `p`.
    func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: tick.littleEndian, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: deadlineNanos.littleEndian, toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: wokeNanos.littleEndian, toByteOffset: 16, as: UInt64.self)
        p.storeBytes(of: Self.u32(readNanos).littleEndian, toByteOffset: 24, as: UInt32.self)
        p.storeBytes(of: Self.u32(actNanos).littleEndian, toByteOffset: 28, as: UInt32.self)
        p.storeBytes(of: Self.u32(filterNanos).littleEndian, toByteOffset: 32, as: UInt32.self)
        p.storeBytes(of: Self.u32(writeNanos).littleEndian, toByteOffset: 36, as: UInt32.self)
        p.storeBytes(of: faults.rawValue.littleEndian, toByteOffset: 40, as: UInt32.self)
        p.storeBytes(of: UInt16(min(skipped, UInt64(UInt16.max))).littleEndian, toByteOffset: 44, as: UInt16.self)
        p.storeBytes(of: link.rawValue, toByteOffset: 46, as: UInt8.self)
        p.storeBytes(of: UInt8(0), toByteOffset: 47, as: UInt8.self)
    }

    /// Reads the 48 fixed bytes at `p` (unaligned is fine).
    static func load(from p: UnsafeRawPointer) -> TickRecordHeader {
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        func u32(_ o: Int) -> UInt64 { UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
        return TickRecordHeader(
            tick: u64(0), deadlineNanos: u64(8), wokeNanos: u64(16), readNanos: u32(24), actNanos: u32(28),
            filterNanos: u32(32), writeNanos: u32(36),
            faults: TickFaults(rawValue: UInt32(u32(40))),
            skipped: UInt64(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 44, as: UInt16.self))),
            link: LinkState(rawValue: p.load(fromByteOffset: 46, as: UInt8.self)) ?? .lost)
    }

    private static func u32(_ v: UInt64) -> UInt32 { UInt32(min(v, UInt64(UInt32.max))) }
}
