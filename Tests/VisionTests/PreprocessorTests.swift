import CAllocationCounter
import ReflexCore
import XCTest
@testable import Vision

final class PreprocessorTests: XCTestCase {
    /// Area averaging computed the slow, obvious way: split every source pixel into m×m sub-cells (m the output
    /// size), so output pixel j covers exactly the sub-cells j·n ..< (j+1)·n on each axis; their mean, rounded
    /// half up, is the output byte. Independent of the tap tables the Preprocessor builds.
    private func referenceResize(_ image: Image, crop: ImagePreprocessing.Crop, width m: Int, height mh: Int, channel c: Int) -> [UInt8] {
        let n = crop.width, nh = crop.height
        var out = [UInt8]()
        for j in 0..<mh {
            for i in 0..<m {
                var sum = 0
                for sy in (j * nh)..<((j + 1) * nh) {
                    for sx in (i * n)..<((i + 1) * n) {
                        sum += Int(image[crop.x + sx / m, crop.y + sy / mh, c])
                    }
                }
                let count = n * nh
                out.append(UInt8((sum + count / 2) / count))
            }
        }
        return out
    }

    func testTwoByTwoShrinkIsTheRoundedBoxMean() throws {
        var image = try Image(width: 4, height: 2, channels: 1)
        image.pixels = [0, 1, 10, 20, 2, 2, 30, 41]
        let spec = ImagePreprocessing(width: 2, height: 1, grayscale: true, scale: 1, offset: 0)
        var p = try Preprocessor(spec, sourceWidth: 4, sourceHeight: 2)
        var out: [Float] = []
        try p.process(image, into: &out)
        // (0+1+2+2)/4 = 1.25 → 1; (10+20+30+41)/4 = 25.25 → 25.
        XCTAssertEqual(out, [1, 25])
        image.pixels = [1, 2, 2, 1, 0, 0, 0, 0]
        try p.process(image, into: &out)
        // 3/4 = 0.75 → 1 (half up); 3/4 → 1.
        XCTAssertEqual(out, [1, 1])
    }

    func testNonIntegerShrinkAndEnlargeMatchTheSubCellReference() throws {
        let image = try syntheticFrame(3, width: 23, height: 17)
        let cases: [(ImagePreprocessing.Crop, Int, Int)] = [
            (.init(x: 0, y: 0, width: 23, height: 17), 7, 5),  // shrink by 23/7 × 17/5
            (.init(x: 3, y: 2, width: 11, height: 9), 4, 4),  // crop, then shrink
            (.init(x: 5, y: 1, width: 5, height: 4), 13, 7),  // crop, then enlarge (pixel mixing)
            (.init(x: 0, y: 0, width: 23, height: 17), 23, 17),  // identity
        ]
        for (crop, w, h) in cases {
            let spec = ImagePreprocessing(crop: crop, width: w, height: h, grayscale: false, scale: 1, offset: 0)
            var p = try Preprocessor(spec, sourceWidth: 23, sourceHeight: 17)
            var out: [Float] = []
            try p.process(image, into: &out)
            XCTAssertEqual(out.count, 3 * w * h)
            for c in 0..<3 {
                let expected = referenceResize(image, crop: crop, width: w, height: h, channel: c).map(Float.init)
                XCTAssertEqual(Array(out[(c * w * h)..<((c + 1) * w * h)]), expected, "crop \(crop) → \(w)×\(h), channel \(c)")
            }
        }
    }

    func testIdentityResizeKeepsPixelsAndCropSelectsTheRightOnes() throws {
        let image = try syntheticFrame(1, width: 10, height: 8, channels: 1)
        let spec = ImagePreprocessing(crop: .init(x: 2, y: 3, width: 4, height: 2), width: 4, height: 2, grayscale: true, scale: 1, offset: 0)
        var p = try Preprocessor(spec, sourceWidth: 10, sourceHeight: 8)
        var out: [Float] = []
        try p.process(image, into: &out)
        let expected = (3..<5).flatMap { y in (2..<6).map { x in Float(image[x, y, 0]) } }
        XCTAssertEqual(out, expected)
    }

    func testGrayscaleIsIntegerBT601() throws {
        var image = try Image(width: 4, height: 1, channels: 3)
        // Pixels are stored blue, green, red.
        image.pixels = [0, 0, 255, /**/ 0, 255, 0, /**/ 255, 0, 0, /**/ 10, 200, 100]
        let spec = ImagePreprocessing(width: 4, height: 1, grayscale: true, scale: 1, offset: 0)
        var p = try Preprocessor(spec, sourceWidth: 4, sourceHeight: 1)
        var out: [Float] = []
        try p.process(image, into: &out)
        // red 255·0.299 = 76.2 → 76; green 149.7 → 150; blue 29.07 → 29; (299·100 + 587·200 + 114·10 + 500)/1000 = 148.9 → 148.
        XCTAssertEqual(out, [76, 150, 29, 148])
        XCTAssertEqual(Color(r: 100, g: 200, b: 10).luminance, 148)
    }

