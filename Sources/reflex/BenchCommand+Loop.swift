import Foundation
import ReflexCore

extension BenchRow {
    /// `reflex run --realtime` against the virtual robot at 1 kHz, next to `cyclictest` at the same interval,
    /// priority and CPU in the same bench run (one after the other, so they do not compete for the CPU).
    ///
    /// Seconds per measurement: 60, or `REFLEX_BENCH_LOOP_SECONDS`.
    static let loop = BenchRow(
        name: "loop",
        summary: "reflex run --realtime at 1 kHz vs cyclictest (same interval, priority, CPU): lateness p50/p99/p99.9/max, p99 ratio, inference and filter time per tick"
    ) { context in
        let seconds = try LoopBench.seconds()
        let priority: Int32 = 80
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let cpu = max(0, cpus - 1)
        let intervalMicros = 1000
        context.say("loop: \(seconds) s each at \(intervalMicros) µs, SCHED_FIFO \(priority), CPU \(cpu)")

        let cyclic = try LoopBench.cyclictest(seconds: seconds, intervalMicros: intervalMicros, priority: priority, cpu: cpu)
        let run = try LoopBench.reflexRun(seconds: seconds, periodMicros: intervalMicros, priority: priority, cpu: cpu)
        let ratio = cyclic.p99 > 0 ? Double(run.p99) / Double(cyclic.p99) : .nan
        func row(_ label: String, _ values: [String]) -> String {
            "  " + label.padding(toLength: 24, withPad: " ", startingAt: 0)
                + values.map { String(repeating: " ", count: max(0, 8 - $0.count)) + $0 }.joined(separator: " ")
        }
        context.say(row("lateness µs", ["p50", "p99", "p99.9", "max"]))
        context.say(row("cyclictest", [cyclic.p50, cyclic.p99, cyclic.p999, cyclic.max].map { "\($0)" }))
        context.say(row("reflex run --realtime", [run.p50, run.p99, run.p999, run.max].map { "\($0)" }))
        context.say(String(format: "  p99 ratio reflex/cyclictest %.2f (goal ≤ 1.5)", ratio))
        context.say(String(
            format: "  per tick: inference p50 %.1f µs p99 %.1f µs; filter p50 %.2f µs p99 %.2f µs; %d ticks, %d overruns, %d stale reads",
            run.actP50 / 1000, run.actP99 / 1000, run.filterP50 / 1000, run.filterP99 / 1000, run.ticks, run.overruns, run.staleReads))
        if run.outcome != "upright" {
            context.say("  (the pole fell during the run — the plant runs 20× faster than real time at 1 kHz; the loop ran on to the end)")
        }
        if run.linkLosses > 0 { context.say("  link lost \(run.linkLosses)× during the run (the virtual robot stalled > 1 s)") }
        if !run.realtimeRefused.isEmpty { context.say("  refused: " + run.realtimeRefused.joined(separator: "; ")) }
        return [
            "seconds": seconds, "interval_us": intervalMicros, "priority": priority, "cpu": cpu,
            "cyclictest_us": ["p50": cyclic.p50, "p99": cyclic.p99, "p999": cyclic.p999, "max": cyclic.max, "samples": cyclic.samples],
            "reflex_us": ["p50": run.p50, "p99": run.p99, "p999": run.p999, "max": run.max],
            "p99_ratio": ratio, "ticks": run.ticks, "overruns": run.overruns, "stale_reads": run.staleReads,
            "inference_ns": ["p50": run.actP50, "p99": run.actP99], "filter_ns": ["p50": run.filterP50, "p99": run.filterP99],
            "outcome": run.outcome, "realtime_refused": run.realtimeRefused, "link_losses": run.linkLosses,
        ]
    }
}

/// The pieces of the `loop` bench row.
enum LoopBench {
    struct Latency { var p50: UInt64, p99: UInt64, p999: UInt64, max: UInt64, samples: UInt64 }

    struct RunFigures {
        var p50: UInt64 = 0, p99: UInt64 = 0, p999: UInt64 = 0, max: UInt64 = 0
        var actP50 = 0.0, actP99 = 0.0, filterP50 = 0.0, filterP99 = 0.0
        var ticks = 0, overruns = 0, staleReads = 0, linkLosses = 0
        var outcome = ""
        var realtimeRefused: [String] = []
    }

    static func seconds() throws -> Int {
        guard let text = ProcessInfo.processInfo.environment["REFLEX_BENCH_LOOP_SECONDS"] else { return 60 }
        guard let value = Int(text), value >= 1 else {
            throw ReflexError(.invalidArgument, "REFLEX_BENCH_LOOP_SECONDS must be a whole number of seconds ≥ 1, got \"\(text)\"")
        }
        return value
    }

