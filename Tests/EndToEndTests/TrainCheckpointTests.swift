import Foundation
import NeuralNet
import PolicyRuntime
import XCTest

/// `reflex train` killed mid-run: the checkpoint on disk always loads, at most one checkpoint interval of
/// updates is lost, `--resume` carries on to the end of the budget — and ends with exactly the weights of a
/// run that was never interrupted. Ctrl-C (SIGINT) stops training, saves a checkpoint and writes the policy.
final class TrainCheckpointTests: XCTestCase {
    var workDir: URL!
    /// Pendulum PPO, 20 updates of 2,048 steps, the whole budget (no solved threshold), a checkpoint every 2.
    let interval = 2
    func trainArgs(_ runDir: String) -> [String] {
        ["train", "pendulum", "--algo", "ppo", "--seed", "3", "--steps", "40960", "--set", "ppo.solved_return=none",
         "--checkpoint-every", String(interval), "--run-dir", runDir, "--quiet", "--json"]
    }

    override func setUpWithError() throws {
        workDir = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: workDir)
    }

    /// Complete rows in the run's metrics.csv (one per update).
    func metricsRows(_ runDir: String) -> [String] {
        let text = (try? String(contentsOfFile: runDir + "/metrics.csv", encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().map(String.init)
            .filter { $0.split(separator: ",", omittingEmptySubsequences: false).count == 10 }
    }

    /// Starts training in `runDir`, waits until it has written `rows` updates, sends `signal`, waits for the exit.
    func interrupt(_ args: [String], runDir: String, afterRows rows: Int, signal: Int32) throws -> (status: Int32, stdout: String) {
        let process = ReflexBinary.start(args)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while metricsRows(runDir).count < rows && process.isRunning && Date() < deadline { usleep(2_000) }
        XCTAssertTrue(process.isRunning, "training ended before it could be interrupted after \(rows) updates")
        kill(process.processIdentifier, signal)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self))
    }

    /// `reflex train --resume`: the update it resumed at (from its "Resuming … at update U" line) and its summary.
    func resume(_ runDir: String) throws -> (update: Int, status: Int32, summary: [String: Any]) {
        let result = try ReflexBinary.run(["train", "pendulum", "--resume", runDir, "--quiet", "--json"], timeout: 300)
        let line = result.stderr.split(separator: "\n").first { $0.hasPrefix("Resuming") }.map(String.init) ?? ""
        let update = line.components(separatedBy: " at update ").dropFirst().first?.split(separator: ",").first.flatMap { Int($0) }
        XCTAssertNotNil(update, "no resume line in: \(result.stderr)")
        return (update ?? -1, result.status, try ReflexBinary.json(result.stdout))
    }

    /// The update the run folder's checkpoint holds, read straight from the file (so it is a whole, readable
    /// safetensors file), checked against the `written` updates: at most one interval behind.
    func checkpointUpdate(_ runDir: String, written: Int, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: runDir + "/checkpoint.safetensors"), file: file, line: line)
        let metadata = try Safetensors.decode([UInt8](data)).metadata
        let counters = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data((metadata["counters"] ?? "").utf8)) as? [String: Any], file: file, line: line)
        let update = try XCTUnwrap(counters["update"] as? Int, file: file, line: line)
        XCTAssertEqual(update % interval, 0, "checkpoints are taken every \(interval) updates", file: file, line: line)
        XCTAssertGreaterThanOrEqual(update, written - interval, "at most one interval lost: \(written) updates written", file: file, line: line)
        XCTAssertLessThanOrEqual(update, written, file: file, line: line)
        XCTAssertGreaterThan(update, 0, file: file, line: line)
        return update
    }

    func weights(_ path: String) throws -> [String: Tensor] { try PolicyFile.load(path: path).weights }

    func testSIGKILLLosesAtMostOneIntervalAndResumingEndsWhereAnUninterruptedRunEnds() throws {
        let reference = workDir.appendingPathComponent("whole").path
        let whole = try ReflexBinary.run(trainArgs(reference), timeout: 300)
        XCTAssertEqual(whole.status, 2, "whole budget, no solved threshold: exit status 2 (not solved)\n\(whole.stderr)")
        XCTAssertEqual(try ReflexBinary.json(whole.stdout)["env_steps"] as? Int, 40_960)

        let killed = workDir.appendingPathComponent("killed").path
        // Killed once fresh, once while resumed, then resumed to the end of the budget.
        var run = try interrupt(trainArgs(killed), runDir: killed, afterRows: 5, signal: SIGKILL)
        XCTAssertEqual(run.status, SIGKILL)
        _ = try checkpointUpdate(killed, written: metricsRows(killed).count)
        run = try interrupt(["train", "pendulum", "--resume", killed, "--quiet", "--json"], runDir: killed, afterRows: 12, signal: SIGKILL)
        XCTAssertEqual(run.status, SIGKILL)
        let saved = try checkpointUpdate(killed, written: metricsRows(killed).count)
        let (update, status, summary) = try resume(killed)
        XCTAssertEqual(update, saved)
        XCTAssertEqual(status, 2)
        XCTAssertEqual(summary["env_steps"] as? Int, 40_960)
        XCTAssertEqual(summary["interrupted"] as? Bool, false)
        XCTAssertEqual(try weights(killed + "/policy.safetensors"), try weights(reference + "/policy.safetensors"))
        let rows = metricsRows(killed)
        XCTAssertEqual(rows.count, 20, "one metrics row per update, none repeated")
        XCTAssertEqual(rows.last?.split(separator: ",").first, "40960")
    }

    func testSIGINTSavesWritesThePolicyAndResumesExactly() throws {
        let reference = workDir.appendingPathComponent("whole").path
        _ = try ReflexBinary.run(trainArgs(reference), timeout: 300)
        let stopped = workDir.appendingPathComponent("stopped").path
        let run = try interrupt(trainArgs(stopped), runDir: stopped, afterRows: 3, signal: SIGINT)
        XCTAssertEqual(run.status, 0, "an interrupted run exits normally")
        let summary = try ReflexBinary.json(run.stdout)
        XCTAssertEqual(summary["interrupted"] as? Bool, true)
        let steps = try XCTUnwrap(summary["env_steps"] as? Int)
        XCTAssertLessThan(steps, 40_960)
        XCTAssertNoThrow(try PolicyFile.load(path: stopped + "/policy.safetensors"))
        let (update, _, resumed) = try resume(stopped)
        XCTAssertEqual(update * 2_048, steps, "the checkpoint holds every update the stopped run finished")
        XCTAssertEqual(resumed["env_steps"] as? Int, 40_960)
        XCTAssertEqual(try weights(stopped + "/policy.safetensors"), try weights(reference + "/policy.safetensors"))
    }
}
