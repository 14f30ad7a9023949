import Foundation
import ReflexCore
import Simulation
import Vision

extension BenchRow {
    /// Camera figures for `diffdrive-camera`: the parts in `VisionBench.parts`, each adding its figures.
    static let vision = BenchRow(
        name: "vision",
        summary: "diffdrive-camera: render + preprocess frames/s at 64×64 (one core), camera environment steps/s, floor build time"
    ) { context in
        context.say("vision: diffdrive-camera camera pipeline (per second of one core's CPU time)")
        var figures: [String: Any] = [:]
        for part in VisionBench.parts {
            figures.merge(try part(context)) { _, new in new }
        }
        return figures
    }
}

/// The `vision` row's measurements. Each part prints its lines and returns its figures; later parts
/// (CNN latency, training time) are appended to `parts`.
enum VisionBench {
    static let parts: [(BenchContext) throws -> [String: Any]] = [renderAndPreprocess, VisionCNNBench.cnnPolicy]

    /// Frames per second of: the floor camera alone at the description's native size and at 64×64, render +
    /// preprocess (the observation the policy reads), and whole camera-environment steps; plus the time to
    /// build one episode's floor.
    static func renderAndPreprocess(_ context: BenchContext) throws -> [String: Any] {
        let description = try RobotDescription.bundled(named: "diffdrive-camera")
        guard let camera = description.camera else {
            throw ReflexError(.invalidDescription, "diffdrive-camera has no camera: block")
        }
        let model = try DiffDriveModel(description: description)
        var g = SeededGenerator(seed: 1)
        let state = model.initialState(using: &g)
        let buildStart = threadSeconds()
        let floor = FloorTexture(track: state.track, appearance: FloorAppearance(description: description, using: &g), seed: 2)
        let buildMs = (threadSeconds() - buildStart) * 1000

        // Poses along the track, so every frame samples a different part of the floor.
        let poses: [(Double, Double, Double)] = (0..<256).map { k in
            let t = 2 * Double.pi * Double(k) / 256
            let p = state.track.point(t)
            return (p.x, p.y, state.track.heading(t) + 0.1 * sin(Double(k)))
        }
        // Frames per second of this thread's CPU time (so other processes on a shared machine do not
        // count), for at least 0.5 s of it.
        func framesPerSecond(_ body: (Int) -> Void) -> Double {
            var frames = 0
            let start = threadSeconds()
            var elapsed = 0.0
            while elapsed < 0.5 {
                for _ in 0..<64 { body(frames); frames += 1 }
                elapsed = threadSeconds() - start
            }
            return Double(frames) / elapsed
        }
        let native = FloorCamera(camera)
        var small = camera
        (small.width, small.height) = (64, 64)
        let square = FloorCamera(small)
        var frame = try Image(width: camera.width, height: camera.height, channels: 1)
        var squareFrame = try Image(width: 64, height: 64, channels: 1)
        let renderNative = framesPerSecond { k in
            let p = poses[k & 255]
            frame.pixels.withUnsafeMutableBufferPointer { native.render(floor, x: p.0, y: p.1, heading: p.2, into: $0.baseAddress!) }
        }
        let render64 = framesPerSecond { k in
            let p = poses[k & 255]
            squareFrame.pixels.withUnsafeMutableBufferPointer { square.render(floor, x: p.0, y: p.1, heading: p.2, into: $0.baseAddress!) }
        }
        var preprocessor = try Preprocessor(camera.preprocessing, sourceWidth: camera.width, sourceHeight: camera.height)
        var observation = [Float](repeating: 0, count: camera.preprocessing.observationCount)
        let renderAndProcess = framesPerSecond { k in
            let p = poses[k & 255]
            frame.pixels.withUnsafeMutableBufferPointer { native.render(floor, x: p.0, y: p.1, heading: p.2, into: $0.baseAddress!) }
            observation.withUnsafeMutableBufferPointer { try? preprocessor.process(frame, into: $0) }
        }
        // Whole environment steps, driven round the track by its geometry (a stand-in for a trained policy),
        // so the figure is the steady state; a reset's cost is the floor build above.
        var env = try CameraEnvironment(description: description, seed: 1)
        _ = env.reset(seed: 1)
        var episodes = 1
        let stepsPerSecond = framesPerSecond { k in
            let s = env.plant.state
            let near = s.track.nearest(x: s.x, y: s.y, guess: s.trackAngle)
            var headingError = s.track.heading(near.theta) - s.heading
            headingError -= 2 * .pi * (headingError / (2 * .pi)).rounded()
            let turn = max(-0.3, min(0.3, 1.5 * headingError - 8 * near.distance))
            let result = env.step(.continuous([0.45 - turn, 0.45 + turn]))
            if result.terminated || result.truncated {
                _ = env.reset(seed: UInt64(k))
                episodes += 1
            }
        }
        let pre = camera.preprocessing
        context.say(String(format: "  floor camera %dx%d            %9.0f frames/s", camera.width, camera.height, renderNative))
        context.say(String(format: "  floor camera 64x64              %9.0f frames/s (goal ≥ 20000)", render64))
        context.say(String(
            format: "  render %dx%d + preprocess → %dx%d×%d %9.0f frames/s", camera.width, camera.height, pre.width, pre.height, pre.frames,
            renderAndProcess))
        context.say(String(format: "  camera environment step         %9.0f steps/s (physics + render + preprocess; %d episode(s))", stepsPerSecond, episodes))
        context.say(String(format: "  floor texture per episode       %9.1f ms (%dx%d texels)", buildMs, floor.width, floor.height))
        return [
            "render_native_fps": renderNative, "render_64_fps": render64, "render_preprocess_fps": renderAndProcess,
            "camera_env_steps_per_s": stepsPerSecond, "floor_build_ms": buildMs,
            "camera": "\(camera.width)x\(camera.height)", "observation": "\(pre.width)x\(pre.height)x\(pre.frames)",
        ]
    }
}

/// CPU time of the calling thread, s.
func threadSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
