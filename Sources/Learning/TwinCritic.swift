import NeuralNet

/// One of SAC's twin Q networks with its Polyak-averaged target and the workspaces of its passes.
///
/// The two critics run side by side on two lanes (`SAC.bothCritics`): each touches only its own fields and
/// reads the shared `Inputs`, which SAC writes between phases, never during one. Every buffer is sized on
/// first use and reused, so a gradient step allocates nothing.
final class TwinCritic {
    /// The passes of a SAC gradient step that run on both critics.
    enum Phase {
        /// Q'(s', a') of the target network, for the regression targets.
        case target
        /// One regression step's forward and backward on the replayed transitions.
        case train
        /// Q(s, a) for the actor's actions (keeps the inputs for `policyBackward`).
        case policyForward
        /// ∂Q/∂a through the network, on the rows `outputGradient` selects.
        case policyBackward
    }

    /// What both critics read, each [batch, observationSize + actionSize] except `targets` [batch].
    struct Inputs {
        /// Next observations with a' ~ π(s').
        var next = Tensor(zeros: [0, 0])
        /// Replayed observations with their actions.
        var replayed = Tensor(zeros: [0, 0])
        /// Observations with a ~ π(s), for the actor step.
        var policy = Tensor(zeros: [0, 0])
        /// Regression targets y.
        var targets: [Float] = []
    }

    let network: Sequential
    let target: Sequential
    private let parameters: [Parameter]
    private let targetParameters: [Parameter]
    private let observationSize: Int
    private let actionSize: Int
    /// [batch] Q'(s', a') of the target network.
    private(set) var targetValues: [Float] = []
    /// Mean squared error of the last regression step.
    private(set) var loss: Float = 0
    private var lossGradient = Tensor(zeros: [0, 0])
    /// [batch] Q(s, a) for the actor's actions.
    private(set) var values: [Float] = []
    /// [batch, 1] ∂L/∂Q of the actor step: 1 on the rows where this critic is the smaller (`selectRows` zeroes it).
    var outputGradient = Tensor(zeros: [0, 0])
    /// [batch × actions] ∂Q/∂a on those rows.
    private(set) var actionGradient: [Float] = []

    init(network: Sequential, target: Sequential, observationSize: Int, actionSize: Int) {
        self.network = network
        self.target = target
        parameters = network.parameters
        targetParameters = target.parameters
        self.observationSize = observationSize
        self.actionSize = actionSize
    }

    func run(_ phase: Phase, inputs: Inputs) {
        switch phase {
        case .target:
            Self.copy(target.forward(inputs.next), into: &targetValues)
            target.releaseCachedInputs()
        case .train:
            loss = Losses.meanSquaredError(prediction: network.forward(inputs.replayed), target: inputs.targets, gradient: &lossGradient)
            _ = network.backward(lossGradient)
        case .policyForward:
            Self.copy(network.forward(inputs.policy), into: &values)
        case .policyBackward:
            let g = network.backward(outputGradient)
            let rows = g.shape[0], os = observationSize, a = actionSize, w = os + a
            if actionGradient.count != rows * a { resize(&actionGradient, rows * a, 0) }
            g.scalars.withUnsafeBufferPointer { g in
                for k in 0..<rows {
                    for j in 0..<a { actionGradient[k * a + j] = g[k * w + os + j] }
                }
            }
        }
    }

    /// Makes `outputGradient` [rows, 1] of zeros, for the actor step to mark this critic's rows.
    func selectRows(_ rows: Int) {
        outputGradient.reshape(rows: rows, columns: 1)
        outputGradient.zero()
    }

    /// θ' ← τ θ + (1 − τ) θ'
    func updateTarget(tau: Float) {
        SAC.polyak(from: parameters, to: targetParameters, tau: tau)
    }

    private static func copy(_ tensor: Tensor, into values: inout [Float]) {
        if values.count != tensor.count { resize(&values, tensor.count, 0) }
        tensor.scalars.withUnsafeBufferPointer { s in
            for i in s.indices { values[i] = s[i] }
        }
    }
}
