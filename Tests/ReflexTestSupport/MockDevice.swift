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
    private var reads = 0

    public init(identity: DeviceIdentity, script: [[Float]]) {
        self.identity = identity
        self.script = script
    }

    public func configure() throws -> DeviceIdentity {
        state = .inactive
        return identity!
    }

    public func activate() throws { state = .active }
    public func deactivate() throws { state = .inactive }

    public func read(into values: UnsafeMutableBufferPointer<Float>, timeoutNanos: UInt64) throws -> SensorReading {
        onRead()
        guard !script.isEmpty else { return .none }
        let frame = script[min(reads, script.count - 1)]
        for i in 0..<min(values.count, frame.count) { values[i] = frame[i] }
        reads += 1
        statistics.framesReceived += 1
        return .fresh(deviceTimeMicros: UInt64(reads))
    }

    public func write(_ values: UnsafeBufferPointer<Float>) throws {
        guard state == .active else { throw ReflexError(.link, "mock device: write while \(state)") }
        written.append(Array(values))
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
