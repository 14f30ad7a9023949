import ReflexCore

extension FurutaModel: PlantSceneDrawing {
    /// The arm turning about the vertical motor axis and the pendulum hinged at its tip, in an oblique
    /// projection (seen from 35° round and 20° above), with the arm's sweep as an ellipse.
    public func scene(_ s: State) -> Scene {
        let reach = armLength + pendulumLength
        var scene = Scene(view: Scene.Rect(minX: -1.3 * reach, minY: -1.3 * reach, maxX: 1.3 * reach, maxY: 1.3 * reach))
        let azimuth = 35 * Double.pi / 180, elevation = 20 * Double.pi / 180
        func project(_ x: Double, _ y: Double, _ z: Double) -> Scene.Point {
            Scene.Point(-x * sine(azimuth) + y * cosine(azimuth), z * cosine(elevation) + (x * cosine(azimuth) + y * sine(azimuth)) * sine(elevation))
        }
        var sweep: [Scene.Point] = []
        for i in 0..<64 {
            let a = 2 * Double.pi * Double(i) / 64
            sweep.append(project(armLength * cosine(a), armLength * sine(a), 0))
        }
        scene.polyline(sweep, width: 0.01 * reach, closed: true, .guide)
        scene.line(project(0, 0, -0.6 * reach), project(0, 0, 0), width: 0.08 * reach, .joint)
        let tip = (armLength * cosine(s.theta), armLength * sine(s.theta))
        // The pendulum swings in the plane across the arm: horizontally along the arm's tangent, α = 0 hanging.
        let tangent = (-sine(s.theta), cosine(s.theta))
        let end = (tip.0 + pendulumLength * sine(s.alpha) * tangent.0, tip.1 + pendulumLength * sine(s.alpha) * tangent.1,
                   -pendulumLength * cosine(s.alpha))
        scene.line(project(0, 0, 0), project(tip.0, tip.1, 0), width: 0.05 * reach, .body)
        scene.line(project(tip.0, tip.1, 0), project(end.0, end.1, end.2), width: 0.04 * reach, .pole)
        scene.circle(project(tip.0, tip.1, 0), radius: 0.03 * reach, .joint)
        return scene
    }
}
