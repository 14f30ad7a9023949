import CSimAVR
import Foundation
import ReflexCore
import Simulation

/// The real firmware image on an emulated ATmega328P (`mcu_sim`, libsimavr), its UART0 on a
/// pseudo-terminal and its pins wired to a plant from `Simulation`: the plant's encoder counts drive the
/// quadrature inputs, the motor's PWM duty and direction pins drive the plant's actuator.
///
/// Emulated time and plant time advance together, one physics sub-step at a time (the plant is stepped
/// with the duty on the pins at the start of the sub-step, and the encoder edges of its motion are spread
/// over the sub-step the MCU then runs), and both are paced to the wall clock. A machine too busy to keep
/// up falls behind rather than catching up in a burst, which would squeeze the firmware's control periods
/// and trip its watchdog. No physics here: the plant is the same Swift model training used.
///
/// The encoders are relative, as on the bench: the firmware counts from 0 at reset, and the board is reset
/// with the cart at the centre and the pole upright. So the pins stay at 0 while the firmware boots, then
/// move to the plant's start pose (drawn from the seed), where the plant is held — a hand on the pole —
/// until the motor pins first show a non-zero duty; from then on the plant runs free.
public final class FirmwareRig {
    /// What happened on the rig, for a log line.
    public enum Event: CustomStringConvertible, Sendable {
        /// The motor was first driven: the plant runs from here.
        case released(atMicros: UInt64, duty: Double)
        /// The plant reached the task's failure condition (the pole fell or the cart left the track).
        case plantFailed(atMicros: UInt64)
        /// The motor pins changed (only with `reportsMotor`): emulated time and signed duty.
        case motor(atMicros: UInt64, duty: Double)

        public var description: String {
            switch self {
            case let .released(t, duty):
                return "t=\(formatSeconds(t)) s: motor driven (duty \(String(format: "%+.3f", duty))), plant released"
            case let .plantFailed(t):
                return "t=\(formatSeconds(t)) s: the plant failed (pole fell or cart left the track); it keeps running"
            case let .motor(t, duty):
                return "motor t_us=\(t) duty=\(String(format: "%+.4f", duty))"
            }
        }
    }

    public struct Statistics: Sendable {
        /// Emulated time since power-up, µs.
        public var emulatedMicros: UInt64 = 0
        public var plantSteps = 0
        /// Wall-clock time the emulation fell behind and did not make up, ns, and how many times.
        public var behindNanos: UInt64 = 0
        public var behindEvents = 0
        /// Bytes the firmware sent that no host read.
        public var bytesDropped: UInt64 = 0
        /// Deepest stack the firmware used, and the RAM it had for it, bytes.
        public var stackHighWater = 0
        public var stackAvailable = 0
        /// Resets of the MCU (its hardware watchdog).
        public var resets = 0
    }

    /// Path of the symlink to the pseudo-terminal, and the terminal it points to.
    public let link: String
    public let devicePath: String
    /// Emulated µs per plant step (the description's physics sub-step).
    public let stepMicros: UInt64
    /// Emulated time the encoder pins are held at 0 after power-up, while the firmware starts.
    public static let bootMicros: UInt64 = 20_000

    public var onEvent: ((Event) -> Void)?
    /// Report every change of the motor pins as an `Event.motor`, with its emulated time.
    public var reportsMotor = false
    public private(set) var released = false
    public private(set) var failed = false

    private var sim: OpaquePointer?
    private var plant: any SimulatedPlant
    private var behindNanos: UInt64 = 0
    private var behindEvents = 0
    private var plantSteps = 0

