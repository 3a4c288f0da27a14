/// Colours of a drawing. Forward is ink-coloured and solid; backward is one warm colour,
/// dashed, so the two directions stay apart in print and for colour-blind readers.
struct Palette {
    var background: String
    var text: String
    var muted: String
    var forward: String
    var backward: String
    var sum: String
    var sumFill: String
    var paramFill: String
    var paramLine: String
    var dataFill: String
    var dataLine: String
    var opFill: String
    var opLine: String
    var outputFill: String
    var outputLine: String
    var clusterFill: String
    var clusterLine: String
    var callFill: String
    var bad: String
    var dimmed: String
    var good: String
    var vanish: String

    /// An input's class and colours: a parameter's, or data's (no gradient).
    func input(requiresGradient: Bool) -> (kind: String, fill: String, line: String) {
        requiresGradient ? (Palette.inputKind(requiresGradient: true), paramFill, paramLine)
                         : (Palette.inputKind(requiresGradient: false), dataFill, dataLine)
    }

    /// An input's class: "param" or "data".
    static func inputKind(requiresGradient: Bool) -> String { requiresGradient ? "param" : "data" }

    static let light = Palette(
        background: "white", text: "#1a1a1a", muted: "#666666",
        forward: "#404040", backward: "#c2410c", sum: "#b45309", sumFill: "#fff3d6",
        paramFill: "#dbeafe", paramLine: "#1d4ed8", dataFill: "#f1f5f9", dataLine: "#64748b",
        opFill: "white", opLine: "#404040", outputFill: "#dcfce7", outputLine: "#15803d",
        clusterFill: "#f8fafc", clusterLine: "#94a3b8", callFill: "#f5f3ff",
        bad: "#dc2626", dimmed: "#b0b0b0", good: "#15803d", vanish: "#7c3aed")

    static let dark = Palette(
        background: "#1e1e1e", text: "#e5e5e5", muted: "#a3a3a3",
        forward: "#c8c8c8", backward: "#fb923c", sum: "#fbbf24", sumFill: "#3b2f12",
        paramFill: "#1e3a5f", paramLine: "#60a5fa", dataFill: "#2d3340", dataLine: "#94a3b8",
        opFill: "#2a2a2a", opLine: "#c8c8c8", outputFill: "#14391f", outputLine: "#4ade80",
        clusterFill: "#252a30", clusterLine: "#64748b", callFill: "#2a2540",
        bad: "#f87171", dimmed: "#5a5a5a", good: "#4ade80", vanish: "#c084fc")
}

extension Palette {
    init(_ theme: RenderOptions.Theme) { self = theme == .dark ? .dark : .light }
}
