/// Why Graphviz could not lay out or render a graph. `message` is Graphviz's own text
/// where it reported one.
public enum GraphvizError: Error, Equatable, CustomStringConvertible {
    /// Graphviz has no layout plugins: its plugin configuration file is missing.
    case pluginsMissing
    case unknownLayoutEngine(String, available: [String])
    case unknownFormat(String, available: [String])
    /// The layout ran but Graphviz reported an error (e.g. a malformed HTML-like label,
    /// after which Graphviz silently draws the node's name instead).
    case layoutFailed(engine: String, message: String)
    case renderFailed(format: String, message: String)
    /// An attribute value known to crash or hang Graphviz 2.42 on these graphs.
    case unsafeAttribute(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .pluginsMissing:
            return "Graphviz found no layout plugins: its plugin configuration is missing. "
                + "Run `dot -c` as root to register the installed plugins."
        case let .unknownLayoutEngine(engine, available):
            return "Graphviz has no layout engine \"\(engine)\" (available: \(available.joined(separator: " ")))"
        case let .unknownFormat(format, available):
            return "Graphviz has no output format \"\(format)\" (available: \(available.joined(separator: " ")))"
        case let .layoutFailed(engine, message):
            return "Graphviz \(engine) layout failed: \(message)"
        case let .renderFailed(format, message):
            return "Graphviz could not render \(format): \(message)"
        case let .unsafeAttribute(name, value, reason):
            return "refusing \(name)=\(value): \(reason)"
        }
    }
}
