import Foundation

/// Gymnasium Pendulum-v1 trajectories recorded by `Fixtures/record_pendulum.py`.
struct PendulumFixture {
    struct Row {
        var step: Int
        /// The Float32 torque passed to `step`; nil on the start row (step 0).
        var action: Float?
        /// Gymnasium's float64 state θ, θ̇.
        var state: [Double]
        /// The float32 observation cos θ, sin θ, θ̇.
        var observation: [Float]
        var reward: Double?
        var terminated: Bool?
        var truncated: Bool?
    }

    struct Trajectory {
        var name: String
        /// rows[0] is the start state; rows[i] follows the i-th action.
        var rows: [Row]
    }

    var trajectories: [Trajectory]

    static func load() throws -> PendulumFixture {
        guard let url = Bundle.module.url(forResource: "pendulum_trajectories", withExtension: "csv", subdirectory: "Fixtures")
        else { throw FixtureError("Fixtures/pendulum_trajectories.csv is not in the test bundle") }
        return try parse(String(contentsOf: url, encoding: .utf8))
    }

    static func parse(_ text: String) throws -> PendulumFixture {
        var trajectories: [Trajectory] = []
        var sawHeader = false
        for (index, line) in text.split(separator: "\n").enumerated() {
            if line.hasPrefix("#") { continue }
            if !sawHeader {
                sawHeader = true
                continue
            }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 11 else { throw FixtureError("line \(index + 1): expected 11 fields, got \(f.count)") }
            func number(_ i: Int) throws -> Double {
                guard let v = Double(f[i]) else { throw FixtureError("line \(index + 1): field \(i) '\(f[i])' is not a number") }
                return v
            }
            func flag(_ i: Int) throws -> Bool? { f[i].isEmpty ? nil : try number(i) != 0 }
            let row = Row(
                step: Int(f[1]) ?? -1,
                action: f[2].isEmpty ? nil : Float(try number(2)),
                state: try (3...4).map(number),
                observation: try (5...7).map { Float(try number($0)) },
                reward: f[8].isEmpty ? nil : try number(8),
                terminated: try flag(9),
                truncated: try flag(10))
            if trajectories.last?.name != f[0] {
                trajectories.append(Trajectory(name: f[0], rows: []))
            }
            trajectories[trajectories.count - 1].rows.append(row)
        }
        return PendulumFixture(trajectories: trajectories)
    }
}
