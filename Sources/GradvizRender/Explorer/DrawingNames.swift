import GradvizCore
import GradvizModel

/// What the explorer needs to know about the drawing it embeds: the SVG id of each drawn
/// model node and of each group's cluster, and the names the drawing gives values. Read
/// from the built drawing, so the page and the SVG can never disagree.
struct DrawingNames {
    struct Group {
        let label: String
        /// "group" (a `group` path component) or "call" (a composite function call).
        let kind: String
        /// Index of the enclosing group, -1 at top level.
        let parent: Int
        /// The cluster's SVG id, nil when none of its nodes is drawn.
        let svgID: String?
    }

    let options: RenderOptions
    let builder: DrawingBuilder
    let drawnNodes: Int
    private(set) var groups: [Group] = []
    /// The innermost group of each node that has one.
    private(set) var groupOfNode: [Int: Int] = [:]

    init(builder: DrawingBuilder, drawnNodes: Int) {
        self.builder = builder
        self.options = builder.options
        self.drawnNodes = drawnNodes
        var index: [String: Int] = [:]
        for n in builder.nodes.indices {
            var parent = -1
            for part in builder.containerPath(for: n) {
                if let known = index[part.path] { parent = known; continue }
                let id = builder.containers[part.path]?["id"]
                groups.append(Group(label: part.label, kind: part.kind, parent: parent, svgID: id))
                parent = groups.count - 1
                index[part.path] = parent
            }
            if parent >= 0 { groupOfNode[n] = parent }
        }
    }

    func key(_ n: Int) -> String { builder.key(n) }
    func valueName(_ v: ValueID) -> String { builder.valueName(v) }
    func isDrawn(_ n: Int) -> Bool { builder.gvNodes[n] != nil }
    var folded: Int { builder.folded }
}
