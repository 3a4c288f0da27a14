import GradvizCore

/// The output formats of `gradviz`.
public enum OutputFormat: String, CaseIterable, Sendable {
    case svg, dot, png, pdf, json

    /// The format an output path asks for by its extension.
    public init?(path: String) {
        guard let dot = path.lastIndex(of: ".") else { return nil }
        self.init(rawValue: path[path.index(after: dot)...].lowercased())
    }

    public var isBinary: Bool { self == .png || self == .pdf }
}

/// How a drawing looks and what it shows.
public struct RenderOptions: Sendable {
    public enum View: String, CaseIterable, Sendable { case forward, backward, both }
    public enum Theme: String, CaseIterable, Sendable { case light, dark }
    public enum ColorBy: String, CaseIterable, Sendable { case none, grad }

    public var view: View = .both
    /// "LR" (left to right) or "TB" (top to bottom).
    public var rankdir: String = "LR"
    public var theme: Theme = .light
    /// Significant digits of numbers in labels.
    public var precision: Int = 4
    /// Draw only the neighbourhood of this value (by id), `depth` edges in each direction.
    public var focus: String?
    public var depth: Int = 2
    /// Gradient norms below `vanish` or above `explode` mark their edges.
    public var vanish: Double = 1e-7
    public var explode: Double = 1e3
    public var colorBy: ColorBy = .none
    /// Progress messages for long layouts (stderr in the command).
    public var progress: (@Sendable (String) -> Void)?

    public init() {}
}
