import XCTest
@testable import Vision

final class VisionTests: XCTestCase {
    func testLinksOpenCV4() {
        XCTAssertTrue(Vision.openCVVersion.hasPrefix("4."), Vision.openCVVersion)
    }
}
