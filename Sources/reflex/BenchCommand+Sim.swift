import Foundation
import ReflexCore
import Simulation

extension BenchRow {
    /// Simulator throughput: single environments through the `Environment` API, vectorized environments
    /// on every core, and Gymnasium's reference environments stepped in the same run for the ratio.
    ///
    /// The machine may be shared, so every figure is the best and the median of several short windows,
    /// Gymnasium's as well.
    static let sim = BenchRow(
        name: "sim",
        summary: "environment steps/s: single and vectorized (cartpole, pendulum, cartpole-rig, furuta), with Gymnasium's CartPole-v1 and Pendulum-v1 in the same run"
    ) { context in
        let threads = ProcessInfo.processInfo.activeProcessorCount
        context.say("sim: environment steps per second: best (median) of \(SimRate.windows) windows of \(SimRate.window) s, then per CPU-second of the process")
        context.say("  single: one copy, alternate actions, reset at episode ends; vector: copies × steps on \(threads) threads, seeded random actions")
        var vector: [String: SimRate] = [:]
        // Gymnasium's single environments step in a Python process beside us, a window of theirs after
        // each window of ours, so a change in the machine's speed during the run hits both sides alike.
        let prepared = GymnasiumReference.prepare()
        let stepper = prepared.python.map(GymnasiumReference.Stepper.init(python:))
        func reference(_ key: String) -> (() -> SimWindow?)? { stepper.map { s in { s.window(key) } } }
        var single: [String: SingleRates] = [:]
        var cartpole = try CartPoleEnvironment(description: RobotDescription.bundled(named: "cartpole"))
        single["cartpole"] = singleRates(&cartpole, reference: reference("cartpole")) { .discrete($0 & 1) }
        var pendulum = try PendulumEnvironment(description: RobotDescription.bundled(named: "pendulum"))
        single["pendulum"] = singleRates(&pendulum, reference: reference("pendulum")) { .continuous([$0 & 1 == 0 ? 1 : -1]) }
        var rig = try PlantEnvironment<CartPoleRigModel>(description: RobotDescription.bundled(named: "cartpole-rig"))
        single["cartpole-rig"] = singleRates(&rig, reference: nil) { .continuous([$0 & 1 == 0 ? 0.5 : -0.5]) }
        var furuta = try PlantEnvironment<FurutaModel>(description: RobotDescription.bundled(named: "furuta"))
        single["furuta"] = singleRates(&furuta, reference: nil) { .continuous([$0 & 1 == 0 ? 2 : -2]) }
        let stepperProblem = stepper?.close() ?? nil

        let copies = 4096
        var g = SeededGenerator(seed: 1)
        // Eight sets of random actions, cycled, so episodes end as they do under an untrained policy.
        let discrete = (0..<8).map { _ in (0..<copies).map { _ in Int32(g.next() & 1) } }
        let unit = (0..<8).map { _ in (0..<copies).map { _ in Float(g.nextUnit() * 2 - 1) } }
        let cartpoleModel = try CartPoleModel(description: RobotDescription.bundled(named: "cartpole"))
        var cartpoleOneThread = SimRate()
        var cartpoleEpisodes = (count: 0, steps: 0)
        for (label, n) in [("cartpole", threads), ("cartpole 1 thread", 1)] {
            let env = CartPoleVectorEnvironment(model: cartpoleModel, count: copies, threads: n)
            env.reset(seed: 1)
            var t = 0
            // The results are read every step: the episodes that ended and their lengths.
            var episodes = 0, episodeSteps = 0
            let rate = SimRate.measure(copies) {
                env.step(discrete[t & 7])
                t += 1
                for e in env.finishedEpisodes { episodeSteps += e.length }
                episodes += env.finishedEpisodes.count
            }
            if label == "cartpole" { vector["cartpole"] = rate; cartpoleEpisodes = (episodes, episodeSteps) } else { cartpoleOneThread = rate }
        }
        let pendulumVector = PendulumVectorEnvironment(
            model: try PendulumModel(description: RobotDescription.bundled(named: "pendulum")), count: copies, threads: threads)
        pendulumVector.reset(seed: 1)
        let torques = unit.map { $0.map { $0 * 2 } }
        var t = 0
        vector["pendulum"] = SimRate.measure(copies) { pendulumVector.step(torques[t & 7]); t += 1 }
        let rigVector = try PlantVectorEnvironment(
            model: CartPoleRigModel(description: RobotDescription.bundled(named: "cartpole-rig")), count: copies, threads: threads)
        rigVector.reset(seed: 1)
        vector["cartpole-rig"] = SimRate.measure(copies) { rigVector.step(unit[t & 7]); t += 1 }
        let furutaVector = try PlantVectorEnvironment(
            model: FurutaModel(description: RobotDescription.bundled(named: "furuta")), count: copies, threads: threads)
        furutaVector.reset(seed: 1)
        let volts = unit.map { $0.map { $0 * 5 } }
        vector["furuta"] = SimRate.measure(copies) { furutaVector.step(volts[t & 7]); t += 1 }

        let pools: (rates: [String: SimRate], problem: String?) = prepared.python.map(GymnasiumReference.envPool) ?? ([:], nil)
        var table: [[String: Any]] = []
        context.say("  robot         single (median) CPU        array API (median) CPU     vector, \(copies) copies        Gymnasium single        ratio best, median, CPU, paired")
        for name in ["cartpole", "pendulum", "cartpole-rig", "furuta"] {
            let rates = single[name] ?? SingleRates(), vectorRate = vector[name] ?? SimRate()
            let ours = rates.buffer
            var row: [String: Any] = [
                "robot": name, "single": ours.best, "single_median": ours.median, "single_cpu": ours.cpu,
                "single_array": rates.array.best, "single_array_median": rates.array.median, "single_array_cpu": rates.array.cpu,
                "vector": vectorRate.best, "vector_median": vectorRate.median, "vector_cpu": vectorRate.cpu, "vector_threads": threads,
            ]
            var referenceText = "—", ratio = "—"
            if let gym = rates.reference {
                let paired = rates.pairedRatio
                row["gymnasium_single"] = gym.best
                row["gymnasium_single_median"] = gym.median
                row["gymnasium_single_cpu"] = gym.cpu
                row["ratio_single"] = ours.best / gym.best
                row["ratio_single_median"] = ours.median / gym.median
                row["ratio_single_cpu"] = ours.cpu / gym.cpu
                row["ratio_single_paired"] = paired
                row["ratio_single_array_paired"] = rates.pairedArrayRatio
                referenceText = gym.text
                ratio = String(format: "%.0f×, %.0f×, %.0f×, %.0f× (array API %.0f×)", ours.best / gym.best, ours.median / gym.median,
                               ours.cpu / gym.cpu, paired, rates.pairedArrayRatio)
            }
            table.append(row)
            context.say("  " + [name.padded(13), ours.text.padded(26), rates.array.text.padded(26), vectorRate.text.padded(26),
                                referenceText.padded(23), ratio].joined(separator: " "))
        }
        context.say("  single: step(_:observation:) into the caller's buffer; array API: step(_:) returning the observation array; paired: median over windows of ours ÷ Gymnasium's next window")
        let best = vector["cartpole"]?.best ?? 0, median = vector["cartpole"]?.median ?? 0
        context.say(String(
            format: "  vectorized cartpole: %.1f M steps/s on %d threads (median %.1f M, %.1f M per CPU-second; 1 thread: %.1f M, median %.1f M, %.1f M per CPU-second); %d episodes ended, mean length %.1f",
            best / 1e6, threads, median / 1e6, (vector["cartpole"]?.cpu ?? 0) / 1e6,
            cartpoleOneThread.best / 1e6, cartpoleOneThread.median / 1e6, cartpoleOneThread.cpu / 1e6,
            cartpoleEpisodes.count, Double(cartpoleEpisodes.steps) / Double(max(cartpoleEpisodes.count, 1))))
        var result: [String: Any] = [
            "copies": copies, "threads": threads, "robots": table,
            "vector_cartpole_one_thread": cartpoleOneThread.best, "vector_cartpole_one_thread_median": cartpoleOneThread.median,
            "vector_cartpole_one_thread_cpu": cartpoleOneThread.cpu,
            "vector_cartpole_episodes": cartpoleEpisodes.count, "vector_cartpole_episode_steps": cartpoleEpisodes.steps,
        ]
        if let pool = pools.rates["envpool_64"] {
            let pool4096 = pools.rates["envpool_4096"] ?? SimRate()
            context.say(String(
                format: "  EnvPool CartPole-v1 in this run, %d threads: 64 copies %@, 4096 copies %@ → vectorized cartpole = %.0f× (median %.0f×, per CPU-second %.0f×) EnvPool at 64 copies",
                threads, pool.text, pool4096.text, best / pool.best, median / pool.median, (vector["cartpole"]?.cpu ?? 0) / max(pool.cpu, 1)))
            result["envpool_64_cpu"] = pool.cpu
            result["envpool_64"] = pool.best
            result["envpool_64_median"] = pool.median
            result["envpool_4096"] = pool4096.best
            result["ratio_vector_cartpole_envpool"] = best / pool.best
            result["ratio_vector_cartpole_envpool_median"] = median / pool.median
        } else {
            let reference = 380_000.0
            context.say(String(
                format: "  EnvPool not measured in this run; against issue 4's figure for this machine (≈380 k steps/s at 64 copies): %.0f×", best / reference))
            result["envpool_reference"] = reference
            result["ratio_vector_cartpole_envpool_reference"] = best / reference
        }
        for problem in [prepared.problem, stepperProblem, pools.problem].compactMap({ $0 }) {
            context.say("  reference not measured: \(problem)")
            result["gymnasium_error"] = problem
        }
        return result
    }
}

