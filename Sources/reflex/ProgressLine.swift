import Foundation

/// One status line on standard error that rewrites itself on a terminal and, when standard error is
/// a file or pipe, prints a fresh line at most every `interval` seconds so logs stay readable.
final class ProgressLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let interval: Double
    private var lastPrint = -Double.infinity
    private var lastLength = 0
    private let enabled: Bool

    init(enabled: Bool = true, interval: Double = 2) {
        self.enabled = enabled
        self.interval = isTerminal ? 0.1 : interval
    }

    func update(_ text: String, now: Double, force: Bool = false) {
        guard enabled, force || now - lastPrint >= interval else { return }
        lastPrint = now
        if isTerminal {
            let padding = String(repeating: " ", count: max(0, lastLength - text.count))
            FileHandle.standardError.write(Data(("\r" + text + padding).utf8))
            lastLength = text.count
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// Ends the updating line so later output starts on a new line.
    func finish() {
        if enabled && isTerminal && lastLength > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        lastLength = 0
    }
}

/// Formats seconds as `12.3s` or `4m05s`.
func formatDuration(_ seconds: Double) -> String {
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let s = Int(seconds.rounded())
    return String(format: "%dm%02ds", s / 60, s % 60)
}
