/// Bytes in and out with deadlines: a serial port, a pseudo-terminal, or a scripted test double.
public protocol Transport: AnyObject {
    /// Human-readable name of the endpoint (a device path).
    var name: String { get }
    /// Writes all bytes or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Reads what is available into `buffer`, waiting at most `timeoutNanos` for the first byte.
    /// Returns 0 on timeout; throws when the link is gone.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeoutNanos: UInt64) throws -> Int
    func close()
}