/// A throughput measured over several short windows: the best shows the code, the median the machine.
/// `cpu` divides by the process's CPU time instead of the wall clock (all its threads), which a shared
/// machine disturbs far less: it is what the code does per second of a core it actually gets.
struct SimRate {
    static let windows = 7
    static let window = 0.15
    var best = 0.0
    var median = 0.0
    /// Steps per CPU-second over all windows.
    var cpu = 0.0

    init(best: Double = 0, median: Double = 0, cpu: Double = 0) {
        self.best = best
        self.median = median
        self.cpu = cpu
    }

    init(_ rates: [Double], cpu: Double) {
        let sorted = rates.sorted()
        best = sorted.last ?? 0
        median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        self.cpu = cpu
    }

    var text: String { "\(Self.format(best)) (\(Self.format(median))) \(Self.format(cpu))" }

    /// CPU time of the whole process so far, in seconds.
    static func processCPUTime() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func format(_ rate: Double) -> String {
        rate >= 1e6 ? String(format: "%.2f M", rate / 1e6) : String(format: "%.0f k", rate / 1e3)
    }

    /// Calls `body` (which makes `steps` steps) for `windows` windows; steps per second in each.
    static func measure(_ steps: Int, _ body: () -> Void) -> SimRate {
        body()
        var rates: [Double] = []
        var total = 0
        let cpuStart = processCPUTime()
        for _ in 0..<windows {
            var calls = 0
            let start = MonotonicClock.now()
            var now = start
            while Double(now - start) < window * 1e9 {
                body()
                calls += 1
                now = MonotonicClock.now()
            }
            rates.append(Double(calls * steps) / (Double(now - start) / 1e9))
            total += calls * steps
        }
        return SimRate(rates, cpu: Double(total) / max(processCPUTime() - cpuStart, 1e-9))
    }
}

private extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

/// One measurement window: steps made, wall seconds and CPU seconds they took.
struct SimWindow {
    var steps = 0
    var seconds = 0.0
    var cpuSeconds = 0.0
    var rate: Double { Double(steps) / max(seconds, 1e-9) }
}

extension SimRate {
    /// Best and median of the windows' rates; CPU rate over all of them.
    init(windows: [SimWindow]) {
        self.init(windows.map(\.rate), cpu: Double(windows.reduce(0) { $0 + $1.steps }) / max(windows.reduce(0) { $0 + $1.cpuSeconds }, 1e-9))
    }
}

/// A single environment's rates through both step APIs, and the reference's measured between them.
struct SingleRates {
    var buffer = SimRate()
    var array = SimRate()
    var reference: SimRate?
    /// Median over windows of ours ÷ the reference's window that followed it.
    var pairedRatio = 0.0
    var pairedArrayRatio = 0.0
}

/// Steps `env` (alternate actions, reset at episode ends) in windows of `SimRate.window` seconds: through
/// `step(_:observation:)`, through `step(_:)`, then a window of the reference (when given), `SimRate.windows`
/// times after one warm-up round.
private func singleRates<E: Environment>(_ env: inout E, reference: (() -> SimWindow?)?, action: (Int) -> Action) -> SingleRates {
    _ = env.reset(seed: 1)
    var steps = 0
    var buffer = [Float](repeating: 0, count: env.observationChannels.count)
    func window(_ stepThousand: () -> Void) -> SimWindow {
        var done = 0
        let cpuStart = SimRate.processCPUTime()
        let start = MonotonicClock.now()
        var now = start
        while Double(now - start) < SimRate.window * 1e9 {
            stepThousand()
            done += 1000
            now = MonotonicClock.now()
        }
        return SimWindow(steps: done, seconds: Double(now - start) / 1e9, cpuSeconds: SimRate.processCPUTime() - cpuStart)
    }
    var buffered: [SimWindow] = [], arrays: [SimWindow] = [], references: [SimWindow] = []
    for round in 0...SimRate.windows {
        let b = buffer.withUnsafeMutableBufferPointer { out in
            window {
                for _ in 0..<1000 {
                    let outcome = env.step(action(steps), observation: out)
                    steps += 1
                    if outcome.terminated || outcome.truncated { _ = env.reset(seed: nil) }
                }
            }
        }
        let a = window {
            for _ in 0..<1000 {
                let step = env.step(action(steps))
                steps += 1
                if step.terminated || step.truncated { _ = env.reset(seed: nil) }
            }
        }
        let r = reference?()
        if round == 0 { continue }
        buffered.append(b)
        arrays.append(a)
        if let r { references.append(r) }
    }
    var rates = SingleRates(buffer: SimRate(windows: buffered), array: SimRate(windows: arrays))
    if references.count == buffered.count, !references.isEmpty {
        rates.reference = SimRate(windows: references)
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        rates.pairedRatio = median(zip(buffered, references).map { $0.rate / $1.rate })
        rates.pairedArrayRatio = median(zip(arrays, references).map { $0.rate / $1.rate })
    }
    return rates
}

