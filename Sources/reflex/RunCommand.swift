import ArgumentParser
import Bridge
import Control
import Foundation
import PolicyRuntime
import ReflexCore
import Simulation
import Vision

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a policy on a device over a serial link on a fixed-rate control loop.",
        discussion: """
            Connects to the device, checks that its channels match the policy's, arms it, and runs
            read → act → filter → write every control period for the given duration, on absolute deadlines.

            Safety: actions are clamped to the policy file's actuator ranges (and rate-limited with
            --max-change-per-tick); a NaN/Inf sensor or action sends the safe values instead and counts a
            fault. SIGINT or SIGTERM sends the safe values within one period, then DISARM, then exits.

            Link: the device streams SENSORS every period; after --link-timeout-periods periods without one
            (or an I/O error, or a device FAULT) the link counts as lost: the safe values are sent and the port
            is reopened every 200 ms with a fresh handshake. After a reconnect the device stays disarmed (the
            host sends HEARTBEATs) unless --rearm was given.

            Exit status: 0 when the run completed (or was stopped by a signal) with the task held, 3 when the
            task failed (the pole fell), 4 when consecutive overruns hit --overrun-stop, 5 when the run ended
            without an armed link (lost, or reconnected but left disarmed), 1 on errors.
            """)

    @Option(help: "Policy file (.safetensors).")
    var policy: String

    @Option(help: "Serial port or pseudo-terminal of the device (e.g. /dev/ttyUSB0 or a virtual robot's link).")
    var port: String

    @Option(help: "Camera for a policy trained from pixels: an index (0), a /dev/video* path, or a video file or image-sequence pattern (frames/%04d.png) to replay. Its frames are preprocessed as the policy file records and become the sensor values; the serial device takes the commands.")
    var camera: String?

    @Option(help: "Seconds to run.")
    var duration: Double = 20

    @Option(help: "Baud rate for real serial ports.")
    var baud: Int = 115_200

    @Flag(help: "Re-arm the device after a reconnect (default: stay disarmed and send heartbeats).")
    var rearm = false

    @Flag(help: "SCHED_FIFO at --priority, mlockall and CPU affinity (--cpu); warns naming what was refused.")
    var realtime = false

    @Option(help: "SCHED_FIFO priority with --realtime (1–99).")
    var priority: Int32 = 80

    @Option(help: "CPU to pin the loop to with --realtime (default: the last CPU).")
    var cpu: Int?

    @Option(name: .customLong("overrun-stop"), help: "Send the safe values and stop after this many consecutive overruns (default: skip missed ticks and hold the last command).")
    var overrunStop: Int?

    @Option(name: .customLong("max-change-per-tick"), help: "Rate limit: largest change of any actuator between ticks, in its unit (default: off).")
    var maxChangePerTick: Float?

    @Option(name: .customLong("link-timeout-periods"), help: "Periods without a SENSORS frame after which the link counts as lost (default: 10 periods or 100 ms, whichever is longer).")
    var linkTimeoutPeriods: Int?

    @Option(help: "Record every tick to this telemetry file (read it with reflex replay).")
    var telemetry: String?

    @Option(help: "Live status line on stderr once per second: auto (when stderr is a terminal), always, never.")
    var status: StatusMode = .auto

    @Option(name: .customLong("watchdog-ms"), help: "Device watchdog to ask for in the handshake, in ms (default: the device's, 2 × period + 10 ms). Longer tolerates a slow host or an emulated device behind the wall clock; the device still stops the actuators by itself if commands stop for that long.")
    var watchdogMillis: UInt16?

    @Flag(name: .customLong("run-through-failure"), help: "Keep the loop running for the whole duration after the task fails (benchmarks); the report still says when it fell.")
    var runThroughFailure = false

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    enum StatusMode: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    func validate() throws {
        guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be a positive number of seconds, got \(duration)") }
        guard (1...99).contains(priority) else { throw ValidationError("--priority must be 1…99, got \(priority)") }
        if let overrunStop, overrunStop < 1 { throw ValidationError("--overrun-stop must be at least 1, got \(overrunStop)") }
        if let maxChangePerTick, !(maxChangePerTick > 0 && maxChangePerTick.isFinite) {
            throw ValidationError("--max-change-per-tick must be a positive number, got \(maxChangePerTick)")
        }
        if let linkTimeoutPeriods, linkTimeoutPeriods < 1 {
            throw ValidationError("--link-timeout-periods must be at least 1, got \(linkTimeoutPeriods)")
        }
        if let watchdogMillis, watchdogMillis == 0 {
            throw ValidationError("--watchdog-ms must be at least 1 (leave it out for the device's default)")
        }
        if let cpu, cpu < 0 { throw ValidationError("--cpu must be 0 or more, got \(cpu)") }
    }

    func run() throws {
        let file = try PolicyFile.load(path: policy)
        // MLPPolicy or CNNPolicy, as the file's architecture says.
        let deployed = try file.makePolicy()
        // The task's failure rule comes from the robot description recorded in the policy file.
        let description = try RobotDescription.parse(yaml: file.provenance.robotDescription, file: "\(policy) (robot description)")
        // A camera device reports pixels, not the robot's own sensors, so the failure rule cannot be judged then.
        let monitor = camera == nil ? TaskMonitor(description: description) : nil
        let cameraSource = try openCamera(file: file, description: description)

        StopSignal.install()
        let transport = try ReconnectableTransport(path: port, baudRate: baud)
        defer { transport.close() }
        let device = SerialDevice(transport: transport, configuration: .init(hostName: "reflex", watchdogMillis: watchdogMillis ?? 0))
        let cameraDevice = try cameraSource.map { source in
            try CameraDevice(
                wrapping: device, camera: source, preprocessing: file.imagePreprocessing ?? ImagePreprocessing(),
                capture: CameraSources.isLive(camera ?? "") ? .latestFrame(maxFrameAgeNanos: 500_000_000) : .eachRead)
        }
        defer { cameraDevice?.close() }
        // The loop drives the camera device when there is one: pixels in, commands out to the serial device.
        let robot: Device = cameraDevice ?? device
        let identity = try handshake(robot)
        let periodNanos = UInt64(identity.periodMicros) * 1000
        if !json {
            print("Connected to \(identity.name) (firmware \(identity.firmwareVersion)) on \(port): "
                + "\(identity.sensors.count) sensors, \(identity.actuators.count) actuators, period \(identity.periodMicros) µs")
        }

        // The writer thread starts before real-time settings, so it keeps normal scheduling.
        let showStatus = status == .always || (status == .auto && isatty(STDERR_FILENO) != 0)
        let statusLine = StatusLine(live: showStatus)
        let recorder = try TelemetryRecorder(
            sensors: file.observationChannels, actuators: file.actuatorChannels, periodNanos: periodNanos, path: telemetry,
            header: ["device": identity.name, "firmware": identity.firmwareVersion, "policy": policy, "port": port],
            capacity: cameraDevice == nil ? 8192 : 256  // a camera observation is thousands of values per tick
        ) { statusLine.show($0) }
        recorder.start()

        var realtimeOutcome: Realtime.Outcome?
        if realtime {
            let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let outcome = Realtime.apply(priority: priority, cpu: cpu ?? max(0, cpus - 1))
            for refused in outcome.refused { printError("warning: --realtime: refused \(refused); running without it") }
            realtimeOutcome = outcome
        }

        let timeoutPeriods = linkTimeoutPeriods ?? max(10, Int((100_000_000 + periodNanos - 1) / periodNanos))
        var options = ControlLoop.Options(linkTimeoutPeriods: timeoutPeriods, maxChangePerTick: maxChangePerTick)
        if let overrunStop { options.overrunPolicy = .stopAfter(consecutive: overrunStop) }
        // Sleeps end early on SIGINT/SIGTERM, so the safe values go out at once rather than at the next deadline.
        let clock = StoppableClock { StopSignal.requested }
        let loop = ControlLoop(device: robot, policy: deployed, clock: clock, periodNanos: periodNanos, options: options)
        loop.stopRequested = { StopSignal.requested }
        loop.recorder = recorder
        let deployment = Deployment(loop: loop, rearm: rearm)
        deployment.reconnect = {
            try transport.reopen()
            _ = try handshake(robot)
        }
        deployment.heartbeat = { try device.sendHeartbeat() }
        deployment.onEvent = { event in statusLine.event(event) }

        try robot.activate()
        // Align the loop's phase a quarter period after the device's sensor frames, so each tick acts on
        // the newest frame and its command arrives well before the device's next step.
        // If no frame comes (or the link drops right after ARM), the loop's link supervision takes over from its
        // first tick: link lost after --link-timeout-periods, safe values, reconnect.
        var first = [Float](repeating: 0, count: identity.sensors.count)
        _ = try? first.withUnsafeMutableBufferPointer { try robot.read(into: $0, timeoutNanos: 4 * periodNanos) }
        var fellAtTick: Int?
        let loopStart = clock.nowNanos() + periodNanos / 4
        let end = deployment.run(startNanos: loopStart, endNanos: loopStart + UInt64(duration * 1e9)) { tick, sensors in
            if fellAtTick == nil, let monitor, monitor.hasFailed(sensors) {
                fellAtTick = tick
                return runThroughFailure
            }
            // A replayed video ends the run when it runs out of frames.
            return cameraDevice?.endOfStream != true
        }
        let final = recorder.finish()
        statusLine.finish()
        // The device's own receive counters (firmware 1.1+, the virtual robot): what it dropped, by kind.
        let deviceLink = Result { try device.readLinkStatistics() }

        let report = RunReport(
            stats: loop.statistics, link: device.statistics, events: deployment.events, end: end, finalLink: deployment.finalLink,
            fellAtTick: fellAtTick, monitored: monitor != nil, periodNanos: periodNanos, identity: identity, telemetry: telemetry,
            telemetryRecords: recorder.recordsWritten, telemetryDropped: final.dropped, realtime: realtimeOutcome,
            estopLatencyNanos: StopSignal.receivedNanos.flatMap { signal in
                loop.emergencyStopWrittenNanos.map { $0 > signal ? $0 - signal : 0 }
            },
            deviceFault: device.lastFault.map { "\($0)" }, deviceLink: deviceLink,
            camera: cameraDevice.map { ($0.camera.name, $0.cameraStatistics, $0.endOfStream) })
        if json { try printJSON(report.json) } else { report.printText() }
        if fellAtTick != nil { throw ExitCode(3) }
        switch end {
        case .completed, .signal, .observerEnded: break
        case .overrunLimit: throw ExitCode(4)
        case .linkLost, .disarmed: throw ExitCode(5)
        }
    }

    /// HELLO → IDENTIFY, then the channel check against the policy file (refused with a readable diff).
    private func handshake(_ device: Device) throws -> DeviceIdentity {
        let file = try PolicyFile.load(path: policy)
        let identity = try device.configure()
        do {
            try file.verify(sensors: identity.sensors, actuators: identity.actuators)
        } catch let error as ReflexError {
            throw ReflexError(.channelMismatch, "device '\(identity.name)' on \(port) does not fit \(policy): \(error.message)")
        }
        return identity
    }

    /// The camera `--camera` names, opened at the size and rate of the description's `camera:` block; nil
    /// without `--camera`. A pixel policy without a camera, or a camera for a policy on plain sensors, is an error.
    private func openCamera(file: PolicyFile, description: RobotDescription) throws -> (any CameraSource)? {
        guard let camera else {
            if file.imagePreprocessing != nil {
                throw ValidationError("\(policy) was trained from camera images: pass --camera SOURCE (an index, /dev/videoN or a video file)")
            }
            return nil
        }
        guard file.imagePreprocessing != nil else {
            throw ValidationError("--camera \(camera): \(policy) reads no camera (it records no image preprocessing)")
        }
        let spec = description.camera
        return try CameraSources.open(camera, width: spec?.width, height: spec?.height, frameRate: spec?.frameRate)
    }
}

