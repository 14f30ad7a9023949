import ReflexCore

extension PolicyFile {
    /// The deployable policy for this file's architecture: `MLPPolicy` for `"mlp"`, `CNNPolicy` for `"cnn"`.
    public func makePolicy() throws -> any Policy {
        try architecture.isCNN ? CNNPolicy(file: self) : MLPPolicy(file: self)
    }

    /// Loads, verifies and builds the deployable policy at `path`, whatever its architecture.
    public static func loadPolicy(path: String) throws -> any Policy {
        try load(path: path).makePolicy()
    }
}