/// Gymnasium's CartPole-v1 and Pendulum-v1, and EnvPool's vectorized CartPole-v1, stepped by Python in the
/// same run, from a small virtual environment the bench creates when missing (`.build/bench-venv`,
/// gymnasium and envpool from PyPI). Without EnvPool the figures still come, against a quoted reference.
enum GymnasiumReference {
    static let venv = ".build/bench-venv"

    /// Answers one line per request: the key of an environment in, one window of its steps out (JSON).
    static let stepperScript = """
        import json, sys, time, gymnasium as gym
        import numpy as np
        envs = {}
        for key, env_id, actions in (("cartpole", "CartPole-v1", (0, 1)), ("pendulum", "Pendulum-v1", ([1.0], [-1.0]))):
            env = gym.make(env_id)
            env.reset(seed=1)
            envs[key] = [env, [np.array(a, dtype=np.float32) if isinstance(a, list) else a for a in actions], 0]
        print("ready", flush=True)
        for line in sys.stdin:
            entry = envs[line.strip()]
            env, acts, steps = entry
            done, cpu, start = 0, time.process_time(), time.perf_counter()
            while time.perf_counter() - start < \(SimRate.window):
                for _ in range(1000):
                    _, _, terminated, truncated, _ = env.step(acts[steps & 1])
                    steps += 1
                    if terminated or truncated:
                        env.reset()
                done += 1000
            seconds = time.perf_counter() - start
            entry[2] = steps
            print(json.dumps({"steps": done, "seconds": seconds, "cpu": time.process_time() - cpu}), flush=True)
        """

    static let envPoolScript = """
        import json, time
        import numpy as np
        rates = {}
        try:
            import envpool
            for n in (64, 4096):
                env = envpool.make("CartPole-v1", env_type="gymnasium", num_envs=n, batch_size=n, num_threads=\(ProcessInfo.processInfo.activeProcessorCount), seed=1)
                env.reset()
                rng = np.random.default_rng(1)
                acts = [rng.integers(0, 2, n, dtype=np.int32) for _ in range(8)]
                windows, calls, cpu = [], 0, time.process_time()
                for _ in range(\(SimRate.windows)):
                    done, start = 0, time.perf_counter()
                    while time.perf_counter() - start < \(SimRate.window):
                        env.step(acts[calls & 7])
                        calls += 1
                        done += n
                    windows.append(done / (time.perf_counter() - start))
                rates["envpool_%d" % n] = {"wall": windows, "cpu": calls * n / max(time.process_time() - cpu, 1e-9)}
        except ImportError:
            pass
        print(json.dumps(rates))
        """

    /// The virtual environment's Python with gymnasium (and, when it installs, envpool); or the problem.
    static func prepare() -> (python: String?, problem: String?) {
        let python = "\(venv)/bin/python"
        if !FileManager.default.isExecutableFile(atPath: python) {
            printError("sim: creating \(venv) with gymnasium for the reference figures (once)")
            guard run("/usr/bin/env", ["python3", "-m", "venv", venv]).status == 0 else {
                return (nil, "could not create \(venv) (python3 -m venv)")
            }
        }
        if run(python, ["-c", "import gymnasium"]).status != 0 {
            let install = run(python, ["-m", "pip", "install", "-q", "gymnasium"])
            guard install.status == 0 else { return (nil, "pip install gymnasium failed: \(install.output.suffix(300))") }
        }
        if run(python, ["-c", "import envpool"]).status != 0 {
            printError("sim: installing EnvPool into \(venv) for the vectorized reference (once)")
            let install = run(python, ["-m", "pip", "install", "-q", "envpool"])
            if install.status != 0 { return (python, "pip install envpool failed: \(install.output.suffix(200))") }
        }
        return (python, nil)
    }

