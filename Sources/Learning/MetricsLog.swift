import Foundation
import ReflexCore

/// Training metrics as CSV in the run folder, one row per report, under CleanRL's metric names
/// (`charts/episodic_return`, `charts/SPS`, `losses/value_loss`, …) so existing plotting habits carry over.
public final class MetricsLog {
    public static let columns = [
        "global_step", "wall_seconds", "charts/episodic_return", "charts/SPS", "losses/value_loss",
        "losses/policy_loss", "losses/entropy", "losses/approx_kl", "losses/clipfrac", "eval/mean_return",
    ]

    public let path: String
    private let handle: FileHandle
    /// (env steps, wall seconds, recent mean return) per row that had a return: the learning curve.
    public private(set) var curve: [(steps: Double, seconds: Double, value: Double)] = []

    /// Creates (or, when `append`, continues) the CSV at `path`. A run resumed from a checkpoint passes the
    /// checkpoint's env steps as `keepingRowsUpTo`: rows a killed run wrote after its last checkpoint are
    /// dropped, since the resumed run computes those updates again.
    public init(path: String, append: Bool = false, keepingRowsUpTo lastStep: Int? = nil) throws {
        self.path = path
        let fm = FileManager.default
        if !append || !fm.fileExists(atPath: path) {
            guard fm.createFile(atPath: path, contents: Data((Self.columns.joined(separator: ",") + "\n").utf8)) else {
                throw ReflexError(.io, "\(path): cannot create the metrics file")
            }
        } else {
            // Continue the curve from the rows already written.
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            var kept = [Self.columns.joined(separator: ",")]
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: ",", omittingEmptySubsequences: false)
                // A row cut short by a kill, or one past the checkpoint, is not kept.
                guard f.count == Self.columns.count, let step = Int(f[0]) else { continue }
                if let lastStep, step > lastStep { continue }
                kept.append(String(line))
                if let s = Double(f[0]), let t = Double(f[1]), let r = Double(f[2]) { curve.append((s, t, r)) }
            }
            guard fm.createFile(atPath: path, contents: Data(kept.map { $0 + "\n" }.joined().utf8)) else {
                throw ReflexError(.io, "\(path): cannot rewrite the metrics file")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ReflexError(.io, "\(path): cannot open for writing") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// Appends one row for a progress report; `secondsOffset` adds time from runs this one resumes.
    public func record(_ p: TrainingProgress, secondsOffset: Double = 0) {
        let seconds = p.elapsedSeconds + secondsOffset
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        let m = p.metrics
        let row = [
            String(p.envSteps), String(format: "%.3f", seconds), f(p.recentMeanReturn), String(format: "%.0f", p.stepsPerSecond),
            f(Double(m.valueLoss)), f(Double(m.policyLoss)), f(Double(m.entropy)), f(Double(m.approxKL)),
            f(Double(m.clipFraction)), f(p.lastEvaluation?.mean),
        ]
        handle.write(Data((row.joined(separator: ",") + "\n").utf8))
        if let r = p.recentMeanReturn { curve.append((Double(p.envSteps), seconds, r)) }
    }
}
