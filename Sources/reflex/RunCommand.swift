import ArgumentParser
import Bridge
import Control
import Foundation
import PolicyRuntime
import ReflexCore
import Simulation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a policy on a device over a serial link on a fixed-rate control loop.",
        discussion: """
            Connects to the device, checks that its channels match the policy's, arms it, and runs
            read → act → write every control period for the given duration. SIGINT or SIGTERM stops the
            loop and disarms the device before exiting. Exit status: 0 when the task held for the whole
            run, 3 when it failed (the pole fell), 1 on errors.
            """)

    @Option(help: "Policy file (.safetensors).")
    var policy: String

    @Option(help: "Serial port or pseudo-terminal of the device (e.g. /dev/ttyUSB0 or a virtual robot's link).")
    var port: String

    @Option(help: "Seconds to run.")
    var duration: Double = 20

    @Option(help: "Baud rate for real serial ports.")
    var baud: Int = 115_200

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be a positive number of seconds, got \(duration)") }
    }

    func run() throws {
        let file = try PolicyFile.load(path: policy)
        let mlp = try MLPPolicy(file: file)
        // The task's failure rule comes from the robot description recorded in the policy file.
        let description = try RobotDescription.parse(yaml: file.provenance.robotDescription, file: "\(policy) (robot description)")
        let model = try CartPoleModel(description: description)

        StopSignal.install()
        let transport = try SerialTransport(path: port, baudRate: baud)
        defer { transport.close() }
        let device = SerialDevice(transport: transport)
        let identity = try device.configure()
        do {
            try file.verify(sensors: identity.sensors, actuators: identity.actuators)
        } catch let error as ReflexError {
            throw ReflexError(.channelMismatch, "device '\(identity.name)' on \(port) does not fit \(policy): \(error.message)")
        }
        let periodNanos = UInt64(identity.periodMicros) * 1000
        let ticks = Int((duration * 1e9 / Double(periodNanos)).rounded())
        if !json {
            print("Connected to \(identity.name) (firmware \(identity.firmwareVersion)) on \(port): "
                + "\(identity.sensors.count) sensors, \(identity.actuators.count) actuators, period \(identity.periodMicros) µs")
        }

        try device.activate()
        let clock = MonotonicClock()
        // Align the loop's phase a quarter period after the device's sensor frames, so each tick acts on
        // the newest frame and its command arrives well before the device's next step.
        var first = [Float](repeating: 0, count: identity.sensors.count)
        let reading = try first.withUnsafeMutableBufferPointer { try device.read(into: $0, timeoutNanos: 4 * periodNanos) }
        guard case .fresh = reading else {
            try? device.deactivate()
            throw ReflexError(.timeout, "\(port): no SENSORS frame within \(4 * periodNanos / 1_000_000) ms of arming")
        }
        let loop = ControlLoop(device: device, policy: mlp, clock: clock, periodNanos: periodNanos)
        loop.stopRequested = { StopSignal.requested }
        var fellAtTick: Int?
        var loopError: Error?
        do {
            try loop.run(ticks: ticks, startNanos: clock.nowNanos() + periodNanos / 4) { tick, sensors in
                let state = CartPoleState(
                    x: Double(sensors[0]), xDot: Double(sensors[1]), theta: Double(sensors[2]), thetaDot: Double(sensors[3]))
                if CartPole.isTerminal(model, state) {
                    fellAtTick = tick
                    return false
                }
                return true
            }
        } catch {
            loopError = error
        }
        try? device.deactivate()

        let stats = loop.statistics
        let link = device.statistics
        let interrupted = StopSignal.requested
        let outcome = fellAtTick == nil ? "upright" : "fell"
        if json {
            var object: [String: Any] = [
                "ticks": stats.ticks, "overruns": stats.overruns, "skipped_ticks": stats.skippedTicks,
                "stale_reads": stats.staleReads,
                "lateness_us": ["p50": stats.latenessMicros.p50, "p99": stats.latenessMicros.p99, "max": stats.latenessMicros.max],
                "tick_work_us": ["p50": stats.tickWorkMicros.p50, "p99": stats.tickWorkMicros.p99, "max": stats.tickWorkMicros.max],
                "frames_sent": link.framesSent, "frames_received": link.framesReceived, "bad_frames": link.badFrames,
                "faults": link.faultsReported, "outcome": outcome, "interrupted": interrupted,
                "period_us": identity.periodMicros, "device": identity.name,
            ]
            if let fellAtTick { object["fell_at_tick"] = fellAtTick }
            if let loopError { object["error"] = "\(loopError)" }
            try printJSON(object)
        } else {
            let seconds = Double(stats.ticks + stats.skippedTicks) * Double(periodNanos) / 1e9
            print(String(format: "Ran %d ticks (%.1f s at %.0f Hz)%@", stats.ticks, seconds, 1e9 / Double(periodNanos),
                         interrupted ? ", stopped by signal" : ""))
            print("  lateness µs   p50 \(stats.latenessMicros.p50)  p99 \(stats.latenessMicros.p99)  max \(stats.latenessMicros.max)")
            print("  tick work µs  p50 \(stats.tickWorkMicros.p50)  p99 \(stats.tickWorkMicros.p99)  max \(stats.tickWorkMicros.max)")
            print("  overruns \(stats.overruns) (skipped \(stats.skippedTicks) ticks), stale reads \(stats.staleReads)")
            print("  frames sent \(link.framesSent), received \(link.framesReceived), bad \(link.badFrames), device faults \(link.faultsReported)")
            if let fellAtTick {
                print("Outcome: the pole fell at tick \(fellAtTick) (\(String(format: "%.2f", Double(fellAtTick) * Double(periodNanos) / 1e9)) s).")
            } else {
                print("Outcome: the pole stayed upright for the whole run.")
            }
        }
        if let loopError { throw loopError }
        if fellAtTick != nil { throw ExitCode(3) }
    }
}
