import ReflexCore

extension CartPoleModel {
    /// The cart on its rail between the track limits, the pole leaning by θ (positive towards +x).
    public func scene(_ s: CartPoleState) -> Scene {
        cartPoleScene(x: s.x, theta: s.theta, halfLength: poleHalfLength, limit: xThreshold)
    }
}

extension CartPoleEnvironment: SceneProviding {
    public var scene: Scene { model.scene(state) }
}

extension CartPolePlant: SceneProviding {
    public var scene: Scene { model.scene(state) }
}

extension CartPoleRigModel: PlantSceneDrawing {
    /// The belt-driven cart between its limits, the pole leaning by θ; the motor duty as a bar under the rail.
    public func scene(_ s: State) -> Scene {
        var scene = cartPoleScene(x: s.x, theta: s.theta, halfLength: poleHalfLength, limit: xThreshold)
        let bar = max(-1, min(1, s.duty)) * xThreshold * 0.5
        scene.box(center: Scene.Point(bar / 2, -0.12), length: abs(bar), width: 0.04, angle: 0, .accent)
        return scene
    }
}

/// Rail, limits, cart and pole, sized to the pole so every cart-pole reads the same at any scale.
func cartPoleScene(x: Double, theta: Double, halfLength: Double, limit: Double) -> Scene {
    let pole = 2 * halfLength
    let cartWidth = max(0.2, pole * 0.5), cartHeight = cartWidth * 0.5
    let margin = cartWidth
    var scene = Scene(view: Scene.Rect(
        minX: -limit - margin, minY: -cartHeight - 0.2 * pole, maxX: limit + margin, maxY: cartHeight + 1.2 * pole))
    scene.line(Scene.Point(-limit - margin, 0), Scene.Point(limit + margin, 0), width: 0.01 * pole + 0.005, .guide)
    for side in [-limit, limit] {
        scene.line(Scene.Point(side, -cartHeight * 0.5), Scene.Point(side, cartHeight * 1.5), width: 0.01 * pole + 0.005, .accent)
    }
    let pivot = Scene.Point(x, cartHeight)
    scene.box(center: Scene.Point(x, cartHeight / 2), length: cartWidth, width: cartHeight, angle: 0, .body)
    let tip = Scene.Point(x + pole * sine(theta), pivot.y + pole * cosine(theta))
    scene.line(pivot, tip, width: pole * 0.05, .pole)
    scene.circle(pivot, radius: pole * 0.035, .joint)
    return scene
}
