import ReflexCore

extension PendulumModel {
    /// The rod from its hinge, θ from upright (Gymnasium's angle), with a ring for the reach.
    public func scene(_ s: PendulumState) -> Scene {
        let l = length
        var scene = Scene(view: Scene.Rect(minX: -1.25 * l, minY: -1.25 * l, maxX: 1.25 * l, maxY: 1.25 * l))
        var ring: [Scene.Point] = []
        for i in 0..<64 {
            let a = 2 * Double.pi * Double(i) / 64
            ring.append(Scene.Point(l * cosine(a), l * sine(a)))
        }
        scene.polyline(ring, width: 0.01 * l, closed: true, .guide)
        let tip = Scene.Point(-l * sine(s.theta), l * cosine(s.theta))
        scene.line(Scene.Point(0, 0), tip, width: 0.12 * l, .pole)
        scene.circle(tip, radius: 0.07 * l, .pole)
        scene.circle(Scene.Point(0, 0), radius: 0.05 * l, .joint)
        return scene
    }
}

extension PendulumEnvironment: SceneProviding {
    public var scene: Scene { model.scene(state) }
}

extension PendulumPlant: SceneProviding {
    public var scene: Scene { model.scene(state) }
}
