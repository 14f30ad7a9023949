#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ReflexCore
import Synchronization

/// Records every tick with bounded memory: the loop copies each record into a preallocated ring (no locks, no
/// allocation, never waits); a background thread drains the ring into the telemetry file and computes the live
/// status (rate, lateness p99, faults, link, overruns) once per status interval.
///
/// When the writer falls behind and the ring is full, new records are dropped and counted — the loop is never
/// blocked. One producer (the loop's thread) and one consumer (the writer thread).
public final class TelemetryRecorder: @unchecked Sendable {
    /// What the writer thread reports once per status interval.
    public struct LiveStatus: Sendable {
        /// Ticks recorded so far.
        public var ticks: UInt64 = 0
        /// Ticks per second over the last interval.
        public var rateHz: Double = 0
        /// Lateness over the last interval, microseconds.
        public var latenessP99Micros: Double = 0
        public var latenessMaxMicros: Double = 0
        /// Fault ticks so far (`TickFaults.faultMask`).
        public var faults: UInt64 = 0
        /// Overruns and skipped deadlines in the last interval, and overruns so far.
        public var overrunsInInterval: UInt64 = 0
        public var skippedInInterval: UInt64 = 0
        public var overruns: UInt64 = 0
        /// Worst tick duration among the interval's overruns, microseconds.
        public var worstOverrunMicros: Double = 0
        public var link = LinkState.inactive
        /// Records dropped because the ring was full (the writer fell behind).
        public var dropped: UInt64 = 0
        /// Length of the interval, seconds.
        public var intervalSeconds: Double = 0
    }

    public let sensorCount: Int
    public let actuatorCount: Int
    public let recordBytes: Int
    public let capacity: Int
    public let path: String?
    /// Called on the writer thread once per interval.
    public let onStatus: (@Sendable (LiveStatus) -> Void)?
    public let statusIntervalNanos: UInt64

