import ReflexCore

/// A device double: serves scripted sensor frames and records every command written.
public final class MockDevice: Device {
    public private(set) var state: DeviceState = .unconfigured
    public var identity: DeviceIdentity?
    public private(set) var statistics = LinkStatistics()
    /// Sensor values returned by successive reads; the last one repeats.
    public var script: [[Float]]
    /// Called on every read, e.g. to advance a manual clock as a slow device would.
    public var onRead: () -> Void = {}
    public private(set) var written: [[Float]] = []
    /// When false, writes are only counted (no per-write allocation: for allocation-counting tests).
    public var keepsWrites = true
    /// The newest command written (kept even when `keepsWrites` is false).
    public private(set) var lastWritten: [Float] = []
    /// While set, reads and writes throw as an unplugged device's would.
    public var unplugged = false
    /// While set, reads return `.stale` (a device that stopped sending).
    public var stalled = false
    /// Set to fault the device (as a firmware watchdog would): state becomes `.fault`.
    public func fault() { state = .fault }
    /// Times `configure` ran (handshakes).
    public private(set) var configureCount = 0
    /// Lifecycle calls in order ("configure", "activate", "deactivate").
    public private(set) var lifecycle: [String] = []
    private var reads = 0

    public init(identity: DeviceIdentity, script: [[Float]]) {
        self.identity = identity
        self.script = script
    }

    public func configure() throws -> DeviceIdentity {
        guard !unplugged else { throw ReflexError(.link, "mock device: unplugged") }
        configureCount += 1
        lifecycle.append("configure")
        state = .inactive
        return identity!
    }

    public func activate() throws {
        guard !unplugged else { throw ReflexError(.link, "mock device: unplugged") }
        lifecycle.append("activate")
        state = .active
    }

    public func deactivate() throws {
        lifecycle.append("deactivate")
        guard !unplugged else { throw ReflexError(.link, "mock device: unplugged") }
        state = .inactive
    }

    public func read(into values: UnsafeMutableBufferPointer<Float>, timeoutNanos: UInt64) throws -> SensorReading {
        onRead()
        guard !unplugged else { throw ReflexError(.link, "mock device: unplugged") }
        if stalled { return reads == 0 ? .none : .stale }
        guard !script.isEmpty else { return .none }
        let frame = script[min(reads, script.count - 1)]
        for i in 0..<min(values.count, frame.count) { values[i] = frame[i] }
        reads += 1
        statistics.framesReceived += 1
        return .fresh(deviceTimeMicros: UInt64(reads))
    }

    public func write(_ values: UnsafeBufferPointer<Float>) throws {
        guard !unplugged else { throw ReflexError(.link, "mock device: unplugged") }
        guard state == .active else { throw ReflexError(.link, "mock device: write while \(state)") }
        if keepsWrites {
            written.append(Array(values))
            lastWritten = Array(values)
        } else {
            if lastWritten.count != values.count { lastWritten = Array(values) }
            for i in 0..<values.count { lastWritten[i] = values[i] }
        }
        statistics.framesSent += 1
    }
}

/// A policy double: the action is a fixed function of the observation.
public final class FunctionPolicy: Policy {
    public let observationChannels: [ChannelSpec]
    public let actuatorChannels: [ChannelSpec]
    private let function: ([Float]) -> [Float]
    /// Called on every act, e.g. to advance a manual clock as slow inference would.
    public var onAct: () -> Void = {}

    public init(observationChannels: [ChannelSpec], actuatorChannels: [ChannelSpec], function: @escaping ([Float]) -> [Float]) {
        self.observationChannels = observationChannels
        self.actuatorChannels = actuatorChannels
        self.function = function
    }

    public func act(observation: UnsafeBufferPointer<Float>, actuators: UnsafeMutableBufferPointer<Float>) {
        onAct()
        let out = function(Array(observation))
        for i in 0..<min(out.count, actuators.count) { actuators[i] = out[i] }
    }
}