/// The live status line and link events on stderr; overrun warnings summarized once per interval.
final class StatusLine: @unchecked Sendable {
    let live: Bool
    private let lock = NSLock()
    private var drawn = false
    private var overrunsReported: UInt64 = 0

    init(live: Bool) { self.live = live }

    /// Called on the telemetry thread once per second.
    func show(_ s: TelemetryRecorder.LiveStatus) {
        lock.lock()
        defer { lock.unlock() }
        if s.overrunsInInterval > 0 {
            // One summary per interval, never one line per overrun.
            clear()
            printError(String(
                format: "warning: %llu %@ in the last %.1f s (worst tick %.1f ms, %llu deadlines skipped; %llu so far)",
                s.overrunsInInterval, s.overrunsInInterval == 1 ? "overrun" : "overruns", s.intervalSeconds,
                s.worstOverrunMicros / 1000, s.skippedInInterval, s.overruns))
        }
        guard live else { return }
        let line = String(
            format: "\r%.0f Hz  lateness p99 %.0f µs (max %.0f)  faults %llu  overruns %llu  link %@  ticks %llu",
            s.rateHz, s.latenessP99Micros, s.latenessMaxMicros, s.faults, s.overruns, s.link.description, s.ticks)
        FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
        drawn = true
    }

    /// A link event: always printed, on its own line.
    func event(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        clear()
        printError("link: \(text)")
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        clear()
    }

