/// An error at the edges (files, ports, arguments), with a message that says what is wrong and where.
public struct ReflexError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of thing went wrong; a closed set that can grow.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidDescription = Code(rawValue: "invalid robot description")
        public static let unknownRobot = Code(rawValue: "unknown robot")
        public static let invalidPolicyFile = Code(rawValue: "invalid policy file")
        public static let policyMismatch = Code(rawValue: "policy does not fit")
        public static let io = Code(rawValue: "i/o error")
        public static let link = Code(rawValue: "link error")
        public static let protocolViolation = Code(rawValue: "protocol error")
        public static let timeout = Code(rawValue: "timeout")
        public static let invalidArgument = Code(rawValue: "invalid argument")
        public static let channelMismatch = Code(rawValue: "channel mismatch")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