    /// `cyclictest` with a 1 µs histogram; percentiles from the histogram (overflows count as the max).
    static func cyclictest(seconds: Int, intervalMicros: Int, priority: Int32, cpu: Int) throws -> Latency {
        let args = ["-m", "-p", "\(priority)", "-i", "\(intervalMicros)", "-a", "\(cpu)", "-t", "1", "-D", "\(seconds)", "-q", "-h", "20000"]
        let output = try runTool(findTool("cyclictest", hint: "install rt-tests (apt-get install rt-tests)"), args, timeout: Double(seconds) + 30)
        var buckets: [(UInt64, UInt64)] = []
        var maxLatency: UInt64 = 0
        var overflows: UInt64 = 0
        for line in output.split(separator: "\n") {
            if line.hasPrefix("# Max Latencies:") {
                maxLatency = UInt64(line.split(separator: " ").last.map(String.init) ?? "") ?? 0
            } else if line.hasPrefix("# Histogram Overflows:") {
                overflows = UInt64(line.split(separator: " ").last.map(String.init) ?? "") ?? 0
            } else if !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let v = UInt64(parts[0]), let c = UInt64(parts[1]), c > 0 { buckets.append((v, c)) }
            }
        }
        let total = buckets.reduce(overflows) { $0 + $1.1 }
        guard total > 0 else { throw ReflexError(.io, "cyclictest printed no histogram (was it refused SCHED_FIFO? output: \(output.prefix(300)))") }
        func percentile(_ p: Double) -> UInt64 {
            let rank = UInt64((Double(total) * p / 100).rounded(.up))
            var seen: UInt64 = 0
            for (value, count) in buckets {
                seen += count
                if seen >= rank { return value }
            }
            return maxLatency
        }
        return Latency(p50: percentile(50), p99: percentile(99), p999: percentile(99.9), max: maxLatency, samples: total)
    }

    /// A virtual robot serving at `periodMicros`, and `reflex run --realtime` against it.
    static func reflexRun(seconds: Int, periodMicros: Int, priority: Int32, cpu: Int) throws -> RunFigures {
        let reflex = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let policy = "policies/cartpole.safetensors"
        guard FileManager.default.fileExists(atPath: policy) else {
            throw ReflexError(.invalidArgument, "\(policy) not found: run the loop bench from the package root (make bench does)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-bench-loop-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("robot.tty").path
        let robot = Process()
        let robotArgs = ["virtual-robot", "cartpole", "--link", link, "--period-us", "\(periodMicros)", "--quiet"]
        // The robot stands for separate hardware that never stalls: keep it off the loop's CPU when there is
        // another one, and give it SCHED_FIFO just below the loop (when chrt and the permission are there).
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var launcher: [String] = []
        if let chrt = try? findTool("chrt", hint: ""), getuid() == 0 { launcher += [chrt, "-f", "\(priority - 10)"] }
        if cpus > 1, let taskset = try? findTool("taskset", hint: "") { launcher += [taskset, "-c", "\(cpu == 0 ? 1 : 0)"] }
        let command = launcher + [reflex] + robotArgs
        robot.executableURL = URL(fileURLWithPath: command[0])
        robot.arguments = Array(command.dropFirst())
        robot.standardOutput = FileHandle.nullDevice
        try robot.run()
        defer {
            if robot.isRunning {
                robot.terminate()
                robot.waitUntilExit()
            }
        }
        let deadline = Date().addingTimeInterval(10)
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil {
            guard robot.isRunning, Date() < deadline else { throw ReflexError(.timeout, "virtual robot never published \(link)") }
            usleep(10_000)
        }
        let output = try runTool(
            reflex,
            ["run", "--policy", policy, "--port", link, "--duration", "\(seconds)", "--realtime", "--priority", "\(priority)",
             "--cpu", "\(cpu)", "--status", "never", "--json", "--rearm", "--link-timeout-periods", "1000",
             "--run-through-failure"],
            timeout: Double(seconds) + 30, acceptExit: [0, 3, 5])
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        guard let report = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ReflexError(.io, "reflex run printed no JSON report: \(output.prefix(300))")
        }
        func u(_ object: Any?, _ key: String) -> UInt64 { ((object as? [String: Any])?[key] as? NSNumber)?.uint64Value ?? 0 }
        let lateness = report["lateness_us"]
        let phases = report["phase_ns"] as? [String: Any]
        var figures = RunFigures()
        figures.p50 = u(lateness, "p50")
        figures.p99 = u(lateness, "p99")
        figures.p999 = u(lateness, "p999")
        figures.max = u(lateness, "max")
        figures.actP50 = Double(u(phases?["act"], "p50"))
        figures.actP99 = Double(u(phases?["act"], "p99"))
        figures.filterP50 = Double(u(phases?["filter"], "p50"))
        figures.filterP99 = Double(u(phases?["filter"], "p99"))
        figures.ticks = report["ticks"] as? Int ?? 0
        figures.overruns = report["overruns"] as? Int ?? 0
        figures.staleReads = report["stale_reads"] as? Int ?? 0
        figures.outcome = report["outcome"] as? String ?? "?"
        figures.linkLosses = report["link_losses"] as? Int ?? 0
        figures.realtimeRefused = (report["realtime"] as? [String: Any])?["refused"] as? [String] ?? []
        return figures
    }

    static func findTool(_ name: String, hint: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs: [String] = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for dir in dirs {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ReflexError(.invalidArgument, "\(name) not found: \(hint)")
    }

    /// Runs a tool to completion and returns its stdout; throws with its stderr on an unexpected exit status.
    static func runTool(_ path: String, _ args: [String], timeout: Double, acceptExit: Set<Int32> = [0]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let errBox = ErrorText()
        let errDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            errDone.signal()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        process.waitUntilExit()
        watchdog.cancel()
        guard acceptExit.contains(process.terminationStatus) else {
            throw ReflexError(.io, "\((path as NSString).lastPathComponent) \(args.joined(separator: " ")) exited with \(process.terminationStatus): \(String(decoding: errBox.data, as: UTF8.self).prefix(400))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    final class ErrorText: @unchecked Sendable { var data = Data() }
}
