import ArgumentParser
import Foundation
import PolicyRuntime
import ReflexCore
import Simulation
import Vision

/// `reflex render POLICY --episodes 3 --out run.mp4`: records the policy's episodes in its robot's
/// simulator as a video, each frame the plant's scene with an overlay (episode, step, reward, action).
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Record a policy's episodes in its robot's simulator as a video with an overlay.",
        discussion: """
            Runs the policy's deterministic action on the nominal plant, one episode after another (seeds \
            SEED, SEED+1, …), until each ends or reaches episode.max_steps, and draws every step: the plant's \
            scene, and the episode, step, reward, return and action. Robots with a camera also show what the \
            camera sees (camera policies drive from it, on evaluation tracks never used in training). \
            Control rates above 50 Hz are shown at 50 frames/s (some steps are not drawn). .mp4 is written \
            with OpenCV's mp4v or avc1 codec; where this OpenCV has neither, a Motion-JPEG .avi is written \
            beside it instead, and the command says so.
            """)

    @Argument(help: "Policy file (.safetensors).")
    var policy: String

    @Option(help: "Number of episodes.")
    var episodes: Int = 3

    @Option(help: "Output video (.mp4 or .avi).")
    var out: String

    @Option(help: "Seed of the first episode.")
    var seed: UInt64 = 1

    @Option(help: "Frame size WxH in pixels (even numbers).")
    var size: String = "640x480"

    @Option(help: "Stop each episode after this many steps (default: the robot's episode.max_steps).")
    var maxSteps: Int?

    func validate() throws {
        guard (1...100).contains(episodes) else { throw ValidationError("--episodes must be 1…100, got \(episodes)") }
        _ = try parsedSize()
        let ext = (out as NSString).pathExtension.lowercased()
        guard ["mp4", "avi", "m4v", "mov"].contains(ext) else {
            throw ValidationError("--out must end in .mp4 or .avi, got '\(out)'")
        }
        if let maxSteps, maxSteps <= 0 { throw ValidationError("--max-steps must be positive, got \(maxSteps)") }
    }

    func parsedSize() throws -> (width: Int, height: Int) {
        let parts = size.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 2, let w = parts[0], let h = parts[1] else {
            throw ValidationError("--size must be WIDTHxHEIGHT, e.g. 640x480, got '\(size)'")
        }
        guard (64...4096).contains(w), (64...4096).contains(h), w % 2 == 0, h % 2 == 0 else {
            throw ValidationError("--size: width and height must be even numbers in 64…4096, got \(w)x\(h)")
        }
        return (w, h)
    }

    func run() throws {
        let (width, height) = try parsedSize()
        let file = try PolicyFile.load(path: policy)
        let recording = try Self.record(
            file, episodes: episodes, seed: seed, out: out, width: width, height: height, maxSteps: maxSteps)
        for line in recording.summaries { print(line) }
        print(recording.wroteLine)
    }

    /// What `record` wrote: one line per episode, and where the video went and how.
    struct Recording {
        var summaries: [String]
        var wroteLine: String
        var path: String
    }

    /// Plays `episodes` episodes of the policy in its robot's simulator and writes them as one video (also
    /// used by `reflex train --video-every`).
    static func record(
        _ file: PolicyFile, episodes: Int, seed: UInt64, out: String, width: Int, height: Int, maxSteps: Int? = nil
    ) throws -> Recording {
        let robot = file.provenance.robot
        let description = try RobotDescription.bundled(named: robot)
        var episode = try RenderedEpisodes(file: file, description: description)
        let rate = 1 / description.controlPeriod
        let stride = max(1, Int((rate / 50).rounded(.up)))
        let fps = rate / Double(stride)
        let writer = try VideoWriter(path: out, width: width, height: height, frameRate: fps)
        defer { writer.close() }
        let renderer = try SceneRenderer(width: width, height: height)
        var image = Image()
        let limit = maxSteps ?? description.maxEpisodeSteps
        var summaries: [String] = []
        for k in 0..<episodes {
            var observation = episode.reset(seed: seed &+ UInt64(k))
            var total = 0.0, reward = 0.0
            var action: Action?
            var step = 0
            var ended = "time limit"
            while true {
                if step % stride == 0 || step == 0 {
                    renderer.render(episode.scene, into: &image)
                    episode.drawCamera(into: &image)
                    drawOverlay(on: &image, lines: [
                        "\(robot)  episode \(k + 1)/\(episodes)  seed \(seed &+ UInt64(k))",
                        String(format: "step %d  reward %.3f  return %.2f", step, reward, total),
                        "action " + describe(action),
                    ] + episode.extraLines)
                    try writer.write(image)
                }
                if step >= limit { break }
                let next = episode.act(observation)
                action = next
                let result = episode.step(next)
                observation = result.observation
                reward = result.reward
                total += reward
                step += 1
                if result.terminated {
                    ended = "terminated"
                }
                if result.terminated || result.truncated {
                    renderer.render(episode.scene, into: &image)
                    episode.drawCamera(into: &image)
                    drawOverlay(on: &image, lines: [
                        "\(robot)  episode \(k + 1)/\(episodes)  seed \(seed &+ UInt64(k))",
                        String(format: "step %d  reward %.3f  return %.2f  (%@)", step, reward, total, ended),
                        "action " + describe(action),
                    ] + episode.extraLines)
                    try writer.write(image)
                    break
                }
            }
            summaries.append(String(format: "episode %d: %d steps, return %.2f, %@%@", k + 1, step, total, ended, episode.summary))
        }
        writer.close()
        let seconds = Double(writer.framesWritten) / fps
        let how = writer.fellBack ? "Motion-JPEG .avi: this OpenCV cannot encode .mp4" : writer.codec
        let wrote = "wrote \(writer.path) (\(how)), \(writer.framesWritten) frames, \(width)x\(height) at \(String(format: "%.0f", fps)) fps, \(String(format: "%.1f", seconds)) s"
        return Recording(summaries: summaries, wroteLine: wrote, path: writer.path)
    }

    private static func describe(_ action: Action?) -> String {
        switch action {
        case nil: return "-"
        case let .discrete(i)?: return "choice \(i)"
        case let .continuous(values)?: return "[" + values.map { String(format: "%+.3f", $0) }.joined(separator: ", ") + "]"
        }
    }

    /// White text on a black band in the top-left corner.
    private static func drawOverlay(on image: inout Image, lines: [String]) {
        let scale = max(0.4, Double(image.height) / 900)
        let lineHeight = Double(Canvas.textSize("Ag", scale: scale).height) * 1.6 + 2
        let widest = lines.map { Canvas.textSize($0, scale: scale).width }.max() ?? 0
        image.draw { canvas in
            canvas.rectangle(from: Point(0, 0), to: Point(Double(widest) + 12, lineHeight * Double(lines.count) + 6), color: .black, filled: true)
            for (i, line) in lines.enumerated() {
                canvas.text(line, at: Point(6, lineHeight * Double(i + 1)), color: .white, scale: scale)
            }
        }
    }
}