    func testColourOutputIsChannelMajorInBGROrderAndNormalized() throws {
        var image = try Image(width: 2, height: 1, channels: 3)
        image.pixels = [1, 2, 3, 4, 5, 6]
        let spec = ImagePreprocessing(width: 2, height: 1, grayscale: false, scale: 0.5, offset: -1)
        var p = try Preprocessor(spec, sourceWidth: 2, sourceHeight: 1)
        var out: [Float] = []
        try p.process(image, into: &out)
        XCTAssertEqual(out, [1, 4, 2, 5, 3, 6].map { Float($0) * 0.5 - 1 })
    }

    func testFrameStackIsNewestFirstAndResetRefills() throws {
        let spec = ImagePreprocessing(width: 1, height: 1, grayscale: true, scale: 1, offset: 0, frames: 3)
        var p = try Preprocessor(spec, sourceWidth: 1, sourceHeight: 1)
        var out: [Float] = []
        func frame(_ v: UInt8) throws -> Image { try Image(width: 1, height: 1, channels: 1, value: v) }
        try p.process(frame(10), into: &out)
        XCTAssertEqual(out, [10, 10, 10], "the first frame fills the stack")
        try p.process(frame(20), into: &out)
        XCTAssertEqual(out, [20, 10, 10])
        try p.process(frame(30), into: &out)
        try p.process(frame(40), into: &out)
        XCTAssertEqual(out, [40, 30, 20])
        p.reset()
        try p.process(frame(50), into: &out)
        XCTAssertEqual(out, [50, 50, 50])
        XCTAssertEqual(spec.observationChannels.map(\.name), ["camera[0,0,0,0]", "camera[1,0,0,0]", "camera[2,0,0,0]"])
    }

    func testBadSpecsAndFramesAreClearErrors() throws {
        func message(_ spec: ImagePreprocessing, _ w: Int = 64, _ h: Int = 48) -> String {
            do {
                _ = try Preprocessor(spec, sourceWidth: w, sourceHeight: h)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(message(.init(crop: .init(x: 40, y: 0, width: 30, height: 10))).contains("outside the 64×48 camera frame"))
        XCTAssertTrue(message(.init(crop: .init(x: -1, y: 0, width: 30, height: 10))).contains("outside"))
        XCTAssertTrue(message(.init(crop: .init(x: 0, y: 0, width: 0, height: 10))).contains("crop size must be positive"))
        XCTAssertTrue(message(.init(width: 0, height: 10)).contains("output size must be positive"))
        XCTAssertTrue(message(.init(frames: 0)).contains("frames must be at least 1"))
        XCTAssertTrue(message(.init(scale: .nan)).contains("finite"))
        XCTAssertTrue(message(.init(), 0, 48).contains("camera frame size must be positive"))

        var p = try Preprocessor(.init(width: 8, height: 8), sourceWidth: 64, sourceHeight: 48)
        var out: [Float] = []
        XCTAssertThrowsError(try p.process(try Image(width: 32, height: 24), into: &out)) { error in
            XCTAssertTrue("\(error)".contains("frame is 32×24, expected the camera's 64×48"), "\(error)")
        }
        var small = [Float](repeating: 0, count: 10)
        XCTAssertThrowsError(try small.withUnsafeMutableBufferPointer { try p.process(try Image(width: 64, height: 48), into: $0) })
    }

    func testProcessingAllocatesNothingPerFrame() throws {
        let spec = ImagePreprocessing(crop: .init(x: 8, y: 4, width: 64, height: 48), width: 32, height: 24, frames: 4)
        var p = try Preprocessor(spec, sourceWidth: 80, sourceHeight: 60)
        let frames = try (0..<4).map { try syntheticFrame($0) }
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: p.observationCount)
        defer { output.deallocate() }
        try p.process(frames[0], into: output)  // warm-up

        allocation_counter_start()
        for i in 0..<200 { try p.process(frames[i % 4], into: output) }
        let allocations = allocation_counter_stop()
        XCTAssertEqual(allocations, 0, "heap allocations over 200 frames")
        // The counter does count on this thread.
        allocation_counter_start()
        let probe = [Float](repeating: output[0], count: 100 + Int(output[1]) % 3)
        XCTAssertGreaterThanOrEqual(allocation_counter_stop(), 1)
        XCTAssertGreaterThan(probe.count, 0)
    }

    func testRealisticFrameRate() throws {
        // 640×480 BGR → 64×64 gray ×4 frames: the deployment path's per-tick cost.
        let spec = ImagePreprocessing(width: 64, height: 64, frames: 4)
        var p = try Preprocessor(spec, sourceWidth: 640, sourceHeight: 480)
        let frame = try syntheticFrame(0, width: 640, height: 480)
        var out: [Float] = []
        try p.process(frame, into: &out)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<20 { try p.process(frame, into: &out) }
        let perFrameMillis = Double(DispatchTime.now().uptimeNanoseconds - start) / 20 / 1e6
        print("preprocess 640×480 BGR → 64×64 gray ×4: \(String(format: "%.2f", perFrameMillis)) ms/frame")
        XCTAssertLessThan(perFrameMillis, 20, "a camera frame must preprocess well within a control period")
    }
}
