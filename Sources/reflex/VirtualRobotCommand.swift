import ArgumentParser
import Bridge
import Foundation
import ReflexCore
import Simulation
import VirtualRobot

/// `reflex virtual-robot`: a simulated robot behind the real wire protocol on a pseudo-terminal.
struct VirtualRobotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "virtual-robot",
        abstract: "Serve a simulated robot over the wire protocol on a pseudo-terminal.",
        discussion: """
            Creates a pseudo-terminal, publishes its device path as a symlink at --link, and serves the
            robot there in real time exactly as the firmware would (HELLO/IDENTIFY, ARM/DISARM, ACTUATE,
            SENSORS every period, watchdog). Connect with `reflex run --port <link>`. Hosts may disconnect
            and reconnect. SIGINT or SIGTERM stops it and removes the link.
            """)

    @Argument(help: "Robot to serve (\(VirtualRobotCommand.knownRobots.joined(separator: ", "))).")
    var robot: String

    @Option(help: "Path of the symlink to publish (e.g. /tmp/reflex-robot). An existing file is refused unless it is a stale symlink.")
    var link: String

    @Option(help: "Seed of the start states (each ARM resets the plant from seed + number of earlier ARMs).")
    var seed: UInt64 = 0

    @Option(name: .customLong("watchdog-ms"), help: "Default watchdog in ms when the host asks for the default (default: 2 × period + 10 ms).")
    var watchdogMillis: UInt16?

    @Option(name: .customLong("period-us"), help: "Serve SENSORS at this period in µs instead of the robot's (benchmarks: 1000 for 1 kHz; the physics then runs faster than real time).")
    var periodMicros: UInt32?

    @Option(name: .customLong("corrupt-every"), help: "Fault injection: flip a byte in every Nth SENSORS frame.")
    var corruptEvery = 0

    @Option(name: .customLong("drop-every"), help: "Fault injection: do not send every Nth SENSORS frame.")
    var dropEvery = 0

    @Option(name: .customLong("nan-every"), help: "Fault injection: report NaN for the first sensor in every Nth SENSORS frame.")
    var nanEvery = 0

    @Flag(help: "Print only the listening line, no events.")
    var quiet = false

    static let knownRobots = ["cartpole", "cartpole-rig", "diffdrive", "diffdrive-camera", "furuta", "furuta-balance", "pendulum"]

    /// The one place that turns a robot name into a plant: the bundled description `simulators/<robot>.yaml`
    /// (the same one training used), served with its channels.
    static func makePlant(robot: String) throws -> AnySimulatedPlant {
        guard knownRobots.contains(robot) else {
            throw ReflexError(.unknownRobot, "no virtual robot named '\(robot)'; known robots: \(knownRobots.joined(separator: ", "))")
        }
        let description = try RobotDescription.bundled(named: robot)
        return AnySimulatedPlant(try RobotEnvironments.plant(description))
    }

    func validate() throws {
        if let watchdogMillis, watchdogMillis == 0 {
            throw ValidationError("--watchdog-ms must be at least 1")
        }
        for (name, value) in [("--corrupt-every", corruptEvery), ("--drop-every", dropEvery), ("--nan-every", nanEvery)] where value < 0 {
            throw ValidationError("\(name) must be 0 (off) or more, got \(value)")
        }
    }

    func run() throws {
        let plant = try Self.makePlant(robot: robot)
        let server = try VirtualRobot(
            plant: plant, deviceName: robot, firmwareVersion: "1.1.0", seed: seed, watchdogMillis: watchdogMillis,
            periodMicros: periodMicros)
        server.injectedFaults = .init(corruptEvery: corruptEvery, dropEvery: dropEvery, nanEvery: nanEvery)
        let terminal = try PseudoTerminal(linkPath: link)
        defer { terminal.close() }

        // Signals arrive on a dispatch queue and only set the robot's stop flag; the loop sees it within a period.
        let signalQueue = DispatchQueue(label: "reflex.virtual-robot.signals")
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: signalQueue)
            source.setEventHandler { server.stop() }
            source.resume()
            sources.append(source)
        }
        defer { sources.forEach { $0.cancel() } }

        if !quiet {
            server.onEvent = { event in
                print("[virtual-robot] \(event)")
                fflush(stdout)
            }
        }
        let id = server.identify
        print("virtual-robot \(robot) listening on \(link) (\(terminal.devicePath)): period \(id.periodMicros) µs, "
            + "watchdog \(id.watchdogMillis) ms, \(id.sensors.count) sensors, \(id.actuators.count) actuators")
        fflush(stdout)
        server.serve(on: terminal)
        if !quiet {
            let s = server.statistics
            print("[virtual-robot] stopped after \(s.periods) periods: \(s.handshakes) handshakes, \(s.arms) arms, "
                + "\(s.faultsSent) faults, \(s.badFrames) bad frames, \(s.overruns) overruns")
        }
    }
}
