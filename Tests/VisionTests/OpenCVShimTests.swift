import COpenCV
import XCTest
@testable import Vision

/// The shim turns OpenCV's exceptions into error codes and messages: bad calls return RCV_ERROR, never abort.
final class OpenCVShimTests: XCTestCase {
    func testBadCallsReturnErrorsInsteadOfAborting() {
        var bytes = [UInt8](repeating: 0, count: 12)
        bytes.withUnsafeMutableBufferPointer { p in
            let view = rcv_view(data: p.baseAddress, width: 2, height: 2, channels: 3)
            let bad = rcv_view(data: p.baseAddress, width: -5, height: 2, channels: 3)
            XCTAssertEqual(rcv_resize(view, bad, RCV_INTER_AREA), RCV_ERROR)
            XCTAssertTrue(lastOpenCVError().contains("invalid image"), lastOpenCVError())
            // OpenCV itself throws here (CV_Assert(radius >= 0) in cv::circle); the shim catches it.
            XCTAssertEqual(rcv_draw_circle(view, 16, 16, -32, rcv_color(b: 1, g: 1, r: 1), 1, 0), RCV_ERROR)
            XCTAssertTrue(lastOpenCVError().hasPrefix("draw circle:"), lastOpenCVError())
            XCTAssertEqual(rcv_fill_polygon(view, nil, 0, rcv_color(b: 1, g: 1, r: 1), 0), RCV_ERROR)
        }
        XCTAssertNil(rcv_capture_open_path("/nonexistent/video.mp4", RCV_API_ANY))
        XCTAssertNil(rcv_writer_open("/tmp/x.mp4", "toolong", 30, 8, 8, 1))
    }

    func testResizeAndColourConversion() throws {
        var src = try Image(width: 4, height: 4, channels: 3, value: 100)
        src.fill(Color(r: 200, g: 100, b: 0))
        var dst = try Image(width: 2, height: 2, channels: 1)
        var gray = [UInt8](repeating: 0, count: 16)
        let (sw, sh) = (Int32(src.width), Int32(src.height))
        src.pixels.withUnsafeMutableBufferPointer { s in
            gray.withUnsafeMutableBufferPointer { g in
                XCTAssertEqual(rcv_convert_color(rcv_view(data: s.baseAddress, width: sw, height: sh, channels: 3),
                                                 rcv_view(data: g.baseAddress, width: sw, height: sh, channels: 1)), RCV_OK)
            }
        }
        // OpenCV's BT.601 fixed point: 0.299·200 + 0.587·100 = 118.5 → 118 or 119.
        XCTAssertTrue((118...119).contains(gray[0]), "\(gray[0])")
        gray.withUnsafeMutableBufferPointer { g in
            dst.pixels.withUnsafeMutableBufferPointer { d in
                XCTAssertEqual(rcv_resize(rcv_view(data: g.baseAddress, width: 4, height: 4, channels: 1),
                                          rcv_view(data: d.baseAddress, width: 2, height: 2, channels: 1), RCV_INTER_AREA), RCV_OK)
            }
        }
        XCTAssertEqual(dst.pixels, [UInt8](repeating: gray[0], count: 4))
    }
}
