import ReflexCore

extension DiffDriveModel: PlantSceneDrawing {
    /// Seen from above: the floor, the line (the whole closed track, or the stretch of sine line around
    /// the robot), and the robot — body, wheels, reflectance sensors — at its pose.
    public func scene(_ s: State) -> Scene {
        var scene: Scene
        let floor = Scene.Color(gray: min(1, floorReflectance)), tape = Scene.Color(gray: min(1, lineReflectance))
        if trackFamily == .closed, s.track.radius > 0 {
            let e = s.track.extent + 0.1
            scene = Scene(view: Scene.Rect(minX: -e, minY: -e, maxX: e, maxY: e), background: floor)
            // The width varies along the track: short segments, each at its own width.
            let n = 240
            var previous = s.track.point(0)
            for i in 1...n {
                let t = 2 * Double.pi * Double(i) / Double(n)
                let p = s.track.point(t)
                scene.line(Scene.Point(previous.x, previous.y), Scene.Point(p.x, p.y), width: s.track.lineWidth(t), tape)
                previous = p
            }
        } else {
            let half = 0.6
            scene = Scene(view: Scene.Rect(minX: s.x - half, minY: s.y - half, maxX: s.x + half, maxY: s.y + half), background: floor)
            var points: [Scene.Point] = []
            for i in 0...120 {
                let x = s.x - 0.7 + 1.4 * Double(i) / 120
                points.append(Scene.Point(x, line(x)))
            }
            scene.polyline(points, width: lineWidth, tape)
        }
        let c = cosine(s.heading), sn = sine(s.heading)
        func local(_ forward: Double, _ left: Double) -> Scene.Point {
            Scene.Point(s.x + forward * c - left * sn, s.y + forward * sn + left * c)
        }
        let bodyLength = max(axleWidth, sensorOffset + 0.02) * 1.2
        scene.box(center: local(sensorOffset / 2, 0), length: bodyLength, width: axleWidth * 0.8, angle: s.heading, .body)
        for side in [-1.0, 1.0] {
            scene.box(center: local(0, side * axleWidth / 2), length: 2 * wheelRadius, width: 0.012, angle: s.heading, .wheel)
        }
        let n = reflectance.count
        for k in 0..<n {
            let lateral = (Double(n - 1) / 2 - Double(k)) * sensorSpacing
            scene.circle(local(sensorOffset, lateral), radius: 0.003, .accent)
        }
        scene.line(local(0, 0), local(bodyLength * 0.6, 0), width: 0.004, .white)
        return scene
    }
}