    private func clear() {
        if drawn {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            drawn = false
        }
    }
}

/// What `reflex run` prints at the end (text or one JSON object).
struct RunReport {
    let stats: LoopStatistics
    let link: LinkStatistics
    let events: Deployment.Events
    let end: Deployment.End
    let finalLink: LinkState
    let fellAtTick: Int?
    /// The robot description states a failure rule that the run checked (see `TaskMonitor`).
    let monitored: Bool
    let periodNanos: UInt64
    let identity: DeviceIdentity
    let telemetry: String?
    let telemetryRecords: UInt64
    let telemetryDropped: UInt64
    let realtime: Realtime.Outcome?
    let estopLatencyNanos: UInt64?
    let deviceFault: String?
    /// LINK_STATS read after the run, or why it could not be.
    var deviceLink: Result<DeviceLinkStatistics, Error>? = nil
    /// With --camera: the source, its counters, and whether a replayed video ran out.
    var camera: (name: String, statistics: CameraDevice.CameraStatistics, ended: Bool)? = nil

    var outcome: String { !monitored ? "completed" : fellAtTick == nil ? "upright" : "fell" }

    static func percentiles(_ p: LoopStatistics.Percentiles) -> [String: Any] {
        ["p50": p.p50, "p99": p.p99, "p999": p.p999, "max": p.max]
    }

