#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSerialPort
import ReflexCore

/// A serial link on a device path: a real UART through libserialport, or a pseudo-terminal through POSIX
/// `open` + termios (libserialport 0.1.1 cannot open ptys). Either way the I/O is poll/read/write on the fd.
public final class SerialTransport: Transport {
    /// How the port was opened.
    public enum Backend: Sendable { case libserialport, posixTerminal }

    public let name: String
    public let backend: Backend
    public let baudRate: Int
    /// Longest a `write` may wait for room in the output buffer.
    public var writeTimeoutNanos: UInt64 = 500_000_000
    private var fd: Int32
    private var port: OpaquePointer?

    /// Opens `path` (a symlink is followed) at `baudRate`, 8N1, no flow control.
    public init(path: String, baudRate: Int = 115_200) throws {
        name = path
        self.baudRate = baudRate
        guard let resolved = Self.resolve(path) else {
            throw ReflexError(.link, "\(path): no such port (nothing at that path; real ports are usually /dev/ttyUSB* or /dev/ttyACM*, and a virtual robot prints its link path when it starts)")
        }
        if resolved.hasPrefix("/dev/pts/") {
            backend = .posixTerminal
            fd = try Self.openTerminal(path: path, resolved: resolved, baudRate: nil)
            return
        }
        var found: OpaquePointer?
        if sp_get_port_by_name(resolved, &found) == SP_OK, let found {
            guard sp_open(found, SP_MODE_READ_WRITE) == SP_OK else {
                let reason = String(cString: sp_last_error_message())
                sp_free_port(found)
                throw ReflexError(.link, "\(path): cannot open port: \(reason) (in use, or no permission: add yourself to the dialout group)")
            }
            _ = sp_set_baudrate(found, Int32(baudRate))
            _ = sp_set_bits(found, 8)
            _ = sp_set_parity(found, SP_PARITY_NONE)
            _ = sp_set_stopbits(found, 1)
            _ = sp_set_flowcontrol(found, SP_FLOWCONTROL_NONE)
            var handle: Int32 = -1
            guard sp_get_port_handle(found, &handle) == SP_OK, handle >= 0 else {
                sp_close(found)
                sp_free_port(found)
                throw ReflexError(.link, "\(path): libserialport gave no file descriptor")
            }
            port = found
            fd = handle
            backend = .libserialport
            FileDescriptorIO.setNonBlocking(fd)
            tcflush(fd, TCIOFLUSH)
            return
        }
        // Not a port libserialport knows (no sysfs entry): accept it only if it is a terminal.
        backend = .posixTerminal
        fd = try Self.openTerminal(path: path, resolved: resolved, baudRate: baudRate)
    }

    deinit { close() }

    /// The file descriptor both backends do their I/O on (-1 once closed).
    public var fileDescriptor: Int32 { fd }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw ReflexError(.link, "\(name): port is closed") }
        try FileDescriptorIO.writeAll(fd, bytes, name: name, timeoutNanos: writeTimeoutNanos)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeoutNanos: UInt64) throws -> Int {
        guard fd >= 0 else { throw ReflexError(.link, "\(name): port is closed") }
        switch FileDescriptorIO.waitReadable(fd, timeoutNanos: timeoutNanos) {
        case .timedOut:
            return 0
        case .hungUp:
            throw ReflexError(.link, "\(name): the other end hung up (device unplugged or virtual robot stopped)")
        case .readable:
            guard let n = FileDescriptorIO.readAvailable(fd, into: buffer) else {
                throw ReflexError(.link, "\(name): the other end hung up (device unplugged or virtual robot stopped)")
            }
            return n
        }
    }

    public func close() {
        if let port {
            sp_close(port)
            sp_free_port(port)
            self.port = nil
        } else if fd >= 0 {
            _ = Glibc.close(fd)
        }
        fd = -1
    }

    /// The real path behind `path`, or nil when nothing is there (a dangling symlink included).
    static func resolve(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    private static func openTerminal(path: String, resolved: String, baudRate: Int?) throws -> Int32 {
        let fd = open(resolved, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw ReflexError(.link, "\(path): cannot open \(resolved): \(reason)")
        }
        guard isatty(fd) != 0 else {
            _ = Glibc.close(fd)
            throw ReflexError(.link, "\(path): \(resolved) is not a serial port or terminal")
        }
        guard FileDescriptorIO.makeRaw(fd, baudRate: baudRate) else {
            let reason = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw ReflexError(.link, "\(path): cannot set raw mode: \(reason)")
        }
        // Bytes queued before we opened belong to nobody; the decoder would drop them anyway.
        tcflush(fd, TCIOFLUSH)
        return fd
    }
}
