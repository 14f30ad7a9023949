import Foundation
import XCTest

/// Runs the built `reflex` executable, which sits next to the test bundle in the build folder.
enum ReflexBinary {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The `reflex` built with these tests: beside the test runner in the same build folder
    /// (`<scratch>/<config>/`), so a test run never picks up a binary from another build.
    static var url: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dirs = [Bundle(for: Marker.self).bundleURL, runner.deletingLastPathComponent()]
        dirs += dirs.map { $0.deletingLastPathComponent() }
        for dir in dirs {
            let candidate = dir.appendingPathComponent("reflex")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return packageRoot.appendingPathComponent(".build/release/reflex")
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `reflex args…` to completion from the package root.
    static func run(_ args: [String], timeout: TimeInterval = 120) throws -> Output {
        let process = start(args)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // A hung child is ended after `timeout`, which also ends the reads below.
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        // Drain stderr on another thread while this one drains stdout, so a chatty child never blocks.
        let errBox = DataBox()
        let errDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            errDone.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        let errData = errBox.data
        process.waitUntilExit()
        watchdog.cancel()
        if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM {
            XCTFail("reflex \(args.joined(separator: " ")) did not finish within \(timeout) s")
        }
        return Output(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A configured but not started process.
    static func start(_ args: [String]) -> Process {
        let process = Process()
        process.executableURL = url
        process.arguments = args
        process.currentDirectoryURL = packageRoot
        return process
    }

    static func json(_ text: String) throws -> [String: Any] {
        let line = text.split(separator: "\n").last.map(String.init) ?? ""
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw NSError(domain: "EndToEndTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "not a JSON object: \(text)"])
        }
        return object
    }

    final class Marker {}

    final class DataBox: @unchecked Sendable {
        var data = Data()
    }
}