    var json: [String: Any] {
        var object: [String: Any] = [
            "ticks": stats.ticks, "overruns": stats.overruns, "skipped_ticks": stats.skippedTicks,
            "longest_overrun_streak": stats.longestOverrunStreak, "stale_reads": stats.staleReads,
            "lateness_us": Self.percentiles(stats.latenessMicros),
            "tick_work_us": Self.percentiles(stats.tickWorkMicros),
            "phase_ns": [
                "read": Self.percentiles(stats.readNanos), "act": Self.percentiles(stats.actNanos),
                "filter": Self.percentiles(stats.filterNanos), "write": Self.percentiles(stats.writeNanos),
            ],
            "frames_sent": link.framesSent, "frames_received": link.framesReceived, "bad_frames": link.badFrames,
            "faults": link.faultsReported, "loop_faults": stats.faults,
            "nonfinite_sensors": stats.nonFiniteSensors, "nonfinite_actions": stats.nonFiniteActions,
            "clamped_actions": stats.clampedActions, "rate_limited_actions": stats.rateLimitedActions,
            "link_losses": events.linkLosses, "device_faults": events.deviceFaults, "reconnects": events.reconnects,
            "rearms": events.rearms, "heartbeats_sent": events.heartbeatsSent, "link": finalLink.description,
            "outcome": outcome, "end": end.rawValue, "interrupted": end == .signal,
            "period_us": identity.periodMicros, "device": identity.name,
        ]
        if let fellAtTick { object["fell_at_tick"] = fellAtTick }
        if let reason = events.lastLossReason { object["link_loss_reason"] = reason }
        if let deviceFault { object["device_fault"] = deviceFault }
        if let camera {
            object["camera"] = ["source": camera.name, "frames": camera.statistics.framesCaptured,
                                "repeated": camera.statistics.framesRepeated, "ended": camera.ended]
        }
        switch deviceLink {
        case .success(let s)?: object["device_link"] = Dictionary(uniqueKeysWithValues: s.counters.map { ($0.name, $0.value) })
        case .failure(let error)?: object["device_link_error"] = "\(error)"
        case nil: break
        }
        if let estopLatencyNanos { object["estop_latency_us"] = Double(estopLatencyNanos) / 1000 }
        if let telemetry {
            object["telemetry"] = ["path": telemetry, "records": telemetryRecords, "dropped": telemetryDropped]
        }
        if let realtime { object["realtime"] = ["applied": realtime.applied, "refused": realtime.refused] }
        return object
    }

