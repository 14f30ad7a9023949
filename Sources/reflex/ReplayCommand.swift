import ArgumentParser
import Control
import Foundation

/// `reflex replay FILE`: summarize a telemetry file written by `reflex run --telemetry`, optionally as CSV.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Summarize a telemetry file from reflex run --telemetry, and write it as CSV.",
        discussion: """
            The summary: ticks, span, rate, lateness percentiles, phase times, faults by kind, overruns and link
            states. --csv writes one row per tick: tick, t_s (deadline since the first tick), lateness_us,
            read_us, act_us, filter_us, write_us, faults (names joined by |), skipped, link, then each sensor,
            each raw action (raw_<name>) and each filtered action (<name>).
            """)

    @Argument(help: "Telemetry file.")
    var file: String

    @Option(help: "Write every tick as CSV to this file.")
    var csv: String?

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    func run() throws {
        let telemetry = try TelemetryFile(path: file)
        let records = telemetry.records
        var lateness: [Double] = []
        var phases: [[Double]] = [[], [], [], []]
        var faultCounts: [String: Int] = [:]
        var linkTicks: [String: Int] = [:]
        var skipped: UInt64 = 0
        for r in records {
            let h = r.header
            lateness.append(Double(h.latenessNanos) / 1000)
            phases[0].append(Double(h.readNanos) / 1000)
            phases[1].append(Double(h.actNanos) / 1000)
            phases[2].append(Double(h.filterNanos) / 1000)
            phases[3].append(Double(h.writeNanos) / 1000)
            for name in h.faults.names { faultCounts[name, default: 0] += 1 }
            linkTicks[h.link.description, default: 0] += 1
            skipped += h.skipped
        }
        let span = records.count > 1
            ? Double(records[records.count - 1].header.deadlineNanos - records[0].header.deadlineNanos) / 1e9 : 0
        let rate = span > 0 ? Double(records.count - 1) / span : 0
        func pct(_ values: [Double]) -> [String: Double] {
            let s = values.sorted()
            func at(_ p: Double) -> Double {
                guard !s.isEmpty else { return 0 }
                return s[min(s.count - 1, max(0, Int((Double(s.count) * p / 100).rounded(.up)) - 1))]
            }
            return ["p50": at(50), "p99": at(99), "p999": at(99.9), "max": s.last ?? 0]
        }
        let summary: [String: Any] = [
            "file": file, "ticks": records.count, "span_s": span, "rate_hz": rate,
            "period_us": Double(telemetry.periodNanos) / 1000,
            "device": telemetry.header["device"] as? String ?? "", "policy": telemetry.header["policy"] as? String ?? "",
            "lateness_us": pct(lateness),
            "phase_us": ["read": pct(phases[0]), "act": pct(phases[1]), "filter": pct(phases[2]), "write": pct(phases[3])],
            "faults": faultCounts, "skipped_ticks": skipped, "link_ticks": linkTicks, "trailing_bytes": telemetry.trailingBytes,
        ]
        if let csv { try writeCSV(telemetry, to: csv) }
        if json {
            try printJSON(summary)
            return
        }
        let l = pct(lateness)
        print(String(format: "%@: %d ticks over %.2f s (%.1f Hz, period %.0f µs), device %@", file, records.count, span, rate,
                     Double(telemetry.periodNanos) / 1000, (telemetry.header["device"] as? String) ?? "?"))
        print(String(format: "  lateness µs   p50 %.0f  p99 %.0f  p99.9 %.0f  max %.0f", l["p50"]!, l["p99"]!, l["p999"]!, l["max"]!))
        print(String(format: "  phases µs p99 read %.1f  act %.1f  filter %.1f  write %.1f", pct(phases[0])["p99"]!,
                     pct(phases[1])["p99"]!, pct(phases[2])["p99"]!, pct(phases[3])["p99"]!))
        let faults = faultCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("  faults and corrections: \(faults.isEmpty ? "none" : faults); skipped deadlines \(skipped)")
        print("  link: " + linkTicks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) ticks" }.joined(separator: ", "))
        if telemetry.trailingBytes > 0 { print("  (\(telemetry.trailingBytes) bytes of a partial last record ignored)") }
        if let csv { print("  wrote \(records.count) rows to \(csv)") }
    }

    private func writeCSV(_ telemetry: TelemetryFile, to path: String) throws {
        var header = ["tick", "t_s", "lateness_us", "read_us", "act_us", "filter_us", "write_us", "faults", "skipped", "link"]
        header += telemetry.sensorNames
        header += telemetry.actuatorNames.map { "raw_\($0)" }
        header += telemetry.actuatorNames
        var text = header.joined(separator: ",") + "\n"
        let origin = telemetry.records.first?.header.deadlineNanos ?? 0
        for r in telemetry.records {
            let h = r.header
            var fields = [
                String(h.tick), String(format: "%.6f", Double(h.deadlineNanos - min(origin, h.deadlineNanos)) / 1e9),
                String(format: "%.1f", Double(h.latenessNanos) / 1000), String(format: "%.2f", Double(h.readNanos) / 1000),
                String(format: "%.2f", Double(h.actNanos) / 1000), String(format: "%.2f", Double(h.filterNanos) / 1000),
                String(format: "%.2f", Double(h.writeNanos) / 1000), h.faults.names.joined(separator: "|"), String(h.skipped),
                h.link.description,
            ]
            fields += (r.sensors + r.rawAction + r.filteredAction).map { "\($0)" }
            text += fields.joined(separator: ",") + "\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw ValidationError("cannot write \(path)")
        }
    }
}
