import Foundation
import XCTest
@testable import Learning

/// The pieces behind the training experience: running statistics, the PNG encoder, the metrics CSV.
final class ExperienceTests: XCTestCase {
    func testRunningMeanStdMatchesTheWholeBatch() {
        var stats = RunningMeanStd(size: 2)
        var all: [[Float]] = []
        var rng = SystemRandomNumberGenerator()
        for batch in 0..<5 {
            let rows = 3 + batch
            var values: [Float] = []
            for _ in 0..<rows {
                let row = [Float.random(in: -1...3, using: &rng), Float.random(in: 10...20, using: &rng)]
                all.append(row)
                values += row
            }
            values.withUnsafeBufferPointer { stats.update($0, rows: rows) }
        }
        for j in 0..<2 {
            let column = all.map { Double($0[j]) }
            let mean = column.reduce(0, +) / Double(column.count)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)
            XCTAssertEqual(stats.mean[j], mean, accuracy: 1e-4)
            XCTAssertEqual(stats.variance[j], variance, accuracy: 1e-3)
        }
    }

    func testChecksumsMatchPublishedValues() {
        XCTAssertEqual(PNG.crc32(Array("IEND".utf8)), 0xAE42_6082)  // every PNG's IEND chunk CRC
        XCTAssertEqual(PNG.crc32(Array("123456789".utf8)), 0xCBF4_3926)  // CRC-32 check value
        XCTAssertEqual(PNG.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
    }

    func testPNGLayoutAndStoredBlocks() {
        // 200 × 120 RGB: 72,120 bytes of scanlines, more than one 65,535-byte stored block.
        let width = 200, height = 120
        let pixels = (0..<(width * height * 3)).map { UInt8($0 % 251) }
        let png = PNG.encode(width: width, height: height, rgb: pixels)
        XCTAssertEqual(Array(png[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(String(decoding: png[12..<16], as: UTF8.self), "IHDR")
        XCTAssertEqual(Array(png[16..<24]), [0, 0, 0, 200, 0, 0, 0, 120])
        XCTAssertEqual(String(decoding: png[(png.count - 8)..<(png.count - 4)], as: UTF8.self), "IEND")
        // Inflate the stored blocks by hand and compare with the scanlines.
        var idatLength = 0
        for k in 33..<37 { idatLength = idatLength << 8 | Int(png[k]) }
        XCTAssertEqual(String(decoding: png[37..<41], as: UTF8.self), "IDAT")
        let zlib = Array(png[41..<(41 + idatLength)])
        var offset = 2, inflated: [UInt8] = [], final = false
        while !final {
            final = zlib[offset] & 1 == 1
            let length = Int(zlib[offset + 1]) | Int(zlib[offset + 2]) << 8
            let complement = Int(zlib[offset + 3]) | Int(zlib[offset + 4]) << 8
            XCTAssertEqual(length ^ 0xFFFF, complement)
            inflated += zlib[(offset + 5)..<(offset + 5 + length)]
            offset += 5 + length
        }
        XCTAssertEqual(inflated.count, height * (1 + 3 * width))
        XCTAssertEqual(inflated[0], 0, "filter type none")
        XCTAssertEqual(Array(inflated[1..<7]), Array(pixels[0..<6]))
        var adler: UInt32 = 0
        for k in 0..<4 { adler = adler << 8 | UInt32(zlib[offset + k]) }
        XCTAssertEqual(adler, PNG.adler32(inflated))
    }

    func testLearningCurveDrawsTheCurve() {
        var points: [(steps: Double, seconds: Double, value: Double)] = []
        for i in 0..<50 {
            let x = Double(i)
            points.append((steps: x * 1000, seconds: x * 0.1, value: -1200 + x * 20))
        }
        let png = LearningCurve(points: points, target: -200, title: "pendulum ppo").png()
        XCTAssertGreaterThan(png.count, LearningCurve.panelWidth * 2 * LearningCurve.height * 3)
        var canvas = Canvas(width: 10, height: 10)
        canvas.line(0, 0, 9, 9, color: Canvas.blue)
        XCTAssertEqual(canvas.pixels[(5 * 10 + 5) * 3 + 2], Canvas.blue.2, "the diagonal is drawn")
        XCTAssertEqual(canvas.pixels[(5 * 10 + 0) * 3], 255, "the rest stays white")
    }

    func testMetricsCSVUsesCleanRLNamesAndResumes() throws {
        let path = NSTemporaryDirectory() + "metrics-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var p = TrainingProgress(
            update: 1, updates: 2, envSteps: 256, totalSteps: 512, elapsedSeconds: 0.5, recentMeanReturn: 20,
            lastEvaluation: nil, metrics: UpdateMetrics())
        try MetricsLog(path: path).record(p)
        p.envSteps = 512
        p.recentMeanReturn = 40
        let resumed = try MetricsLog(path: path, append: true)
        XCTAssertEqual(resumed.curve.count, 1)
        resumed.record(p, secondsOffset: 0.5)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("global_step,wall_seconds,charts/episodic_return,charts/SPS,losses/value_loss"))
        XCTAssertTrue(lines[2].hasPrefix("512,1.000,40,"), String(lines[2]))
    }
}