    private let ring: UnsafeMutableRawPointer
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)
    private let stopFlag = Atomic<Bool>(false)
    private var file: UnsafeMutablePointer<FILE>?
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private var status = LiveStatus()
    private var windowLateness: [UInt64] = []
    private var windowStart: UInt64 = 0
    private var windowTicks: UInt64 = 0
    private var worstOverrunNanos: UInt64 = 0
    private var written: UInt64 = 0
    private let scratchRecord: UnsafeMutableRawPointer

    /// Opens `path` (nil: no file, status only) and writes the header.
    ///
    /// - Parameters:
    ///   - capacity: records the ring holds (rounded up to a power of two); at 1 kHz, 8192 is 8 s of slack.
    ///   - header: extra header fields (device, policy…), JSON-serializable values.
    public init(
        sensors: [ChannelSpec], actuators: [ChannelSpec], periodNanos: UInt64, path: String?, header: [String: Any] = [:],
        capacity: Int = 8192, statusIntervalNanos: UInt64 = 1_000_000_000, onStatus: (@Sendable (LiveStatus) -> Void)? = nil
    ) throws {
        sensorCount = sensors.count
        actuatorCount = actuators.count
        recordBytes = TelemetryFormat.recordBytes(sensors: sensors.count, actuators: actuators.count)
        var c = 1
        while c < max(2, capacity) { c <<= 1 }
        self.capacity = c
        self.path = path
        self.onStatus = onStatus
        self.statusIntervalNanos = statusIntervalNanos
        ring = .allocate(byteCount: c * recordBytes, alignment: 16)
        scratchRecord = .allocate(byteCount: recordBytes, alignment: 16)
        windowLateness.reserveCapacity(4096)
        windowStart = MonotonicClock.now()
        if let path {
            guard let f = fopen(path, "wb") else {
                ring.deallocate()
                scratchRecord.deallocate()
                throw ReflexError(.invalidArgument, "\(path): cannot write telemetry: \(String(cString: strerror(errno)))")
            }
            file = f
            var fields = header
            fields["version"] = TelemetryFormat.version
            fields["period_ns"] = periodNanos
            fields["record_bytes"] = recordBytes
            fields["sensors"] = sensors.map { ["name": $0.name, "unit": $0.unit] }
            fields["actuators"] = actuators.map { ["name": $0.name, "unit": $0.unit] }
            let json = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            var bytes = TelemetryFormat.magic
            withUnsafeBytes(of: UInt32(json.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: json)
            guard fwrite(bytes, 1, bytes.count, f) == bytes.count else {
                fclose(f)
                ring.deallocate()
                scratchRecord.deallocate()
                throw ReflexError(.invalidArgument, "\(path): cannot write telemetry header: \(String(cString: strerror(errno)))")
            }
        }
    }

    deinit {
        if thread != nil && !stopFlag.load(ordering: .acquiring) { _ = finish() }
        if let file { fclose(file) }
        ring.deallocate()
        scratchRecord.deallocate()
    }

    /// Starts the writer thread.
    public func start() {
        guard thread == nil else { return }
        windowStart = MonotonicClock.now()
        let t = Thread { [self] in
            // Stop signals belong to the control loop's thread (see StoppableClock).
            StoppableClock.blockStopSignalsOnThisThread()
            while !stopFlag.load(ordering: .acquiring) {
                drain()
                usleep(10_000)
            }
            drain()
            finished.signal()
        }
        t.name = "reflex telemetry"
        thread = t
        t.start()
    }

    /// Stops the writer thread after it has written everything recorded; closes the file. Returns the final status.
    @discardableResult
    public func finish() -> LiveStatus {
        if thread != nil {
            if !stopFlag.exchange(true, ordering: .acquiringAndReleasing) { finished.wait() }
        } else {
            drain()
        }
        if let file {
            fflush(file)
            fclose(file)
            self.file = nil
        }
        status.dropped = UInt64(droppedCount.load(ordering: .relaxed))
        return status
    }

    /// Records dropped so far because the ring was full.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    /// Records written to the file (or consumed, without a file) so far; read after `finish()`.
    public var recordsWritten: UInt64 { written }

    /// Copies one tick into the ring (the loop's thread only). Never blocks, never allocates; drops when full.
    public func record(
        _ header: TickRecordHeader, sensors: UnsafeBufferPointer<Float>, raw: UnsafeBufferPointer<Float>,
        filtered: UnsafeBufferPointer<Float>
    ) {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        guard h - t < capacity else {
            droppedCount.add(1, ordering: .relaxed)
            return
        }
        let slot = ring + (h & (capacity - 1)) * recordBytes
        header.store(to: slot)
        var offset = TelemetryFormat.fixedRecordBytes
        offset = Self.put(sensors, count: sensorCount, at: slot, offset: offset)
        offset = Self.put(raw, count: actuatorCount, at: slot, offset: offset)
        _ = Self.put(filtered, count: actuatorCount, at: slot, offset: offset)
        head.store(h + 1, ordering: .releasing)
    }

    /// Stores `count` floats (NaN past the end of `values`) at `slot + offset`; returns the offset after them.
    private static func put(_ values: UnsafeBufferPointer<Float>, count: Int, at slot: UnsafeMutableRawPointer, offset: Int) -> Int {
        var offset = offset
        for i in 0..<count {
            let v = i < values.count ? values[i] : .nan
            slot.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: offset, as: UInt32.self)
            offset += 4
        }
        return offset
    }

    // MARK: Writer thread

    private func drain() {
        let h = head.load(ordering: .acquiring)
        var t = tail.load(ordering: .relaxed)
        while t < h {
            let slot = ring + (t & (capacity - 1)) * recordBytes
            if let file { _ = fwrite(slot, recordBytes, 1, file) }
            account(TickRecordHeader.load(from: slot))
            t += 1
            written += 1
        }
        tail.store(t, ordering: .releasing)
        let now = MonotonicClock.now()
        if now >= windowStart + statusIntervalNanos { closeWindow(now: now) }
    }

    private func account(_ r: TickRecordHeader) {
        status.ticks += 1
        windowTicks += 1
        windowLateness.append(r.latenessNanos)
        if !r.faults.isDisjoint(with: TickFaults.faultMask) { status.faults += 1 }
        if r.faults.contains(.overrun) {
            status.overruns += 1
            status.overrunsInInterval += 1
            status.skippedInInterval += r.skipped
            worstOverrunNanos = max(worstOverrunNanos, r.wokeNanos - min(r.wokeNanos, r.deadlineNanos) + r.readNanos + r.actNanos + r.filterNanos + r.writeNanos)
        }
        status.link = r.link
    }

    private func closeWindow(now: UInt64) {
        let seconds = Double(now - windowStart) / 1e9
        status.intervalSeconds = seconds
        status.rateHz = seconds > 0 ? Double(windowTicks) / seconds : 0
        if windowLateness.isEmpty {
            status.latenessP99Micros = 0
            status.latenessMaxMicros = 0
        } else {
            windowLateness.sort()
            let index = min(windowLateness.count - 1, Int((Double(windowLateness.count) * 0.99).rounded(.up)) - 1)
            status.latenessP99Micros = Double(windowLateness[max(0, index)]) / 1000
            status.latenessMaxMicros = Double(windowLateness[windowLateness.count - 1]) / 1000
        }
        status.worstOverrunMicros = Double(worstOverrunNanos) / 1000
        status.dropped = UInt64(droppedCount.load(ordering: .relaxed))
        onStatus?(status)
        windowLateness.removeAll(keepingCapacity: true)
        windowTicks = 0
        worstOverrunNanos = 0
        status.overrunsInInterval = 0
        status.skippedInInterval = 0
        windowStart = now
    }
}