/// The environment, policy and pictures of `reflex render`: a plain environment with the plant's scene
/// for sensor policies, or the camera environment (evaluation tracks) for robots with a camera.
struct RenderedEpisodes {
    private var plain: (any Environment)?
    private var camera: CameraEnvironment?
    private let policy: any Policy
    private let mlp: MLPPolicy?
    private var actuators: [Float]

    init(file: PolicyFile, description: RobotDescription) throws {
        try file.verify(robot: description.name)
        let policy = try file.makePolicy()
        self.policy = policy
        mlp = policy as? MLPPolicy
        actuators = [Float](repeating: 0, count: policy.actuatorChannels.count)
        let readsCamera = description.camera != nil && (file.imagePreprocessing != nil || policy.observationChannels.first?.name.hasPrefix("camera[") == true)
        if readsCamera {
            camera = try CameraEnvironment(
                description: description, trackSet: .evaluation, randomize: true, preprocessing: file.imagePreprocessing)
            if let camera, camera.observationChannels.map(\.name) != policy.observationChannels.map(\.name) {
                throw ReflexError(
                    .invalidPolicyFile,
                    "\(description.name): the policy reads \(policy.observationChannels.count) values, not the \(camera.observationChannels.count) camera values its robot's camera gives")
            }
        } else {
            try file.verify(sensors: description.sensors, actuators: description.actuators)
            let env = try RobotEnvironments.plain(description, seed: 0)
            guard env is SceneProviding else {
                throw ReflexError(.unknownRobot, "\(description.name): its simulator '\(description.simulator)' draws no scene")
            }
            plain = env
        }
    }

    mutating func reset(seed: UInt64) -> [Float] {
        mlp?.reset()
        if camera != nil { return camera!.reset(seed: seed) }
        return plain!.reset(seed: seed)
    }

    mutating func step(_ action: Action) -> Step {
        if camera != nil { return camera!.step(action) }
        return plain!.step(action)
    }

    mutating func act(_ observation: [Float]) -> Action {
        if let mlp, mlp.isCategorical { return .discrete(mlp.actionIndex(observation: observation)) }
        let p = policy
        observation.withUnsafeBufferPointer { o in
            actuators.withUnsafeMutableBufferPointer { p.act(observation: o, actuators: $0) }
        }
        return .continuous(actuators.map(Double.init))
    }

    var scene: Scene {
        if let camera { return camera.scene }
        return (plain as? SceneProviding)?.scene ?? Scene(view: Scene.Rect(minX: -1, minY: -1, maxX: 1, maxY: 1))
    }

    /// The camera's frame in the top-right corner, enlarged to a quarter of the width.
    func drawCamera(into image: inout Image) {
        guard let camera else { return }
        let frame = camera.frame
        let w = image.width / 4, h = max(1, w * frame.height / max(frame.width, 1))
        let x0 = image.width - w - 8, y0 = 8
        guard x0 > 0, y0 + h < image.height else { return }
        for y in 0..<h {
            let sy = y * frame.height / h
            for x in 0..<w {
                let v = frame.pixels[sy * frame.width + x * frame.width / w]
                let at = ((y0 + y) * image.width + x0 + x) * 3
                image.pixels[at] = v
                image.pixels[at + 1] = v
                image.pixels[at + 2] = v
            }
        }
    }

    var extraLines: [String] {
        guard let camera else { return [] }
        return [String(format: "laps %d  progress %.2f of %.2f m", camera.lapsCompleted, camera.progress, camera.lapLength)]
    }

    var summary: String {
        guard let camera else { return "" }
        return ", \(camera.lapsCompleted) lap(s) on an unseen track"
    }
}

