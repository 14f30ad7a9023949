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
        context.say("  single: one copy through Environment.step; vector: copies × steps on \(threads) threads, seeded random actions")
        var single: [String: SimRate] = [:]
        var vector: [String: SimRate] = [:]

        var cartpole = try CartPoleEnvironment(description: RobotDescription.bundled(named: "cartpole"))
        single["cartpole"] = stepsPerSecond(&cartpole) { .discrete($0 & 1) }
        var pendulum = try PendulumEnvironment(description: RobotDescription.bundled(named: "pendulum"))
        single["pendulum"] = stepsPerSecond(&pendulum) { .continuous([$0 & 1 == 0 ? 1 : -1]) }
        var rig = try PlantEnvironment<CartPoleRigModel>(description: RobotDescription.bundled(named: "cartpole-rig"))
        single["cartpole-rig"] = stepsPerSecond(&rig) { .continuous([$0 & 1 == 0 ? 0.5 : -0.5]) }
        var furuta = try PlantEnvironment<FurutaModel>(description: RobotDescription.bundled(named: "furuta"))
        single["furuta"] = stepsPerSecond(&furuta) { .continuous([$0 & 1 == 0 ? 2 : -2]) }

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

        let gymnasium = GymnasiumReference.stepsPerSecond()
        var table: [[String: Any]] = []
        context.say("  robot         single (median) CPU        vector, \(copies) copies        Gymnasium single          ratio best, median, CPU")
        for name in ["cartpole", "pendulum", "cartpole-rig", "furuta"] {
            let ours = single[name] ?? SimRate(), vectorRate = vector[name] ?? SimRate()
            var row: [String: Any] = [
                "robot": name, "single": ours.best, "single_median": ours.median, "single_cpu": ours.cpu,
                "vector": vectorRate.best, "vector_median": vectorRate.median, "vector_cpu": vectorRate.cpu, "vector_threads": threads,
            ]
            var reference = "—", ratio = "—"
            if let gym = gymnasium.rates[name] {
                row["gymnasium_single"] = gym.best
                row["gymnasium_single_median"] = gym.median
                row["ratio_single"] = ours.best / gym.best
                row["ratio_single_median"] = ours.median / gym.median
                row["gymnasium_single_cpu"] = gym.cpu
                row["ratio_single_cpu"] = ours.cpu / gym.cpu
                reference = gym.text
                ratio = String(format: "%.0f×, %.0f×, %.0f×", ours.best / gym.best, ours.median / gym.median, ours.cpu / gym.cpu)
            }
            table.append(row)
            context.say("  " + [name.padded(13), ours.text.padded(26), vectorRate.text.padded(26), reference.padded(25), ratio].joined(separator: " "))
        }
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
        if let pool = gymnasium.rates["envpool_64"] {
            let pool4096 = gymnasium.rates["envpool_4096"] ?? SimRate()
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
        if let problem = gymnasium.problem { context.say("  reference not measured: \(problem)") }
        if let problem = gymnasium.problem { result["gymnasium_error"] = problem }
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

/// Steps one environment (resetting when an episode ends) and returns steps/s.
private func stepsPerSecond<E: Environment>(_ env: inout E, action: (Int) -> Action) -> SimRate {
    _ = env.reset(seed: 1)
    var steps = 0
    return SimRate.measure(1000) {
        for _ in 0..<1000 {
            let step = env.step(action(steps))
            steps += 1
            if step.terminated || step.truncated { _ = env.reset(seed: nil) }
        }
    }
}

/// Gymnasium's CartPole-v1 and Pendulum-v1, and EnvPool's vectorized CartPole-v1, stepped by Python in the
/// same run, from a small virtual environment the bench creates when missing (`.build/bench-venv`,
/// gymnasium and envpool from PyPI). Without EnvPool the figures still come, against a quoted reference.
enum GymnasiumReference {
    static let venv = ".build/bench-venv"

    static let script = """
        import json, time, gymnasium as gym
        import numpy as np
        rates = {}
        for key, env_id, actions in (("cartpole", "CartPole-v1", (0, 1)), ("pendulum", "Pendulum-v1", ([1.0], [-1.0]))):
            env = gym.make(env_id)
            env.reset(seed=1)
            acts = [np.array(a, dtype=np.float32) if isinstance(a, list) else a for a in actions]
            steps, windows, cpu = 0, [], time.process_time()
            for _ in range(\(SimRate.windows)):
                done, start = 0, time.perf_counter()
                while time.perf_counter() - start < \(SimRate.window):
                    for _ in range(1000):
                        _, _, terminated, truncated, _ = env.step(acts[steps & 1])
                        steps += 1
                        if terminated or truncated:
                            env.reset()
                    done += 1000
                windows.append(done / (time.perf_counter() - start))
            rates[key] = {"wall": windows, "cpu": steps / max(time.process_time() - cpu, 1e-9)}
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

    static func stepsPerSecond() -> (rates: [String: SimRate], problem: String?) {
        let python = "\(venv)/bin/python"
        if !FileManager.default.isExecutableFile(atPath: python) {
            printError("sim: creating \(venv) with gymnasium for the reference figures (once)")
            guard run("/usr/bin/env", ["python3", "-m", "venv", venv]).status == 0 else {
                return ([:], "could not create \(venv) (python3 -m venv)")
            }
        }
        if run(python, ["-c", "import gymnasium"]).status != 0 {
            let install = run(python, ["-m", "pip", "install", "-q", "gymnasium"])
            guard install.status == 0 else { return ([:], "pip install gymnasium failed: \(install.output.suffix(300))") }
        }
        var envPoolProblem: String?
        if run(python, ["-c", "import envpool"]).status != 0 {
            printError("sim: installing EnvPool into \(venv) for the vectorized reference (once)")
            let install = run(python, ["-m", "pip", "install", "-q", "envpool"])
            if install.status != 0 { envPoolProblem = "pip install envpool failed: \(install.output.suffix(200))" }
        }
        let measured = run(python, ["-c", script])
        guard measured.status == 0, let line = measured.output.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: Any]]
        else { return ([:], "the Gymnasium script failed: \(measured.output.suffix(300))") }
        let rates = object.mapValues { SimRate($0["wall"] as? [Double] ?? [], cpu: $0["cpu"] as? Double ?? 0) }
        return (rates, object["envpool_64"] == nil ? envPoolProblem ?? "EnvPool did not import" : nil)
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