    func printText() {
        let seconds = Double(stats.ticks + stats.skippedTicks) * Double(periodNanos) / 1e9
        print(String(format: "Ran %d ticks (%.1f s at %.0f Hz)%@", stats.ticks, seconds, 1e9 / Double(periodNanos),
                     end == .signal ? ", stopped by signal" : ""))
        let l = stats.latenessMicros
        print("  lateness µs   p50 \(l.p50)  p99 \(l.p99)  p99.9 \(l.p999)  max \(l.max)")
        print("  tick work µs  p50 \(stats.tickWorkMicros.p50)  p99 \(stats.tickWorkMicros.p99)  max \(stats.tickWorkMicros.max)")
        print(String(
            format: "  phases µs p99 read %.1f  act %.1f  filter %.1f  write %.1f", Double(stats.readNanos.p99) / 1000,
            Double(stats.actNanos.p99) / 1000, Double(stats.filterNanos.p99) / 1000, Double(stats.writeNanos.p99) / 1000))
        print("  overruns \(stats.overruns) (skipped \(stats.skippedTicks) ticks), stale reads \(stats.staleReads)")
        print("  faults: non-finite sensors \(stats.nonFiniteSensors), non-finite actions \(stats.nonFiniteActions), "
            + "clamped \(stats.clampedActions), rate-limited \(stats.rateLimitedActions)")
        print("  frames sent \(link.framesSent), received \(link.framesReceived), bad \(link.badFrames), device faults \(link.faultsReported)")
        switch deviceLink {
        case .success(let s)?: print("  device received (since it started): \(s.summary)")
        case .failure(let error)?: print("  device link counters unavailable: \(error)")
        case nil: break
        }
        if events.linkLosses > 0 || events.deviceFaults > 0 {
            print("  link: lost \(events.linkLosses)×, device faults \(events.deviceFaults), reconnects \(events.reconnects), "
                + "re-arms \(events.rearms), heartbeats \(events.heartbeatsSent); ended \(finalLink)")
        }
        if let estopLatencyNanos {
            print(String(format: "  stop: safe values sent %.2f ms after the signal, then DISARM", Double(estopLatencyNanos) / 1e6))
        }
        if let telemetry { print("  telemetry: \(telemetryRecords) ticks in \(telemetry) (\(telemetryDropped) dropped)") }
        if let camera {
            print("  camera \(camera.name): \(camera.statistics.framesCaptured) frames, \(camera.statistics.framesRepeated) reads reused the previous frame"
                + (camera.ended ? "; the video ended" : ""))
        }
        if let fellAtTick {
            print("Outcome: the pole fell at tick \(fellAtTick) (\(String(format: "%.2f", Double(fellAtTick) * Double(periodNanos) / 1e9)) s).")
        } else {
            switch end {
            case .completed, .signal, .observerEnded:
                print(monitored ? "Outcome: the pole stayed upright for the whole run."
                                : "Outcome: ran to the end (this robot's description states no failure rule to check).")
            case .overrunLimit: print("Outcome: stopped safely after \(stats.longestOverrunStreak) consecutive overruns.")
            case .linkLost: print("Outcome: the link was lost and did not come back; the device's watchdog holds it safe.")
            case .disarmed: print("Outcome: the link came back but the device was left disarmed (pass --rearm to re-arm).")
            }
        }
    }
}