    /// Loads `firmware` onto an emulated MCU and publishes its UART at `link`.
    ///
    /// - Parameters:
    ///   - description: the robot the firmware serves; its plant is built with one physics sub-step per step.
    ///   - seed: draws the plant's start pose.
    /// - Throws: `ReflexError` naming the firmware, the description or the link when one does not fit.
    public init(firmware: String, description: RobotDescription, link: String, seed: UInt64) throws {
        guard description.sensors.count == 2, description.actuators.count == 1 else {
            throw ReflexError(
                .channelMismatch,
                "robot '\(description.name)' has \(description.sensors.count) sensors and \(description.actuators.count) actuators; "
                    + "the emulated board wires 2 encoders and 1 motor")
        }
        guard description.physicsSubsteps >= 1, description.controlPeriod > 0 else {
            throw ReflexError(.invalidDescription, "robot '\(description.name)': control_period and physics_substeps must be positive")
        }
        var stepDescription = description
        stepDescription.controlPeriod = description.controlPeriod / Double(description.physicsSubsteps)
        stepDescription.physicsSubsteps = 1
        let micros = (stepDescription.controlPeriod * 1e6).rounded()
        guard micros >= 1, abs(micros - stepDescription.controlPeriod * 1e6) < 1e-6 else {
            throw ReflexError(
                .invalidDescription,
                "robot '\(description.name)': physics sub-step \(stepDescription.controlPeriod) s is not a whole number of µs")
        }
        var plant = try RobotEnvironments.plant(stepDescription)
        guard abs(plant.period - stepDescription.controlPeriod) < 1e-12 else {
            throw ReflexError(
                .invalidDescription,
                "robot '\(description.name)': its plant steps \(plant.period) s, not the sub-step \(stepDescription.controlPeriod) s")
        }
        plant.reset(seed: seed)
        self.plant = plant
        stepMicros = UInt64(micros)
        self.link = link
        try Self.checkLinkIsFree(link)

        var error = [CChar](repeating: 0, count: 512)
        guard let sim = mcu_sim_open(firmware, &error, error.count) else {
            throw ReflexError(.io, String(cString: error))
        }
        guard mcu_sim_open_link(sim, link, &error, error.count) == 0 else {
            mcu_sim_close(sim)
            throw ReflexError(.link, String(cString: error))
        }
        self.sim = sim
        devicePath = (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) ?? link
        // Unretained: the sim is closed (and the callback gone) before the rig is freed.
        mcu_sim_on_motor(sim, { context, micros, duty in
            guard let context else { return }
            let rig = Unmanaged<FirmwareRig>.fromOpaque(context).takeUnretainedValue()
            if rig.reportsMotor { rig.onEvent?(.motor(atMicros: micros, duty: duty)) }
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        close()
    }

    /// Removes the link and frees the emulator. Safe to call twice.
    public func close() {
        if let sim {
            mcu_sim_close(sim)
            self.sim = nil
        }
    }

    /// An existing file at `link` is refused unless it is a stale symlink (one whose target is gone).
    static func checkLinkIsFree(_ link: String) throws {
        var info = stat()
        guard lstat(link, &info) == 0 else { return }
        let isSymlink = (info.st_mode & S_IFMT) == S_IFLNK
        if isSymlink && stat(link, &info) != 0 { return }
        throw ReflexError(
            .link,
            "\(link) already exists" + (isSymlink ? " and points to a live device (another robot serving there?)" : "")
                + "; give another --link or remove it")
    }

    public var statistics: Statistics {
        var s = Statistics()
        s.plantSteps = plantSteps
        s.behindNanos = behindNanos
        s.behindEvents = behindEvents
        if let sim {
            s.emulatedMicros = mcu_sim_now_us(sim)
            s.bytesDropped = UInt64(mcu_sim_bytes_dropped(sim))
            var available: UInt32 = 0
            s.stackHighWater = Int(mcu_sim_stack_high_water(sim, &available))
            s.stackAvailable = Int(available)
            s.resets = Int(mcu_sim_resets(sim))
        }
        return s
    }

    /// The duty the motor pins show now (−1…1, negative when the direction pin is high).
    public var motorDuty: Double { sim.map { mcu_sim_motor_duty($0) } ?? 0 }

    /// Runs until `shouldStop` returns true (checked every step) or `durationMicros` of emulated time
    /// have passed. Throws if the emulated MCU stops or crashes.
    public func run(durationMicros: UInt64? = nil, shouldStop: () -> Bool) throws {
        guard let sim else { throw ReflexError(.io, "the emulated MCU is closed") }
        let sensorCount = plant.sensors.count
        var counts = [Float](repeating: 0, count: sensorCount)
        var command: [Float] = [0]
        let clock = MonotonicClock()
        let startMicros = mcu_sim_now_us(sim)
        var wallStart = MonotonicClock.now()
        var lastTargets: [Int64] = [0, 0]
        while !shouldStop() {
            let now = mcu_sim_now_us(sim)
            if let durationMicros, now - startMicros >= durationMicros { break }
            let duty = mcu_sim_motor_duty(sim)
            if !released && duty != 0 {
                released = true
                onEvent?(.released(atMicros: now, duty: duty))
            }
            if released {
                // The duty on the pins at the start of the sub-step, held over it.
                command[0] = Float(duty)
                command.withUnsafeBufferPointer { plant.step(actuators: $0) }
                plantSteps += 1
                if !failed && plant.hasFailed {
                    failed = true
                    onEvent?(.plantFailed(atMicros: now + stepMicros))
                }
            }
            if now >= Self.bootMicros {
                counts.withUnsafeMutableBufferPointer { plant.observe(into: $0) }
                for i in 0..<min(2, sensorCount) where counts[i].isFinite {
                    lastTargets[i] = Int64(counts[i].rounded())
                }
            }
            // Re-targeted every step: this also restarts the edges after an MCU reset cancels its timers.
            for i in 0..<2 {
                mcu_sim_set_encoder(sim, Int32(i), lastTargets[i], UInt32(stepMicros))
            }
            guard mcu_sim_run(sim, stepMicros) == 0 else {
                throw ReflexError(
                    .io, "the emulated MCU stopped or crashed at \(formatSeconds(mcu_sim_now_us(sim))) s of emulated time")
            }
            // Pace to the wall clock; never catch up in a burst.
            let emulated = (mcu_sim_now_us(sim) - startMicros) * 1000
            let wall = MonotonicClock.now() - wallStart
            if wall > emulated + 2_000_000 {
                wallStart += wall - emulated
                behindNanos += wall - emulated
                behindEvents += 1
            } else if emulated > wall {
                clock.sleep(untilNanos: wallStart + emulated)
            }
        }
    }
}

private func formatSeconds(_ micros: UInt64) -> String {
    String(format: "%.3f", Double(micros) / 1e6)
}
