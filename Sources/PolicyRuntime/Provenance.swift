/// Where a policy came from: enough to reproduce it and to judge it.
///
/// Stored as compact JSON in the policy file's `provenance` metadata entry.
public struct Provenance: Codable, Equatable, Hashable, Sendable {
    /// Robot description name the policy was trained for (`cartpole`).
    public var robot: String
    /// Training algorithm (`ppo`, `sac`).
    public var algorithm: String
    /// Master seed of the training run.
    public var seed: UInt64
    /// Environment steps taken during training.
    public var envSteps: Int
    /// Mean undiscounted return of the deterministic policy over `evaluationEpisodes` episodes.
    public var meanReturn: Double
    public var evaluationEpisodes: Int
    /// Wall-clock training time, seconds.
    public var trainingSeconds: Double
    /// When training finished, ISO-8601 (`2025-01-31T12:00:00Z`).
    public var date: String
    /// Version of Reflex that trained the policy.
    public var reflexVersion: String
    /// The command line that produced the policy.
    public var command: String
    /// The YAML text of the robot description used in training.
    public var robotDescription: String

    public init(
        robot: String, algorithm: String, seed: UInt64, envSteps: Int, meanReturn: Double, evaluationEpisodes: Int,
        trainingSeconds: Double, date: String, reflexVersion: String, command: String, robotDescription: String
    ) {
        self.robot = robot
        self.algorithm = algorithm
        self.seed = seed
        self.envSteps = envSteps
        self.meanReturn = meanReturn
        self.evaluationEpisodes = evaluationEpisodes
        self.trainingSeconds = trainingSeconds
        self.date = date
        self.reflexVersion = reflexVersion
        self.command = command
        self.robotDescription = robotDescription
    }
}
