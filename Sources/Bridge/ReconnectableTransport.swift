import ReflexCore

/// A serial port that can be reopened at the same path: a USB adapter unplugged and plugged back, or a
/// virtual robot stopped and started again (a new pseudo-terminal behind the same link). `SerialDevice`
/// keeps its identity across `reopen()`; its next `configure()` is the fresh handshake.
public final class ReconnectableTransport: Transport {
    public let path: String
    public let baudRate: Int
    private var current: SerialTransport?

    /// Opens `path` now; throws like `SerialTransport` when it cannot.
    public init(path: String, baudRate: Int = 115_200) throws {
        self.path = path
        self.baudRate = baudRate
        current = try SerialTransport(path: path, baudRate: baudRate)
    }

    public var name: String { path }

    /// True while a port is open (false after a failed `reopen` or `close`).
    public var isOpen: Bool { current != nil }

    /// Closes the port and opens `path` again; throws (and stays closed) while nothing is there.
    public func reopen() throws {
        current?.close()
        current = nil
        current = try SerialTransport(path: path, baudRate: baudRate)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let current else { throw ReflexError(.link, "\(path): port is closed (waiting for the device to come back)") }
        try current.write(bytes)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeoutNanos: UInt64) throws -> Int {
        guard let current else { throw ReflexError(.link, "\(path): port is closed (waiting for the device to come back)") }
        return try current.read(into: buffer, timeoutNanos: timeoutNanos)
    }

    public func close() {
        current?.close()
        current = nil
    }
}
