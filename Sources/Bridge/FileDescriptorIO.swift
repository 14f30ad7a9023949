#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReflexCore

/// poll/read/write on a non-blocking file descriptor: the I/O shared by real ports and pseudo-terminals.
enum FileDescriptorIO {
    /// What `waitReadable` found.
    enum Readiness { case readable, timedOut, hungUp }

    /// Waits up to `timeoutNanos` for input (0: just look).
    static func waitReadable(_ fd: Int32, timeoutNanos: UInt64) -> Readiness {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        // Round up so a sub-millisecond timeout still waits instead of spinning.
        let millis = Int32(min((timeoutNanos + 999_999) / 1_000_000, UInt64(Int32.max)))
        while true {
            let n = poll(&pfd, 1, millis)
            if n < 0 {
                if errno == EINTR { continue }
                return .hungUp
            }
            if n == 0 { return .timedOut }
            if pfd.revents & Int16(POLLIN) != 0 { return .readable }
            return .hungUp  // POLLHUP, POLLERR or POLLNVAL without data
        }
    }

    /// Reads what is available; `nil` when the other end is gone (EOF, EIO).
    static func readAvailable(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return n }
            if n == 0 { return nil }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            default: return nil
            }
        }
    }

    /// Writes everything, waiting for room at most `timeoutNanos` in total; throws with `name` in the message.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String, timeoutNanos: UInt64) throws {
        var offset = 0
        let deadline = MonotonicClock.now() + timeoutNanos
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 {
                offset += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK {
                let reason = String(cString: strerror(errno))
                throw ReflexError(.link, "\(name): write failed: \(reason) (the other end closed the link?)")
            }
            let now = MonotonicClock.now()
            guard now < deadline else {
                throw ReflexError(.timeout, "\(name): write blocked for \(timeoutNanos / 1_000_000) ms (the other end is not reading)")
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&pfd, 1, Int32(max(1, (deadline - now) / 1_000_000)))
        }
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Raw 8N1 mode: no echo, no line editing, no translation, reads return what is there.
    static func makeRaw(_ fd: Int32, baudRate: Int?) -> Bool {
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else { return false }
        cfmakeraw(&t)
        t.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        t.c_cflag &= ~(tcflag_t(CSTOPB) | tcflag_t(PARENB) | tcflag_t(CRTSCTS))
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        if let baudRate, let speed = speedConstant(baudRate) {
            cfsetispeed(&t, speed)
            cfsetospeed(&t, speed)
        }
        return tcsetattr(fd, TCSANOW, &t) == 0
    }

    static func speedConstant(_ baud: Int) -> speed_t? {
        switch baud {
        case 9600: return speed_t(B9600)
        case 19200: return speed_t(B19200)
        case 38400: return speed_t(B38400)
        case 57600: return speed_t(B57600)
        case 115200: return speed_t(B115200)
        case 230400: return speed_t(B230400)
        case 460800: return speed_t(B460800)
        case 921600: return speed_t(B921600)
        case 1_000_000: return speed_t(B1000000)
        default: return nil
        }
    }
}
