import Foundation
import XCTest
@testable import Vision

final class VideoTests: XCTestCase {
    private func meanAbsoluteDifference(_ a: Image, _ b: Image) -> Double {
        zip(a.pixels, b.pixels).reduce(0.0) { $0 + Double(abs(Int($1.0) - Int($1.1))) } / Double(a.pixels.count)
    }

    /// A smooth colour gradient with a bright vertical bar at a frame-dependent column (what lossy codecs keep).
    private func smoothFrame(_ index: Int, width: Int, height: Int) throws -> Image {
        var image = try Image(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                image[x, y, 0] = UInt8(40 + x * 120 / width)
                image[x, y, 1] = UInt8(60 + y * 100 / height)
                image[x, y, 2] = UInt8(90)
            }
        }
        let bar = Double(8 + index * 4)
        image.draw(antialiased: false) { $0.rectangle(from: Point(bar - 2, 0), to: Point(bar + 2, Double(height - 1)), color: .white, filled: true) }
        return image
    }

    /// The column whose pixels are brightest on average.
    private func brightestColumn(_ image: Image) -> Int {
        (0..<image.width).max { a, b in
            (0..<image.height).reduce(0) { $0 + Int(image[a, $1, 1]) } < (0..<image.height).reduce(0) { $0 + Int(image[b, $1, 1]) }
        } ?? -1
    }

    func testAVIWrittenThenReadBack() throws {
        let dir = try temporaryDirectory(self)
        let frames = try (0..<12).map { try smoothFrame($0, width: 64, height: 48) }
        let writer = try VideoWriter(path: dir + "/run.avi", width: 64, height: 48, frameRate: 20)
        XCTAssertEqual(writer.codec, "MJPG")
        for f in frames { try writer.write(f) }
        writer.close()
        XCTAssertEqual(writer.framesWritten, 12)

        let source = try VideoFileSource(path: dir + "/run.avi")
        XCTAssertEqual(source.width, 64)
        XCTAssertEqual(source.height, 48)
        XCTAssertEqual(source.frameCount, 12)
        XCTAssertEqual(source.frameRate, 20, accuracy: 0.01)
        var image = Image()
        var read = 0
        while try source.read(into: &image) {
            XCTAssertLessThan(meanAbsoluteDifference(image, frames[read]), 4, "frame \(read) survives Motion-JPEG")
            XCTAssertEqual(Double(brightestColumn(image)), Double(8 + read * 4), accuracy: 2, "frame \(read) in order")
            read += 1
        }
        XCTAssertEqual(read, 12)
        XCTAssertFalse(try source.read(into: &image), "stays at the end")
    }

    func testMP4OrItsAVIFallback() throws {
        let dir = try temporaryDirectory(self)
        let writer = try VideoWriter(path: dir + "/run.mp4", width: 48, height: 32, frameRate: 30)
        for i in 0..<5 { try writer.write(try syntheticFrame(i, width: 48, height: 32)) }
        writer.close()
        print("VideoWriter .mp4 → \(writer.path) with \(writer.codec)")
        XCTAssertEqual(writer.fellBack, writer.path.hasSuffix(".avi"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: writer.path))
        let source = try VideoFileSource(path: writer.path)
        var image = Image()
        var read = 0
        while try source.read(into: &image) { read += 1 }
        XCTAssertEqual(read, 5)
        XCTAssertEqual(image.width, 48)
    }

    func testGrayVideoAndWrongFrameSize() throws {
        let dir = try temporaryDirectory(self)
        let writer = try VideoWriter(path: dir + "/gray.avi", width: 32, height: 32, frameRate: 10, color: false)
        try writer.write(try Image(width: 32, height: 32, channels: 1, value: 128))
        XCTAssertThrowsError(try writer.write(try Image(width: 16, height: 32, channels: 1))) {
            XCTAssertTrue("\($0)".contains("frame is 16×32×1, the video is 32×32×1"), "\($0)")
        }
        writer.close()
        XCTAssertThrowsError(try writer.write(try Image(width: 32, height: 32, channels: 1))) { XCTAssertTrue("\($0)".contains("closed"), "\($0)") }
        let source = try VideoFileSource(path: dir + "/gray.avi", gray: true)
        var image = Image()
        XCTAssertTrue(try source.read(into: &image))
        XCTAssertEqual(image.channels, 1)
        XCTAssertEqual(Double(image[10, 10, 0]), 128, accuracy: 3)
    }

    func testWriterErrorsNameThePath() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertThrowsError(try VideoWriter(path: dir + "/run.gif", width: 8, height: 8, frameRate: 10)) {
            XCTAssertTrue("\($0)".contains("run.gif: unsupported extension '.gif'"), "\($0)")
        }
        XCTAssertThrowsError(try VideoWriter(path: dir + "/missing/run.avi", width: 8, height: 8, frameRate: 10)) {
            XCTAssertTrue("\($0)".contains("missing/run.avi: no such directory"), "\($0)")
        }
        XCTAssertThrowsError(try VideoWriter(path: dir + "/run.avi", width: 8, height: 8, frameRate: 0)) {
            XCTAssertTrue("\($0)".contains("frame rate must be positive"), "\($0)")
        }
    }

    func testVideoSourceErrorsNameThePathAndTheProblem() throws {
        let dir = try temporaryDirectory(self)
        func message(_ path: String) -> String {
            do {
                _ = try VideoFileSource(path: path)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(message(dir + "/missing.mp4").contains("missing.mp4: no such video file"))
        XCTAssertTrue(message(dir).contains("is a directory"))
        FileManager.default.createFile(atPath: dir + "/empty.mp4", contents: Data())
        XCTAssertTrue(message(dir + "/empty.mp4").contains("empty.mp4: the video file is empty"))
        try String(repeating: "not a video\n", count: 100).write(toFile: dir + "/notes.mp4", atomically: true, encoding: .utf8)
        XCTAssertTrue(message(dir + "/notes.mp4").contains("notes.mp4: not a video"), message(dir + "/notes.mp4"))
        XCTAssertTrue(message(dir + "/frames/%04d.png").contains("no such directory"))
        XCTAssertTrue(message(dir + "/%04d.png").contains("has no first frame"))
    }

    func testPNGSequenceIsBitExact() throws {
        let dir = try temporaryDirectory(self)
        let frames = try (0..<4).map { try syntheticFrame($0, width: 40, height: 30) }
        for (i, f) in frames.enumerated() { try ImageFile.write(f, path: dir + String(format: "/%04d.png", i)) }
        let source = try VideoFileSource(path: dir + "/%04d.png")
        var image = Image()
        var read: [Image] = []
        while try source.read(into: &image) { read.append(image) }
        XCTAssertEqual(read, frames)
    }
}
