import ReflexCore
#if canImport(Glibc)
import Glibc
#endif

/// Which line a `diffdrive` robot follows (`task.track`).
public enum TrackFamily: Int, Sendable {
    /// The open sine line `y = A sin(2π x / λ)`, the same in every episode.
    case sine = 0
    /// A closed `Track` drawn from each episode's seed.
    case closed = 1
}

/// Tracks for training or for evaluation on tracks never seen in training: a track's seed has its top bit
/// clear for training and set for evaluation, so the two sets are disjoint whatever episode seeds are used.
public enum TrackSet: Sendable {
    case training, evaluation

    /// The track seed for a raw draw.
    @inline(__always)
    public func trackSeed(_ raw: UInt64) -> UInt64 {
        switch self {
        case .training: return raw & ~(1 << 63)
        case .evaluation: return raw | (1 << 63)
        }
    }
}

extension Track {
    /// No track (the sine line's states carry this).
    public static let none = Track(radius: 0, width: 0)
}

extension DiffDriveModel {
    /// The model with episodes drawn from `set`'s tracks.
    public func with(trackSet set: TrackSet) -> DiffDriveModel {
        var copy = self
        copy.trackSet = set
        return copy
    }

    /// The track for a track seed, with this description's shape parameters.
    public func track(seed: UInt64) -> Track {
        Track.random(
            seed: seed, radius: trackRadius, wobble: trackWobble, width: lineWidth, widthVariation: lineWidthVariation,
            minimumBendRadius: trackMinimumBend)
    }

    /// A closed-track start: a new track from the generator (in `trackSet`), the robot at a random point
    /// of it, across the line by ± `initial_offset_range`, heading along it ± `initial_heading_range`.
    func initialStateOnTrack(using g: inout SeededGenerator) -> State {
        var s = State()
        s.track = track(seed: trackSet.trackSeed(g.next()))
        let theta = g.uniform(0, 2 * .pi)
        let offset = initialOffsetRange > 0 ? g.uniform(-initialOffsetRange, initialOffsetRange) : 0
        let heading = s.track.heading(theta)
        let p = s.track.point(theta)
        // Offset along the left normal (−sin ψ, cos ψ).
        s.x = p.x - offset * sin(heading)
        s.y = p.y + offset * cos(heading)
        s.heading = heading + (initialHeadingRange > 0 ? g.uniform(-initialHeadingRange, initialHeadingRange) : 0)
        s.trackAngle = s.track.nearest(x: s.x, y: s.y, guess: theta).theta
        s.xBefore = s.x
        s.leftDuty = left.safe
        s.rightDuty = right.safe
        return s
    }

    /// Follows the nearest track point after a step and adds the arc length between the two to the progress.
    func advanceAlongTrack(_ s: inout State) {
        s.progressBefore = s.progress
        let previous = s.trackAngle
        var theta = s.track.nearest(x: s.x, y: s.y, guess: previous).theta
        // One period moves the nearest point by far less than half a turn: unwrap against the last one.
        var delta = theta - previous
        delta -= 2 * .pi * (delta / (2 * .pi)).rounded()
        theta = previous + delta
        s.trackAngle = theta
        s.progress += delta * s.track.speed(previous + delta / 2)
    }

    /// Signed distance of the robot's centre from the line, m (positive to its left; inside a closed track).
    public func lineOffset(_ s: State) -> Double {
        trackFamily == .closed
            ? s.track.nearest(x: s.x, y: s.y, guess: s.trackAngle).distance : distanceFromLine(x: s.x, y: s.y)
    }

    /// Signed distance of a point from the episode's line, m (positive to its left).
    public func lineOffset(_ s: State, x: Double, y: Double) -> Double {
        trackFamily == .closed ? s.track.nearest(x: x, y: y, guess: s.trackAngle).distance : distanceFromLine(x: x, y: y)
    }

    /// Whole laps completed on a closed track since the episode's start (0 on the sine line).
    public func laps(_ s: State) -> Int {
        guard trackFamily == .closed, s.track.length > 0, s.progress > 0 else { return 0 }
        return Int((s.progress / s.track.length).rounded(.down))
    }
}