    /// EnvPool's vectorized CartPole-v1 at 64 and 4096 copies.
    static func envPool(python: String) -> (rates: [String: SimRate], problem: String?) {
        let measured = run(python, ["-c", envPoolScript])
        guard measured.status == 0, let line = measured.output.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: Any]]
        else { return ([:], "the EnvPool script failed: \(measured.output.suffix(300))") }
        let rates = object.mapValues { SimRate($0["wall"] as? [Double] ?? [], cpu: $0["cpu"] as? Double ?? 0) }
        return (rates, object["envpool_64"] == nil ? "EnvPool did not import" : nil)
    }

    /// Gymnasium's single environments in a Python process that steps one window per request. When the
    /// process fails to start or stops answering, `window` returns nil and `close` says why (with the
    /// end of what Python printed to stderr).
    final class Stepper {
        private let process = Process()
        private let requests = Pipe()
        private let answers = Pipe()
        private let errors: URL
        private var pending: [UInt8] = []
        private var problem: String?

        init(python: String) {
            signal(SIGPIPE, SIG_IGN)  // a Python that died answers EPIPE, not a signal that ends the bench
            errors = FileManager.default.temporaryDirectory.appendingPathComponent("reflex-gymnasium-\(getpid()).log")
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", GymnasiumReference.stepperScript]
            // numpy's BLAS threads spin between calls; one environment never uses them, and spinning they
            // take a core from whichever side is measuring.
            var environment = ProcessInfo.processInfo.environment
            environment["OPENBLAS_NUM_THREADS"] = "1"
            environment["OMP_NUM_THREADS"] = "1"
            process.environment = environment
            process.standardInput = requests
            process.standardOutput = answers
            process.standardError = FileHandle(forWritingAtPath: errors.path)
            do {
                try process.run()
            } catch {
                problem = "could not start \(python): \(error)"
                return
            }
            if readLine() != "ready" { fail("the Gymnasium stepper did not start") }
        }

        /// One window of `key`'s steps; nil once the process has failed.
        func window(_ key: String) -> SimWindow? {
            guard problem == nil else { return nil }
            let request = Array("\(key)\n".utf8)
            let written = request.withUnsafeBytes { Glibc.write(requests.fileHandleForWriting.fileDescriptor, $0.baseAddress, $0.count) }
            guard written == request.count, let line = readLine(),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double],
                  let steps = object["steps"], let seconds = object["seconds"], let cpu = object["cpu"]
            else {
                fail("the Gymnasium stepper stopped answering (asked for \(key))")
                return nil
            }
            return SimWindow(steps: Int(steps), seconds: seconds, cpuSeconds: cpu)
        }

        /// Ends the process; the problem it had, if any.
        func close() -> String? {
            if problem == nil, process.isRunning {
                try? requests.fileHandleForWriting.close()
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(at: errors)
            return problem
        }

        /// Records the problem with the end of Python's stderr and stops the process. Not waited for: a
        /// process that inherited the pipes could keep Foundation from ever reporting the exit.
        private func fail(_ what: String) {
            if process.isRunning { process.terminate() }
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            let tail = stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            problem = tail.isEmpty ? what : "\(what): \(tail)"
        }

        /// The next line Python prints; nil when it exits, or prints nothing for `Self.patience` seconds (a
        /// window takes 0.15 s, starting up a few), so a stuck interpreter cannot hang the bench.
        private func readLine() -> String? {
            let deadline = MonotonicClock.now() + UInt64(Self.patience * 1e9)
            while true {
                if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    return line
                }
                let now = MonotonicClock.now()
                guard now < deadline else { return nil }
                var waiting = pollfd(fd: answers.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
                let ready = poll(&waiting, 1, Int32((deadline - now) / 1_000_000) + 1)
                if ready < 0 && errno == EINTR { continue }
                guard ready > 0 else { return nil }
                let chunk = answers.fileHandleForReading.availableData
                if chunk.isEmpty { return nil }
                pending += chunk
            }
        }

        /// Seconds to wait for any one line from Python.
        static let patience = 60.0
    }

    private static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(executable): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
