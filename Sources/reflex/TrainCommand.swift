import ArgumentParser
import Foundation
import Learning
import PolicyRuntime
import ReflexCore
import Simulation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a policy in a bundled simulator and write it to a policy file.",
        discussion: """
            Hyperparameters come from the robot's preset (presets/<robot>.yaml, one section per algorithm), \
            then from --set section.key=value (e.g. --set ppo.learning_rate=3e-4). Training stops once the \
            deterministic policy reaches the robot's solved threshold (CartPole: mean ≥ 475 over 100 \
            episodes; Pendulum: ≥ −200 over 10; the rig robots: balanced for whole episodes, see their \
            presets), or when the step budget runs out. The rig robots (cartpole-rig, furuta, \
            furuta-balance) also read an `environment` section: stacked frames, training under their \
            description's randomization, and encoder features — cos/sin of an angle and its wrap-aware \
            velocity, recorded in the policy file (--set environment.frames=4, environment.randomize=true, \
            environment.angles=arm_encoder,pendulum_encoder, environment.velocities=…). Ctrl-C stops early and \
            still writes the policy. The run folder gets metrics.csv (CleanRL's metric names) and \
            learning_curve.png.
            """)

    @Argument(help: "Robot to train (a bundled simulator: cartpole, pendulum, cartpole-rig, furuta, furuta-balance).")
    var robot: String

    @Option(help: "Algorithm: ppo (discrete or continuous actions) or sac (continuous actions).")
    var algo: String = "ppo"

    @Option(help: "Random seed: the same seed gives the same policy.")
    var seed: UInt64 = 1

    @Option(help: "Where to write the policy file (default: <run-dir>/policy.safetensors).")
    var out: String?

    @Option(help: "Run folder for metrics, the learning curve and checkpoints (default: runs/<robot>-<algo>-seed<seed>, or beside --out).")
    var runDir: String?

    @Option(help: "Budget of environment steps (default: the preset's total_steps).")
    var steps: Int?

    @Option(name: .customLong("set"), help: "Override a preset setting: section.key=value, section ppo, sac or environment (repeatable).")
    var settings: [String] = []

    @Option(help: "Continue the run in this folder from its last checkpoint (same robot, algorithm and settings).")
    var resume: String?

    @Option(help: "Write a checkpoint every N updates (PPO: rollouts; SAC: 200 env steps); 0 turns checkpoints off.")
    var checkpointEvery: Int = 10

    @Option(help: "Training threads: 2 runs the actor's and the critic's passes side by side, 1 in turn; the result is the same (default: 2 when there are two cores).")
    var threads: Int?

    @Option(help: "Record one evaluation episode of the current deterministic policy as a video every N updates, in <run-dir>/videos/ (0: none).")
    var videoEvery: Int = 0

    @Flag(help: "Print the summary as one JSON object on standard output.")
    var json = false

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive, got \(steps)") }
        if checkpointEvery < 0 { throw ValidationError("--checkpoint-every must be ≥ 0, got \(checkpointEvery)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
        if videoEvery < 0 { throw ValidationError("--video-every must be ≥ 0, got \(videoEvery)") }
        if resume != nil && !settings.isEmpty {
            throw ValidationError("--resume continues with the run's own settings; --set cannot change them")
        }
        if let resume, let runDir, runDir != resume { throw ValidationError("--resume \(resume) is the run folder; --run-dir \(runDir) disagrees") }
    }

    /// Where the run's files go.
    var runDirectory: String {
        if let resume { return resume }
        if let runDir { return runDir }
        if let out {
            let url = URL(fileURLWithPath: out)
            return url.deletingPathExtension().path + ".run"
        }
        return "runs/\(robot)-\(algo)-seed\(seed)"
    }

    func run() throws {
        TrainingThreads.override = threads
        let description = try RobotDescription.bundled(named: robot)
        let runFolder = runDirectory
        let checkpointPath = runFolder + "/" + Checkpoint.fileName
        let trainer: CheckpointableTrainer
        if resume != nil {
            let checkpoint = try Checkpoint.load(path: checkpointPath)
            if let trained = checkpoint.metadata["robot"], trained != description.name {
                throw ReflexError(.invalidArgument, "\(checkpointPath) is a \(trained) run, not \(description.name)")
            }
            trainer = CameraTraining.handles(description)
                ? try CameraTraining.resume(description: description, checkpoint: checkpoint, totalSteps: steps)
                : try TrainingSetup.resume(description: description, checkpoint: checkpoint, totalSteps: steps)
        } else if CameraTraining.handles(description) {
            trainer = try CameraTraining.make(
                description: description, algorithm: algo, seed: seed, overrides: settings.map(ConfigSetting.parse), totalSteps: steps)
        } else {
            let overrides = try settings.map(ConfigSetting.parse)
            let preset = try PresetFile.bundled(robot: description.name, knownSections: TrainingSetup.sections)
            trainer = try TrainingSetup.make(
                description: description, algorithm: algo, seed: seed, preset: preset, overrides: overrides, totalSteps: steps)
        }

        let policyPath = out ?? runFolder + "/policy.safetensors"
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: runFolder, withIntermediateDirectories: true)
            try fm.createDirectory(at: URL(fileURLWithPath: policyPath).deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw ReflexError(.io, "cannot create the run folder \(runFolder): \(error.localizedDescription)")
        }
        // A resumed run drops the rows a killed run wrote after its checkpoint: it computes those updates again.
        let metrics = try MetricsLog(
            path: runFolder + "/metrics.csv", append: resume != nil, keepingRowsUpTo: resume != nil ? trainer.counters.envSteps : nil)
        func saveCheckpoint() {
            var checkpoint = trainer.checkpoint()
            checkpoint.metadata["robot"] = description.name
            do {
                try checkpoint.write(to: checkpointPath)
            } catch {
                printError("warning: checkpoint not written: \(error)")
            }
        }
        if resume != nil {
            let c = trainer.counters
            printError("Resuming \(runFolder) at update \(c.update), \(c.envSteps) env steps, \(formatDuration(c.seconds)) trained")
        }

        var videos: [String] = []
        func recordVideo(_ p: TrainingProgress) {
            let provenance = Provenance(
                robot: description.name, algorithm: trainer.algorithm, seed: trainer.seed, envSteps: p.envSteps,
                meanReturn: p.lastEvaluation?.mean ?? 0, evaluationEpisodes: p.lastEvaluation?.episodes ?? 0,
                trainingSeconds: p.elapsedSeconds, date: ISO8601DateFormatter().string(from: Date()),
                reflexVersion: ReflexVersion.current, command: CommandLine.arguments.joined(separator: " "),
                robotDescription: description.sourceText)
            let path = runFolder + "/videos/" + String(format: "update-%05d.mp4", p.update)
            do {
                try FileManager.default.createDirectory(atPath: runFolder + "/videos", withIntermediateDirectories: true)
                let file = trainer.policyFile(description: description, provenance: provenance)
                let recording = try RenderCommand.record(file, episodes: 1, seed: seed, out: path, width: 320, height: 240)
                videos.append(recording.path)
            } catch {
                printError("warning: evaluation video for update \(p.update) not written: \(error)")
            }
        }

        StopSignal.install()
        let bar = ProgressLine(enabled: !quiet)
        let label = "\(description.name) \(trainer.algorithm)"
        let result = trainer.train(shouldStop: { StopSignal.requested }) { p in
            metrics.record(p)
            if checkpointEvery > 0 && p.update % checkpointEvery == 0 { saveCheckpoint() }
            if videoEvery > 0 && p.update % videoEvery == 0 { recordVideo(p) }
            bar.update(progressText(label, p), now: p.elapsedSeconds, force: p.update == p.updates)
        }
        bar.finish()
        let interrupted = StopSignal.requested
        if checkpointEvery > 0 || interrupted { saveCheckpoint() }

        let provenance = Provenance(
            robot: description.name, algorithm: trainer.algorithm, seed: trainer.seed, envSteps: result.envSteps,
            meanReturn: result.evaluation.mean, evaluationEpisodes: result.evaluation.episodes,
            trainingSeconds: result.wallSeconds, date: ISO8601DateFormatter().string(from: Date()),
            reflexVersion: ReflexVersion.current, command: CommandLine.arguments.joined(separator: " "),
            robotDescription: description.sourceText)
        try trainer.policyFile(description: description, provenance: provenance).write(to: policyPath)
        let curvePath = runFolder + "/learning_curve.png"
        let curve = LearningCurve(
            points: metrics.curve, target: trainer.solvedReturn,
            title: "\(description.name) \(trainer.algorithm) seed \(trainer.seed)")
        if !fm.createFile(atPath: curvePath, contents: Data(curve.png())) {
            printError("warning: could not write \(curvePath)")
        }

        let laps = (trainer as? PixelPPO)?.lastLapEvaluation
        let kept = (trainer as? SAC)?.keptActor
        if json {
            try printJSON([
                "kept_actor_env_steps": kept.map { $0.envSteps as Any } ?? NSNull(),
                "last_actor_mean_return": kept.map { $0.lastEvaluation.mean as Any } ?? NSNull(),
                "lap_completion_rate": laps.map { $0.lapCompletionRate as Any } ?? NSNull(),
                "robot": description.name, "algorithm": trainer.algorithm, "seed": trainer.seed, "env_steps": result.envSteps,
                "wall_seconds": result.wallSeconds, "mean_return": result.evaluation.mean,
                "std_return": result.evaluation.std, "evaluation_episodes": result.evaluation.episodes,
                "solved": result.solved, "interrupted": interrupted, "policy": policyPath, "run_dir": runFolder,
                "metrics": metrics.path, "learning_curve": curvePath, "videos": videos, "checkpoint": checkpointEvery > 0 ? checkpointPath : NSNull(),
            ])
        } else {
            if interrupted { print("Interrupted: stopping early and saving.") }
            print(String(
                format: "%@ after %d env steps in %.2f s: deterministic mean return %.1f ± %.1f over %d episodes",
                result.solved ? "Solved" : "Not solved", result.envSteps, result.wallSeconds,
                result.evaluation.mean, result.evaluation.std, result.evaluation.episodes))
            if let kept {
                print(String(
                    format: "Kept:     the actor evaluated best during training (at %d env steps); the last actor scored %.1f ± %.1f on the same episodes",
                    kept.envSteps, kept.lastEvaluation.mean, kept.lastEvaluation.std))
            }
            if let laps {
                print(String(
                    format: "Laps:     %.0f%% of %d evaluation episodes on unseen tracks completed a lap", 100 * laps.lapCompletionRate,
                    laps.laps.count))
            }
            print("Policy:   \(policyPath)")
            print("Metrics:  \(metrics.path)")
            print("Curve:    \(curvePath)")
            if let last = videos.last { print("Videos:   \(videos.count) in \(runFolder)/videos (last: \(last))") }
            if checkpointEvery > 0 || interrupted { print("Resume:   reflex train \(description.name) --resume \(runFolder)") }
        }
        if !result.solved && !interrupted { throw ExitCode(2) }
    }
}

/// `pendulum ppo [██████░░░░░░░░░░] 38% 38,912/102,400 steps | 24,310 steps/s | ETA 2.6s | return −412.3 | eval −230.1`
func progressText(_ label: String, _ p: TrainingProgress) -> String {
    let fraction = p.totalSteps > 0 ? min(1, Double(p.envSteps) / Double(p.totalSteps)) : 0
    let width = 20
    let filled = Int((fraction * Double(width)).rounded(.down))
    let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    let rate = p.stepsPerSecond
    let eta = rate > 0 ? Double(p.totalSteps - p.envSteps) / rate : 0
    var text = "\(label) [\(bar)] \(String(format: "%3.0f%%", 100 * fraction)) \(p.envSteps)/\(p.totalSteps) steps"
    text += String(format: " | %.0f steps/s | %@ elapsed, ETA %@ (budget)", rate, formatDuration(p.elapsedSeconds), formatDuration(eta))
    if let r = p.recentMeanReturn { text += String(format: " | return %.1f", r) }
    if let e = p.lastEvaluation { text += String(format: " | eval %.1f", e.mean) }
    return text
}
