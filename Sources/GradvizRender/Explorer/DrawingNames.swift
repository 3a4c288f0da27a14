import GradvizCore
import GradvizModel

/// What the explorer needs to know about the drawing it embeds: the SVG id of each drawn
/// model node and of each group's cluster, and the names the drawing gives values. Read
/// from the drawing's plan, so the page and the SVG can never disagree.
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

    let plan: DrawingPlan
    var options: RenderOptions { plan.options }
    var drawnNodes: Int { plan.nodes.count }
    private(set) var groups: [Group] = []
    /// The innermost group of each node that has one.
    private(set) var groupOfNode: [Int: Int] = [:]
    /// The graph nodes drawn as nodes of their own (inputs, ops, ports).
    private let drawn: Set<Int>
    /// The group each summary of folded structure is drawn in (-1: top level).
    private(set) var summaryGroup: [Int] = []

    init(plan: DrawingPlan) {
        self.plan = plan
        var clusterID: [String: String] = [:]
        for c in plan.clusters { clusterID[c.path] = c.id }
        var index: [String: Int] = [:]
        for n in plan.model.graph.nodes.indices {
            var parent = -1
            for part in DrawingPlan.clusterPath(of: n, in: plan.model) {
                if let known = index[part.path] { parent = known; continue }
                groups.append(Group(label: part.label, kind: part.kind.rawValue, parent: parent, svgID: clusterID[part.path]))
                parent = groups.count - 1
                index[part.path] = parent
            }
            if parent >= 0 { groupOfNode[n] = parent }
        }
        summaryGroup = [Int](repeating: -1, count: plan.summaries.count)
        for node in plan.nodes {
            if let s = node.summary, let c = node.cluster { summaryGroup[s] = index[plan.clusters[c].path] ?? -1 }
        }
        drawn = Set(plan.nodes.compactMap { node in
            switch node.role {
            case .input, .op, .port: return node.graphNode
            default: return nil
            }
        })
    }

    /// Every element of the SVG the page can point at, from the plan: `[svg id, role, graph
    /// node, output, consumer, slot]` (-1 where it does not apply). Roles: input, op, port,
    /// output, sum, reference, summary for nodes; forward, backward, output-edge, seed,
    /// sum-total for edges. The page reads what an element shows from here, not from its id.
    func writeElements(_ w: inout JSONWriter) {
        func write(_ id: String, _ role: String, _ value: ValueID?, _ use: DrawingPlan.Use?) {
            w.beginArray()
            w.value(id); w.value(role)
            for x in [value?.node, value?.output, use?.node, use?.slot] { w.value(x ?? -1) }
            w.endArray()
        }
        w.beginArray()
        for node in plan.nodes {
            let role: String
            switch node.role {
            case .input: role = "input"
            case .op: role = "op"
            case .port: role = "port"
            case .output: role = "output"
            case .sum: role = "sum"
            case .reference: role = "reference"
            case .summary: role = "summary"
            }
            // A summary of folded structure: its index in `summaries` where the node goes.
            write(node.id, role, node.value ?? node.graphNode.map { ValueID(node: $0) } ?? node.summary.map { ValueID(node: $0) }, node.use)
        }
        for edge in plan.edges {
            let role: String
            switch edge.role {
            case .forward where edge.use == nil:
                // Into a summary: [id, role, value node, output, summary, -1].
                write(edge.id, "folded-forward", edge.value, plan.nodes[edge.head].summary.map { .init(node: $0, slot: -1) })
                continue
            case .backward where edge.use == nil:
                write(edge.id, "folded-backward", edge.value, plan.nodes[edge.head].summary.map { .init(node: $0, slot: -1) })
                continue
            case .forward: role = "forward"
            case .backward: role = "backward"
            case .output: role = "output-edge"
            case .seed: role = "seed"
            case .sumTotal: role = "sum-total"
            }
            write(edge.id, role, edge.value, edge.use)
        }
        w.endArray()
    }

    func key(_ n: Int) -> String { plan.key(n) }
    func valueName(_ v: ValueID) -> String { plan.valueName(v) }
    func isDrawn(_ n: Int) -> Bool { drawn.contains(n) }
    var folded: Int { plan.folded }
}
