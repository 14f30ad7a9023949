/// Reflex's version, recorded in policy files and printed by `reflex --version`.
public enum ReflexVersion {
    public static let current = "0.1.0"
}
