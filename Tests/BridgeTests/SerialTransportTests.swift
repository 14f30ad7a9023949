#if canImport(Glibc)
import Glibc
#endif
import Bridge
import ReflexCore
import XCTest

final class SerialTransportTests: XCTestCase {
    private func temporaryLink(_ name: String) -> String {
        let path = "/tmp/reflex-bridge-test-\(getpid())-\(name)"
        unlink(path)
        return path
    }

    func testMissingPathGivesClearLinkError() {
        XCTAssertThrowsError(try SerialTransport(path: "/dev/ttyUSB9")) { error in
            guard let error = error as? ReflexError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, .link)
            XCTAssertTrue(error.message.contains("/dev/ttyUSB9: no such port"), error.message)
        }
    }

    func testNonTerminalIsRefused() {
        XCTAssertThrowsError(try SerialTransport(path: "/dev/null")) { error in
            XCTAssertEqual((error as? ReflexError)?.code, .link)
        }
    }

    func testPseudoTerminalRoundTrip() throws {
        let link = temporaryLink("roundtrip")
        let pty = try PseudoTerminal(linkPath: link)
        defer { pty.close() }
        XCTAssertTrue(pty.devicePath.hasPrefix("/dev/pts/"))
        let transport = try SerialTransport(path: link)
        defer { transport.close() }
        XCTAssertEqual(transport.backend, .posixTerminal)

        // Host → controller: every byte value, unchanged (raw mode: no echo, no translation).
        let all = (0...255).map { UInt8($0) }
        try all.withUnsafeBytes { try transport.write($0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while received.count < all.count {
            var pfd = pollfd(fd: pty.controllerFD, events: Int16(POLLIN), revents: 0)
            XCTAssertEqual(poll(&pfd, 1, 2000), 1)
            let n = read(pty.controllerFD, &buffer, buffer.count)
            XCTAssertGreaterThan(n, 0)
            received += buffer[0..<max(n, 0)]
        }
        XCTAssertEqual(received, all)

        // Controller → host, through the transport's read with a timeout.
        let frame = try Message.sensors(Sensors(timestampMicros: 1, status: [], values: [1, 2])).frame(sequence: 3)
        XCTAssertEqual(write(pty.controllerFD, frame, frame.count), frame.count)
        var got: [UInt8] = []
        let decoder = FrameDecoder()
        var messages: [Envelope] = []
        while messages.isEmpty {
            let n = try buffer.withUnsafeMutableBytes { try transport.read(into: $0, timeoutNanos: 2_000_000_000) }
            XCTAssertGreaterThan(n, 0)
            got += buffer[0..<n]
            messages = decoder.feed(Array(buffer[0..<n]))
        }
        XCTAssertEqual(got, frame)
        XCTAssertEqual(messages.first?.sequence, 3)

        // Nothing more: a read times out with 0.
        let n = try buffer.withUnsafeMutableBytes { try transport.read(into: $0, timeoutNanos: 5_000_000) }
        XCTAssertEqual(n, 0)
    }

    func testHostSeesHangUpWhenControllerCloses() throws {
        let link = temporaryLink("hangup")
        let pty = try PseudoTerminal(linkPath: link)
        let transport = try SerialTransport(path: link)
        defer { transport.close() }
        pty.close()
        XCTAssertNil(PseudoTerminalTestHelpers.lstatExists(link) ? "link still there" : nil)
        var buffer = [UInt8](repeating: 0, count: 16)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try transport.read(into: $0, timeoutNanos: 1_000_000_000) }) { error in
            XCTAssertEqual((error as? ReflexError)?.code, .link)
        }
    }

    func testLinkPathRules() throws {
        let link = temporaryLink("rules")
        // A regular file is never replaced.
        XCTAssertTrue(FileManager.default.createFile(atPath: link, contents: Data()))
        XCTAssertThrowsError(try PseudoTerminal(linkPath: link)) { error in
            XCTAssertEqual((error as? ReflexError)?.code, .invalidArgument)
        }
        unlink(link)
        // A stale symlink (left by a killed process) is replaced.
        XCTAssertEqual(symlink("/dev/pts/does-not-exist", link), 0)
        let pty = try PseudoTerminal(linkPath: link)
        XCTAssertEqual(SerialTransportTests.target(of: link), pty.devicePath)
        // A live link is refused.
        XCTAssertThrowsError(try PseudoTerminal(linkPath: link))
        pty.close()
        XCTAssertFalse(PseudoTerminalTestHelpers.lstatExists(link))
    }

    static func target(of link: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(link, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(cString: buffer)
    }
}

enum PseudoTerminalTestHelpers {
    static func lstatExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
