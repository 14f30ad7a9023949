import ReflexCore
import ReflexTestSupport
import XCTest
@testable import Control

final class SafetyFilterTests: XCTestCase {
    let actuators = [
        ChannelSpec(name: "force", unit: "N", min: -10, max: 10, safeValue: 0),
        ChannelSpec(name: "duty", unit: "%", min: 5, max: 100),
    ]

    func filter(_ values: [Float], previous: [Float]?, step: Float?) -> ([Float], SafetyFilter.Actions) {
        let f = SafetyFilter(actuators: actuators, maxChangePerTick: step)
        var v = values
        let actions = v.withUnsafeMutableBufferPointer { b in
            if let previous { return previous.withUnsafeBufferPointer { f.apply(b, previous: $0) } }
            return f.apply(b)
        }
        return (v, actions)
    }

    func testClampsToTheActuatorRanges() {
        let (v, actions) = filter([25, 2], previous: nil, step: nil)
        XCTAssertEqual(v, [10, 5])
        XCTAssertEqual(actions, [.clamped])
    }

    func testRateLimitBoundsTheChangePerTickFromThePreviousCommand() {
        let (v, actions) = filter([10, 50], previous: [0, 48], step: 3)
        XCTAssertEqual(v, [3, 50])
        XCTAssertEqual(actions, [.rateLimited])
        let (down, _) = filter([-10, 5], previous: [1, 48], step: 3)
        XCTAssertEqual(down, [-2, 45])
    }

    func testRateLimitIsOffByDefault() {
        let (v, actions) = filter([10, 50], previous: [-10, 5], step: nil)
        XCTAssertEqual(v, [10, 50])
        XCTAssertEqual(actions, [])
    }

    func testNonFiniteBecomesTheSafeValueWithoutRateLimit() {
        // The declared safe value, or 0 clamped into the range when none is declared.
        let (v, actions) = filter([.nan, .infinity], previous: [9, 90], step: 1)
        XCTAssertEqual(v, [0, 5])
        XCTAssertEqual(actions, [.replacedNonFinite])
    }
}
