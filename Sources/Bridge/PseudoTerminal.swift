#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReflexCore

/// A pseudo-terminal pair whose device end is published as a symlink, so a program can open it like a
/// serial port. The owner keeps the controller end (`controllerFD`) and does its I/O there.
///
/// The device end is closed after setup: the controller then sees POLLHUP/EIO whenever no client has
/// the link open, and a client can open it again later (reconnect).
public final class PseudoTerminal {
    /// Controller ("master") end, non-blocking (-1 once closed).
    public private(set) var controllerFD: Int32
    /// The device end's real path (`/dev/pts/N`).
    public let devicePath: String
    /// The symlink pointing at `devicePath`, if one was published.
    public let linkPath: String?

    /// Creates the pair in raw mode; with `linkPath`, publishes a symlink there. Refuses when `linkPath`
    /// exists and is anything but a dangling symlink (one left behind by a killed process is replaced).
    public init(linkPath: String? = nil) throws {
        var controller: Int32 = -1
        var device: Int32 = -1
        var t = termios()
        cfmakeraw(&t)
        guard openpty(&controller, &device, nil, &t, nil) == 0 else {
            throw ReflexError(.link, "cannot create a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        guard let name = ttyname(device) else {
            _ = Glibc.close(controller)
            _ = Glibc.close(device)
            throw ReflexError(.link, "pseudo-terminal has no name")
        }
        devicePath = String(cString: name)
        _ = FileDescriptorIO.makeRaw(device, baudRate: nil)
        _ = Glibc.close(device)
        FileDescriptorIO.setNonBlocking(controller)
        _ = fcntl(controller, F_SETFD, FD_CLOEXEC)
        controllerFD = controller
        if let linkPath {
            do {
                try Self.publish(link: linkPath, target: devicePath)
            } catch {
                _ = Glibc.close(controller)
                throw error
            }
        }
        self.linkPath = linkPath
    }

    deinit { close() }

    /// Closes the controller end and removes the symlink (only if it still points at this pair).
    public func close() {
        if controllerFD >= 0 {
            _ = Glibc.close(controllerFD)
            controllerFD = -1
        }
        if let linkPath, Self.readLink(linkPath) == devicePath {
            _ = unlink(linkPath)
        }
    }

    private static func publish(link: String, target: String) throws {
        var info = stat()
        if lstat(link, &info) == 0 {
            let isLink = (info.st_mode & S_IFMT) == S_IFLNK
            guard isLink, SerialTransport.resolve(link) == nil else {
                throw ReflexError(.invalidArgument, "\(link) already exists; choose another --link path or remove it (only a stale symlink is replaced)")
            }
            _ = unlink(link)
        }
        guard symlink(target, link) == 0 else {
            throw ReflexError(.link, "cannot create symlink \(link) → \(target): \(String(cString: strerror(errno)))")
        }
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return buffer.withUnsafeBufferPointer { p in
            String(decoding: UnsafeRawBufferPointer(start: p.baseAddress, count: n), as: UTF8.self)
        }
    }
}
