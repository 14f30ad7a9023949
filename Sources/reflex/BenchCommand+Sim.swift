import Foundation
import ReflexCore
import Simulation

extension BenchRow {
    /// Simulator throughput: single environments through the `Environment` API, vectorized environments,
    /// and Gymnasium's reference environments stepped in the same run for the ratio.
    static let sim = BenchRow(
        name: "sim",
        summary: "environment steps/s: single and vectorized (cartpole, pendulum, cartpole-rig, furuta), with Gymnasium's CartPole-v1 and Pendulum-v1 in the same run"
    ) { context in
        context.say("sim: environment steps per second (single: one copy through Environment.step; vector: copies × steps)")
        var single: [String: Double] = [:]
        var vector: [String: Double] = [:]

        var cartpole = try CartPoleEnvironment(description: RobotDescription.bundled(named: "cartpole"))
        single["cartpole"] = stepsPerSecond(&cartpole) { .discrete($0 & 1) }
        var pendulum = try PendulumEnvironment(description: RobotDescription.bundled(named: "pendulum"))
        single["pendulum"] = stepsPerSecond(&pendulum) { .continuous([$0 & 1 == 0 ? 1 : -1]) }
        var rig = try PlantEnvironment<CartPoleRigModel>(description: RobotDescription.bundled(named: "cartpole-rig"))
        single["cartpole-rig"] = stepsPerSecond(&rig) { .continuous([$0 & 1 == 0 ? 0.5 : -0.5]) }
        var furuta = try PlantEnvironment<FurutaModel>(description: RobotDescription.bundled(named: "furuta"))
        single["furuta"] = stepsPerSecond(&furuta) { .continuous([$0 & 1 == 0 ? 2 : -2]) }

        let copies = 4096
        let cartpoleModel = try CartPoleModel(description: RobotDescription.bundled(named: "cartpole"))
        let cartpoleVector = CartPoleVectorEnvironment(model: cartpoleModel, count: copies)
        cartpoleVector.reset(seed: 1)
        let discreteActions = (0..<copies).map { Int32($0 & 1) }
        vector["cartpole"] = Double(copies) * timed { cartpoleVector.step(discreteActions) }
        let pendulumVector = PendulumVectorEnvironment(
            model: try PendulumModel(description: RobotDescription.bundled(named: "pendulum")), count: copies)
        pendulumVector.reset(seed: 1)
        let torques = (0..<copies).map { Float($0 & 1 == 0 ? 1 : -1) }
        vector["pendulum"] = Double(copies) * timed { pendulumVector.step(torques) }
        let rigVector = try PlantVectorEnvironment(
            model: CartPoleRigModel(description: RobotDescription.bundled(named: "cartpole-rig")), count: copies, threads: 2)
        rigVector.reset(seed: 1)
        vector["cartpole-rig"] = Double(copies) * timed { rigVector.step(torques.map { $0 / 2 }) }
        let furutaVector = try PlantVectorEnvironment(
            model: FurutaModel(description: RobotDescription.bundled(named: "furuta")), count: copies, threads: 2)
        furutaVector.reset(seed: 1)
        vector["furuta"] = Double(copies) * timed { furutaVector.step(torques.map { $0 * 2 }) }

        let gymnasium = GymnasiumReference.stepsPerSecond()
        var table: [[String: Any]] = []
        context.say("  robot           single        vector (\(copies) copies)   Gymnasium single   ratio")
        for name in ["cartpole", "pendulum", "cartpole-rig", "furuta"] {
            var row: [String: Any] = ["robot": name, "single": single[name] ?? 0, "vector": vector[name] ?? 0]
            var reference = "—", ratio = "—"
            if let gym = gymnasium.rates[name] {
                row["gymnasium_single"] = gym
                row["ratio_single"] = (single[name] ?? 0) / gym
                reference = String(format: "%.0f", gym)
                ratio = String(format: "%.1f×", (single[name] ?? 0) / gym)
            }
            table.append(row)
            let label = name.padding(toLength: 14, withPad: " ", startingAt: 0)
            let gymColumn = String(repeating: " ", count: max(0, 10 - reference.count)) + reference
            context.say(String(format: "  %@ %10.0f   %14.0f           ", label, single[name] ?? 0, vector[name] ?? 0)
                + gymColumn + "   " + ratio)
        }
        context.say("  (vectorized cartpole and pendulum step on one core; the rigs split their copies over 2 threads)")
        if let problem = gymnasium.problem { context.say("  Gymnasium not measured: \(problem)") }
        var result: [String: Any] = ["copies": copies, "robots": table]
        if let problem = gymnasium.problem { result["gymnasium_error"] = problem }
        return result
    }
}

/// Steps one environment for about half a second (resetting when an episode ends) and returns steps/s.
private func stepsPerSecond<E: Environment>(_ env: inout E, action: (Int) -> Action) -> Double {
    _ = env.reset(seed: 1)
    var steps = 0
    let start = MonotonicClock.now()
    var now = start
    while now - start < 500_000_000 {
        for _ in 0..<1000 {
            let step = env.step(action(steps))
            steps += 1
            if step.terminated || step.truncated { _ = env.reset(seed: nil) }
        }
        now = MonotonicClock.now()
    }
    return Double(steps) / (Double(now - start) / 1e9)
}

/// Calls `body` repeatedly for about half a second; returns calls per second.
private func timed(_ body: () -> Void) -> Double {
    var calls = 0
    let start = MonotonicClock.now()
    var now = start
    while now - start < 500_000_000 {
        body()
        calls += 1
        now = MonotonicClock.now()
    }
    return Double(calls) / (Double(now - start) / 1e9)
}

/// Gymnasium's CartPole-v1 and Pendulum-v1 stepped by Python in the same run, from a small virtual
/// environment the bench creates when missing (`.build/bench-venv`, gymnasium from PyPI).
enum GymnasiumReference {
    static let venv = ".build/bench-venv"

    static let script = """
        import json, time, gymnasium as gym
        rates = {}
        for key, env_id, actions in (("cartpole", "CartPole-v1", (0, 1)), ("pendulum", "Pendulum-v1", ([1.0], [-1.0]))):
            env = gym.make(env_id)
            env.reset(seed=1)
            import numpy as np
            acts = [np.array(a, dtype=np.float32) if isinstance(a, list) else a for a in actions]
            steps, start = 0, time.perf_counter()
            while time.perf_counter() - start < 1.0:
                for _ in range(1000):
                    _, _, terminated, truncated, _ = env.step(acts[steps & 1])
                    steps += 1
                    if terminated or truncated:
                        env.reset()
            rates[key] = steps / (time.perf_counter() - start)
        print(json.dumps(rates))
        """

    static func stepsPerSecond() -> (rates: [String: Double], problem: String?) {
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
        let measured = run(python, ["-c", script])
        guard measured.status == 0, let line = measured.output.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double]
        else { return ([:], "the Gymnasium script failed: \(measured.output.suffix(300))") }
        return (object, nil)
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
