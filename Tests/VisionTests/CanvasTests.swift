import XCTest
@testable import Vision

final class CanvasTests: XCTestCase {
    private func count(_ image: Image, _ color: Color) -> Int {
        var n = 0
        for y in 0..<image.height {
            for x in 0..<image.width where image[x, y, 0] == color.b && image[x, y, 1] == color.g && image[x, y, 2] == color.r { n += 1 }
        }
        return n
    }

    func testFilledRectangleCoversExactlyItsPixels() throws {
        var image = try Image(width: 20, height: 10)
        image.draw(antialiased: false) { $0.rectangle(from: Point(2, 3), to: Point(6, 5), color: .white, filled: true) }
        XCTAssertEqual(count(image, .white), 5 * 3)
        XCTAssertEqual(image[2, 3, 0], 255)
        XCTAssertEqual(image[6, 5, 1], 255)
        XCTAssertEqual(image[7, 5, 1], 0)
    }

    func testShapesTextAndClipping() throws {
        var image = try Image(width: 64, height: 48)
        image.draw(antialiased: false) { canvas in
            canvas.circle(center: Point(20, 20), radius: 5, color: .red, filled: true)
            canvas.line(from: Point(0, 40), to: Point(63, 40), color: .green, thickness: 1)
            canvas.fillPolygon([Point(40, 5), Point(60, 5), Point(50, 15)], color: .blue)
            canvas.rectangle(from: Point(-100, -100), to: Point(1000, 1000), color: .yellow)  // outline outside: clipped away
            canvas.line(from: Point(.nan, 0), to: Point(10, 10), color: .white)  // draws nothing
        }
        XCTAssertEqual(image[20, 20, 2], Color.red.r)
        XCTAssertGreaterThan(count(image, .red), 60)  // π·5² ≈ 78
        XCTAssertLessThan(count(image, .red), 130)
        XCTAssertEqual(count(image, .green), 64)
        XCTAssertEqual(image[50, 8, 0], Color.blue.b)
        XCTAssertEqual(count(image, .white), 0)
        XCTAssertEqual(count(image, .yellow), 0)

        var text = try Image(width: 120, height: 30)
        text.draw { $0.text("step 12 é", at: Point(2, 20), color: .white) }
        XCTAssertGreaterThan(text.pixels.filter { $0 > 0 }.count, 50, "text draws pixels")
        let size = Canvas.textSize("step 12")
        XCTAssertGreaterThan(size.width, 30)
        XCTAssertGreaterThan(size.height, 5)
    }

    func testGrayCanvasUsesLuminance() throws {
        var image = try Image(width: 4, height: 4, channels: 1)
        image.draw(antialiased: false) { $0.rectangle(from: Point(0, 0), to: Point(3, 3), color: .red, filled: true) }
        XCTAssertEqual(image[1, 1, 0], Color.red.luminance)
    }
}
