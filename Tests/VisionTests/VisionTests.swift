import Foundation
import XCTest
@testable import Vision

final class VisionTests: XCTestCase {
    func testLinksOpenCV4() {
        XCTAssertTrue(Vision.openCVVersion.hasPrefix("4."), Vision.openCVVersion)
    }
}

/// A fresh temporary directory for one test, removed at the end.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "reflex-vision-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Deterministic test frames: a gradient, a moving bright bar and pseudo-random noise, so every pixel differs
/// from frame to frame and rounding differences would show.
func syntheticFrame(_ index: Int, width: Int = 80, height: Int = 60, channels: Int = 3) throws -> Image {
    var image = try Image(width: width, height: height, channels: channels)
    var state = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
    let barX = (index * 7) % width
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let noise = Int(state >> 59)  // 0…31
                var v = (x * 255 / max(width - 1, 1) + y * 2 + c * 40 + noise) % 256
                if abs(x - barX) < 3 { v = 250 - c * 20 }
                image[x, y, c] = UInt8(v)
            }
        }
    }
    return image
}
