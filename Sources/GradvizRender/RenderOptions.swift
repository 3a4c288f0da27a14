import GradvizCore

/// The output formats of `gradviz`.
public enum OutputFormat: String, CaseIterable, Sendable {
    case svg, dot, png, pdf, json
    /// The explorer: one self-contained page with the drawing and every number (Explorer).
    case html

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
    /// Who places the nodes: Graphviz's dot, gradviz's own layered layout (seconds for
    /// tens of thousands of nodes), or auto: dot while it is fast, layered past that.
    public enum Layout: String, CaseIterable, Sendable { case auto, dot, layered }

    public var view: View = .both
    /// "LR" (left to right), "RL", "TB" (top to bottom) or "BT".
    public var rankdir: String = "LR"
    public var theme: Theme = .light
    /// Significant digits of numbers in labels.
    public var precision: Int = 4
    /// Draw only the neighbourhood of this value (by id), `depth` edges in each direction.
    public var focus: String?
    public var depth: Int = 2
    /// Gradient norms below `vanish` (but not exactly zero: a zero input or a dead ReLU
    /// gives those) or above `explode` mark their edges.
    public var vanish: Double = 1e-7
    public var explode: Double = 1e3
    public var colorBy: ColorBy = .none
    public var layout: Layout = .auto
    /// Gradient-check results to draw, by graph node index (`gradviz check -o report.svg`).
    public var checkMarks: [Int: CheckMark] = [:]
    /// Past this many nodes to lay out (inputs, ops, ports, outputs, Σ nodes, references)
    /// without `focus`, the drawing folds groups, calls and repeated structure into summary
    /// nodes (`StructureFolding`), or for a graph without them keeps the values nearest the
    /// outputs and folds the rest into one summary node, folding more until it fits; a
    /// `focus` that does not fit is refused (`DrawingLimits.maxNodes`).
    public var maxNodes: Int = DrawingLimits.maxNodes
    /// Groups (by path, "encoder/attn"), composite calls (by call id) and functions (every
    /// call of it) that folding keeps open, with what encloses them (`--expand`).
    public var expand: [String] = []
    /// Progress messages for long layouts (stderr in the command).
    public var progress: (@Sendable (String) -> Void)?

    public init() {}
}

/// The result of checking one op node's backward, as the drawing shows it.
public struct CheckMark: Sendable {
    public enum Verdict: Sendable { case passed, failed, unchecked }
    /// passed (✓), failed (✗, red outline), or unchecked: the op's output is not finite
    /// at the inputs it receives, so there was nothing to compare (neutral, not blamed).
    public var verdict: Verdict
    public var passed: Bool {
        get { verdict == .passed }
        set { verdict = newValue ? .passed : .failed }
    }
    public var failed: Bool { verdict == .failed }
    /// Some checked element sits at a kink (relu at 0, a tie of max): reported, not failed.
    public var kink: Bool
    /// Some checked element sits where the derivative is infinite (sqrt at 0): not failed.
    public var infiniteDerivative = false
    /// One line, e.g. "op check FAILED: max rel err 5.0e-01".
    public var summary: String
    /// Per input slot of a failed op: what the drawing says beside that gradient edge.
    public var slots: [Int: String]
    /// Per input slot of a failed op: the finite-difference gradient for the same upstream
    /// gradient as the model's, i.e. what the ∇ drawn on that edge should be.
    public var expected: [Int: Tensor] = [:]

    public init(passed: Bool, kink: Bool, summary: String, slots: [Int: String]) {
        self.init(verdict: passed ? .passed : .failed, kink: kink, summary: summary, slots: slots)
    }

    public init(verdict: Verdict, kink: Bool, summary: String, slots: [Int: String]) {
        self.verdict = verdict
        self.kink = kink
        self.summary = summary
        self.slots = slots
    }
}
