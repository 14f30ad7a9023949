import Foundation
import XCTest
@testable import Vision

final class ImageTests: XCTestCase {
    func testLayoutIsRowMajorBGRInterleaved() throws {
        var image = try Image(width: 3, height: 2, channels: 3)
        image[2, 1, 0] = 7
        XCTAssertEqual(image.pixels[(1 * 3 + 2) * 3], 7)
        image.fill(Color(r: 1, g: 2, b: 3))
        XCTAssertEqual(Array(image.pixels[0..<3]), [3, 2, 1])
        XCTAssertEqual(image.rowBytes, 9)
    }

    func testBadSizesAreErrors() {
        XCTAssertThrowsError(try Image(width: 0, height: 2)) { XCTAssertTrue("\($0)".contains("must be positive"), "\($0)") }
        XCTAssertThrowsError(try Image(width: 2, height: 2, channels: 4)) { XCTAssertTrue("\($0)".contains("1 (gray) or 3 (BGR)"), "\($0)") }
        XCTAssertThrowsError(try Image(width: 2, height: 2, channels: 1, pixels: [1, 2, 3])) { XCTAssertTrue("\($0)".contains("needs 4 bytes, got 3"), "\($0)") }
    }

    func testPNGRoundTripIsLossless() throws {
        let dir = try temporaryDirectory(self)
        for channels in [1, 3] {
            let image = try syntheticFrame(5, width: 31, height: 17, channels: channels)
            let path = dir + "/frame\(channels).png"
            try ImageFile.write(image, path: path)
            XCTAssertEqual(try ImageFile.read(path: path), image)
        }
        // Forcing channels converts: a gray file read as BGR repeats the value.
        let gray = try ImageFile.read(path: dir + "/frame1.png", channels: 3)
        XCTAssertEqual(gray.channels, 3)
        XCTAssertEqual(gray[4, 2, 0], gray[4, 2, 2])
    }

    func testImageFileErrorsNameThePath() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertThrowsError(try ImageFile.read(path: dir + "/missing.png")) { XCTAssertTrue("\($0)".contains("missing.png: no such"), "\($0)") }
        let text = dir + "/notes.png"
        try "not an image".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ImageFile.read(path: text)) { XCTAssertTrue("\($0)".contains("notes.png: not an image"), "\($0)") }
        let image = try Image(width: 2, height: 2)
        XCTAssertThrowsError(try ImageFile.write(image, path: dir + "/nodir/x.png")) { XCTAssertTrue("\($0)".contains("no such directory"), "\($0)") }
        XCTAssertThrowsError(try ImageFile.write(image, path: dir + "/x.unknownformat")) { XCTAssertTrue("\($0)".contains("x.unknownformat"), "\($0)") }
    }
}
