@testable import Learning
import NeuralNet
import PolicyRuntime
import ReflexCore
import Simulation
import XCTest

/// A SAC run that ends unsolved exports the best-evaluated actor when it beats the last one on the final
/// evaluation's episodes, and leaves the training state (the actor being trained) as it was.
final class SACKeepBestTests: XCTestCase {
    func shortRun(seed: UInt64) throws -> (SAC, TrainingResult) {
        var config = SACConfig()
        // The preset's settings, past the point where Pendulum is learned (≈ 4-5 k steps), where
        // evaluations go up and down.
        config.totalSteps = 7_000
        config.learningStarts = 1_000
        config.batchSize = 64
        config.policyLearningRate = 1e-3
        config.hiddenSizes = [64, 64]
        config.evaluationInterval = 500
        config.evaluationEpisodes = 4
        config.solvedReturn = 1  // Pendulum's returns are ≤ 0: never solved, so the run ends on its budget
        let model = try PendulumModel(description: RobotDescription.bundled(named: "pendulum"))
        let sac = SAC(config: config, seed: seed) { PendulumVectorEnvironment(model: model, count: $0) }
        return (sac, sac.train())
    }

    func testAnUnsolvedRunExportsTheBestEvaluatedActor() throws {
        let description = try RobotDescription.bundled(named: "pendulum")
        let provenance = Provenance(
            robot: "pendulum", algorithm: "sac", seed: 0, envSteps: 0, meanReturn: 0, evaluationEpisodes: 0,
            trainingSeconds: 0, date: "", reflexVersion: ReflexVersion.current, command: "", robotDescription: "")
        var runsThatKept = 0
        for seed in UInt64(1)...2 {
            let (sac, result) = try shortRun(seed: seed)
            XCTAssertFalse(result.solved)
            let exported = sac.policyFile(description: description, provenance: provenance).weights[PolicyArchitecture.weightName(0)]!
            let trained = sac.actorWeights()[0].0
            guard let kept = sac.keptActor else {
                XCTAssertEqual(exported.scalars, trained.scalars, "seed \(seed): without a kept actor the last one is exported")
                continue
            }
            runsThatKept += 1
            XCTAssertLessThan(kept.envSteps, result.envSteps, "seed \(seed)")
            XCTAssertGreaterThan(result.evaluation.mean, kept.lastEvaluation.mean, "seed \(seed): kept only when better on the same episodes")
            XCTAssertEqual(exported.scalars, kept.weights[0].0.scalars, "seed \(seed): the kept actor is exported")
            XCTAssertNotEqual(exported.scalars, trained.scalars, "seed \(seed): training state keeps the last actor")
            // The exported policy scores what the result says, evaluated the way the trainer does.
            sac.setActorWeights(kept.weights)
            XCTAssertEqual(sac.evaluate(episodes: 4, seed: sac.seed &+ 7_777).mean, result.evaluation.mean, accuracy: 1e-9, "seed \(seed)")
        }
        XCTAssertGreaterThan(runsThatKept, 0, "no short run ended worse than its best evaluation; the test exercised nothing")
    }
}
