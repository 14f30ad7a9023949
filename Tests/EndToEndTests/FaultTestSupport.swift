import Foundation
import XCTest

/// A `reflex` child process whose output is collected as it arrives, so a test can wait for a line
/// (an event) instead of sleeping.
final class ObservedProcess: @unchecked Sendable {
    let process: Process
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let outDone = DispatchSemaphore(value: 0)
    private let errDone = DispatchSemaphore(value: 0)

    init(_ args: [String]) throws {
        process = ReflexBinary.start(args)
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        for (pipe, isOut) in [(outPipe, true), (errPipe, false)] {
            let handle = pipe.fileHandleForReading
            DispatchQueue.global().async { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    lock.lock()
                    if isOut { out.append(chunk) } else { err.append(chunk) }
                    lock.unlock()
                }
                (isOut ? outDone : errDone).signal()
            }
        }
    }

    var stdout: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: out, as: UTF8.self)
    }

    var stderr: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: err, as: UTF8.self)
    }

    /// Waits until stdout (or stderr) contains `text` `occurrences` times; fails the test after `timeout` seconds.
    func waitFor(
        _ text: String, occurrences: Int = 1, inStderr: Bool = false, timeout: TimeInterval = 10, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        let deadline = Date().addingTimeInterval(timeout)
        while (inStderr ? stderr : stdout).components(separatedBy: text).count - 1 < occurrences {
            guard Date() < deadline, process.isRunning else {
                XCTFail("no \"\(text)\" ×\(occurrences) in output: \(stdout) \(stderr)", file: file, line: line)
                return
            }
            usleep(10_000)  // polling for an event line, not waiting out a race
        }
    }

    /// Waits for the process to exit (terminating it after `timeout`) and for its output to be complete.
    @discardableResult
    func wait(timeout: TimeInterval = 60) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            XCTFail("reflex \(process.arguments?.joined(separator: " ") ?? "") did not finish within \(timeout) s")
            process.terminate()
        }
        process.waitUntilExit()
        outDone.wait()
        errDone.wait()
        return process.terminationStatus
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// The last line of stdout as a JSON object (`reflex run --json`).
    func json() throws -> [String: Any] { try ReflexBinary.json(stdout) }
}

/// A virtual robot on a link in a per-test directory, started and stopped by the test.
final class RobotFixture {
    let link: String
    private(set) var robot: ObservedProcess?
    let extra: [String]

    init(directory: URL, extra: [String] = []) {
        link = directory.appendingPathComponent("robot.tty").path
        self.extra = extra
    }

    /// Starts the robot (events printed) and waits until its link is published.
    @discardableResult
    func start() throws -> ObservedProcess {
        let process = try ObservedProcess(["virtual-robot", "cartpole", "--link", link] + extra)
        process.waitFor("listening on")
        robot = process
        return process
    }

    /// SIGTERM and wait: the robot removes its link.
    func stop() {
        guard let robot, robot.process.isRunning else { return }
        robot.signal(SIGTERM)
        robot.wait()
    }
}
