import ArgumentParser
import FirmwareInTheLoop
import Foundation
import ReflexCore

/// `reflex hil`: the real firmware image on an emulated ATmega328P, its pins wired to a simulated plant.
struct HILCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hil",
        abstract: "Run the firmware image on an emulated ATmega328P wired to a simulated plant (firmware in the loop).",
        discussion: """
            Loads the firmware (.elf, from `make firmware`) onto an emulated 16 MHz ATmega328P (simavr),
            publishes its UART0 as a pseudo-terminal with a symlink at --link, and wires its pins to the
            robot's plant: encoder counts in on the quadrature inputs, PWM duty and direction out to the
            plant's motor. Emulated time follows the wall clock one physics sub-step at a time. Connect with
            `reflex run --port <link>` exactly as to the board. The encoders count from the pose at reset
            (cart centred, pole upright); the plant then sits in its start pose (drawn from --seed), held,
            until the motor is first driven. SIGINT or SIGTERM stops it and removes the link.
            """)

    /// Robots whose channel table the firmware serves (firmware-bridge/firmware/robot_*.c).
    static let firmwareRobots = ["cartpole-rig"]

    @Option(help: "Firmware image to run (an AVR .elf, e.g. firmware-bridge/build/firmware.elf).")
    var firmware: String

    @Option(help: "Robot whose plant the pins drive (\(HILCommand.firmwareRobots.joined(separator: ", "))).")
    var robot: String

    @Option(help: "Path of the symlink to publish (e.g. /tmp/reflex-hil). An existing file is refused unless it is a stale symlink.")
    var link: String

    @Option(help: "Seed of the plant's start pose.")
    var seed: UInt64 = 0

    @Option(help: "Stop after this many seconds of emulated time (default: until SIGINT or SIGTERM).")
    var duration: Double?

    @Flag(name: .customLong("log-motor"), help: "Print every change of the motor pins (emulated time in µs and signed duty).")
    var logMotor = false

    func validate() throws {
        if let duration, !(duration > 0 && duration.isFinite) {
            throw ValidationError("--duration must be a positive number of seconds, got \(duration)")
        }
    }

    func run() throws {
        guard Self.firmwareRobots.contains(robot) else {
            throw ReflexError(
                .unknownRobot,
                "the firmware serves \(Self.firmwareRobots.joined(separator: ", ")), not '\(robot)'")
        }
        let description = try RobotDescription.bundled(named: robot)
        let rig = try FirmwareRig(firmware: firmware, description: description, link: link, seed: seed)
        defer { rig.close() }
        rig.reportsMotor = logMotor
        rig.onEvent = { event in
            print("[hil] \(event)")
            fflush(stdout)
        }
        StopSignal.install()
        print("hil \(robot): \(firmware) on an emulated ATmega328P, UART0 listening on \(link) (\(rig.devicePath)), "
            + "plant stepped every \(rig.stepMicros) µs")
        fflush(stdout)
        try rig.run(durationMicros: duration.map { UInt64(($0 * 1e6).rounded()) }) { StopSignal.requested }
        let s = rig.statistics
        print(String(
            format: "[hil] stopped after %.3f s emulated: %d plant steps, %.3f s behind the wall clock (%d times), "
                + "%llu output bytes dropped, %d MCU resets, stack high-water %d of %d bytes",
            Double(s.emulatedMicros) / 1e6, s.plantSteps, Double(s.behindNanos) / 1e9, s.behindEvents,
            s.bytesDropped, s.resets, s.stackHighWater, s.stackAvailable))
    }
}
