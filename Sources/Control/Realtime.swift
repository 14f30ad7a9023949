#if canImport(Glibc)
import Glibc
#endif

/// Real-time settings for the calling thread: SCHED_FIFO priority, locked memory, CPU affinity.
///
/// Each is tried on its own; what the system refuses is reported by name (with the reason and what to do) so
/// the loop can still run, softer, and the user knows why.
public enum Realtime {
    /// What `apply` managed and what it was refused.
    public struct Outcome: Sendable {
        public var applied: [String] = []
        public var refused: [String] = []
    }

    /// - Parameters:
    ///   - priority: SCHED_FIFO priority (1…99) of the calling thread.
    ///   - cpu: pin the calling thread to this CPU (nil: leave affinity alone).
    ///   - lockMemory: `mlockall(MCL_CURRENT | MCL_FUTURE)`, so no page fault stalls a tick.
    public static func apply(priority: Int32, cpu: Int?, lockMemory: Bool = true) -> Outcome {
        var outcome = Outcome()
        #if canImport(Glibc)
        var param = sched_param()
        param.sched_priority = priority
        let rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param)
        if rc == 0 {
            outcome.applied.append("SCHED_FIFO priority \(priority)")
        } else {
            outcome.refused.append("SCHED_FIFO priority \(priority) (\(String(cString: strerror(rc))); needs root or CAP_SYS_NICE, or an rtprio limit in /etc/security/limits.conf)")
        }
        if lockMemory {
            if mlockall(Int32(MCL_CURRENT | MCL_FUTURE)) == 0 {
                outcome.applied.append("mlockall")
            } else {
                outcome.refused.append("mlockall (\(String(cString: strerror(errno))); needs root or CAP_IPC_LOCK, or a larger memlock limit: ulimit -l)")
            }
        }
        if let cpu {
            let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            if cpu < 0 || cpu >= cpus || cpu >= 1024 {
                outcome.refused.append("CPU affinity \(cpu) (this machine has CPUs 0…\(cpus - 1))")
            } else {
                let rc = setAffinity(cpu: cpu)
                if rc == 0 {
                    outcome.applied.append("CPU \(cpu)")
                } else {
                    outcome.refused.append("CPU affinity \(cpu) (\(String(cString: strerror(rc))))")
                }
            }
        }
        #else
        outcome.refused.append("real-time scheduling (Linux only)")
        #endif
        return outcome
    }
}

#if canImport(Glibc)
extension Realtime {
    /// `sched_setaffinity(0, …)` for the calling thread. Looked up at run time: Glibc's Swift module hides it
    /// behind _GNU_SOURCE. Returns 0 or an errno value.
    static func setAffinity(cpu: Int) -> Int32 {
        typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_setaffinity") else { return ENOSYS }
        let call = unsafeBitCast(symbol, to: SetAffinity.self)
        // A 1024-CPU mask, as glibc's cpu_set_t.
        var mask = [UInt8](repeating: 0, count: 128)
        mask[cpu / 8] |= UInt8(1 << (cpu % 8))
        let rc = mask.withUnsafeBytes { call(0, $0.count, $0.baseAddress!) }
        return rc == 0 ? 0 : errno
    }
}
#endif
