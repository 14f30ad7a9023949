#if canImport(Glibc)
import Glibc
#endif
import Bridge
import Foundation
import ReflexCore

extension BenchRow {
    /// Round trip of one ACTUATE-sized frame through a pseudo-terminal: written through `SerialTransport` (as
    /// `reflex run` does), echoed by a thread on the controller end (where a virtual robot sits), read back.
    static let serial = BenchRow(
        name: "serial",
        summary: "round trip of a 32-byte frame through a pseudo-terminal (SerialTransport → echo → SerialTransport): p50/p99"
    ) { context in
        let rounds = 5000
        let frameBytes = 32
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let transport = try SerialTransport(path: terminal.devicePath)
        defer { transport.close() }
        let echo = SerialEcho(fd: terminal.controllerFD)
        echo.start()
        defer { echo.stop() }

        let frame = [UInt8]((0..<frameBytes).map { UInt8(1 + $0 % 250) })
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer { buffer.deallocate() }
        var samples: [Double] = []
        samples.reserveCapacity(rounds)
        for round in 0..<(rounds + 100) {
            let start = MonotonicClock.now()
            try frame.withUnsafeBytes { try transport.write($0) }
            var got = 0
            while got < frameBytes {
                let n = try transport.read(into: buffer, timeoutNanos: 1_000_000_000)
                guard n > 0 else { throw ReflexError(.timeout, "serial bench: no echo within 1 s") }
                got += n
            }
            if round >= 100 { samples.append(Double(MonotonicClock.now() - start) / 1000) }  // the first 100 warm up
        }
        samples.sort()
        func at(_ p: Double) -> Double { samples[min(samples.count - 1, Int((Double(samples.count) * p / 100).rounded(.up)) - 1)] }
        context.say(String(format: "serial: %d round trips of %d bytes through a pty: p50 %.1f µs  p99 %.1f µs  max %.1f µs",
                           rounds, frameBytes, at(50), at(99), samples.last ?? 0))
        return ["rounds": rounds, "frame_bytes": frameBytes, "p50_us": at(50), "p99_us": at(99), "max_us": samples.last ?? 0]
    }
}

/// Echoes every byte read on a non-blocking fd back to it, on its own thread.
final class SerialEcho: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)

    init(fd: Int32) { self.fd = fd }

    func start() {
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 256)
            while !shouldStop {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 50) > 0 else { continue }
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { continue }
                var offset = 0
                while offset < n {
                    let w = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, n - offset) }
                    if w > 0 { offset += w } else if errno != EAGAIN && errno != EINTR { break }
                }
            }
            done.signal()
        }.start()
    }

    private var shouldStop: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        done.wait()
    }
}
