import Foundation

/// Gymnasium CartPole-v1 trajectories recorded by `Fixtures/record_cartpole.py`.
struct CartPoleFixture {
    struct Row {
        var step: Int
        /// nil on the start row (step 0).
        var action: Int?
        /// Gymnasium's float64 state x, ẋ, θ, θ̇.
        var state: [Double]
        /// The float32 observation (widened exactly to Double in the file).
        var observation: [Float]
        var reward: Double?
        var terminated: Bool?
        var truncated: Bool?
    }

    struct Trajectory {
        var name: String
        /// rows[0] is the start state; rows[i] follows the i-th action.
        var rows: [Row]
        var actions: [Int] { rows.compactMap(\.action) }
    }

    var trajectories: [Trajectory]

    static func load() throws -> CartPoleFixture {
        guard let url = Bundle.module.url(forResource: "cartpole_trajectories", withExtension: "csv", subdirectory: "Fixtures")
        else { throw FixtureError("Fixtures/cartpole_trajectories.csv is not in the test bundle") }
        return try parse(String(contentsOf: url, encoding: .utf8))
    }

    static func parse(_ text: String) throws -> CartPoleFixture {
        var trajectories: [Trajectory] = []
        var sawHeader = false
        for (index, line) in text.split(separator: "\n").enumerated() {
            if line.hasPrefix("#") { continue }
            if !sawHeader {
                sawHeader = true
                continue
            }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 14 else { throw FixtureError("line \(index + 1): expected 14 fields, got \(f.count)") }
            func number(_ i: Int) throws -> Double {
                guard let v = Double(f[i]) else { throw FixtureError("line \(index + 1): field \(i) '\(f[i])' is not a number") }
                return v
            }
            func flag(_ i: Int) throws -> Bool? { f[i].isEmpty ? nil : try number(i) != 0 }
            let row = Row(
                step: Int(f[1]) ?? -1,
                action: Int(f[2]),
                state: try (3...6).map(number),
                observation: try (7...10).map { Float(try number($0)) },
                reward: f[11].isEmpty ? nil : try number(11),
                terminated: try flag(12),
                truncated: try flag(13))
            if trajectories.last?.name != f[0] {
                trajectories.append(Trajectory(name: f[0], rows: []))
            }
            trajectories[trajectories.count - 1].rows.append(row)
        }
        return CartPoleFixture(trajectories: trajectories)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
