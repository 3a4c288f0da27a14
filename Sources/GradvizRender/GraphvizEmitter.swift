import Foundation
import GradvizCore
import Graphviz

/// Turns a `DrawingPlan` into a Graphviz graph: layout attributes from the plan's size
/// (`DrawingLimits`), shapes and colours from each element's role and marks, text from
/// `DrawingLabels`. Nodes, clusters and edges are created in the plan's order, so the same
/// plan gives the same bytes. User text reaches Graphviz only through `setLabel` (plain
/// text) or the escaped HTML of `DrawingLabels`; ids and classes are built from model ids
/// and indices.
struct GraphvizEmitter {
    let plan: DrawingPlan
    let labels: DrawingLabels
    let palette: Palette
    /// Raster output at 96 dpi is blurry on today's screens: PNG asks for 144.
    var dpi: String?
    let font = "DejaVu Sans"

    init(_ plan: DrawingPlan, dpi: String? = nil) {
        self.plan = plan
        labels = DrawingLabels(plan)
        palette = Palette(plan.options.theme)
        self.dpi = dpi
    }

    /// The attribute that carries the value or gradient of an edge: `label` (laid out as a
    /// node), or past `DrawingLimits.largeLayoutAbove` nodes `xlabel` (placed after layout).
    var edgeLabel: String { plan.isLargeLayout ? "xlabel" : "label" }

    func emit() -> Graphviz.Graph {
        let gv = Graphviz.Graph(name: plan.name)
        setGraphAttributes(gv)
        var subgraphs: [Subgraph] = []
        for c in plan.clusters {
            let parent: any NodeContainer = c.parent.map { subgraphs[$0] } ?? gv
            subgraphs.append(cluster(c, in: parent))
        }
        var gvNodes: [Graphviz.Node] = []
        gvNodes.reserveCapacity(plan.nodes.count)
        for i in plan.nodes.indices {
            let container: any NodeContainer = plan.nodes[i].cluster.map { subgraphs[$0] } ?? gv
            gvNodes.append(node(i, in: container))
        }
        for i in plan.edges.indices {
            let e = plan.edges[i]
            edge(i, gv.edge(from: gvNodes[e.tail], to: gvNodes[e.head], key: e.key))
        }
        return gv
    }

    func setGraphAttributes(_ gv: Graphviz.Graph) {
        let fast = plan.isFastLayout, large = plan.isLargeLayout
        // With edge labels as `label`, every edge gets a label node in a rank of its own
        // between its ends, whose width (LR) or height (TB) already keeps the ends apart:
        // the gaps on either side of it can be small.
        // Top to bottom, labels stand side by side in a rank and need wider gaps.
        let tb = plan.options.rankdir == "TB" || plan.options.rankdir == "BT"
        let (nodesep, ranksep) = large ? ("0.25", "0.5") : fast ? (tb ? "0.3" : "0.2", "0.25") : (tb ? "0.45" : "0.3", "0.35")
        let xPositionLimit = !plan.hasReferences || large ? "1" : "\(DrawingLimits.referenceXPositionLimit)"
        let graphAttributes: [(String, String)] = [
            ("rankdir", ["RL", "TB", "BT"].contains(plan.options.rankdir) ? plan.options.rankdir : "LR"),
            ("fontname", font), ("fontsize", "12"), ("fontcolor", palette.text),
            ("bgcolor", palette.background), ("pad", "0.25"),
            ("nodesep", nodesep), ("ranksep", ranksep),
            ("forcelabels", "true"), ("labelloc", "t"), ("labeljust", "l"),
            ("outputorder", "edgesfirst"), ("class", "gradviz"), ("id", "gradviz"),
        ] + (fast ? [("mclimit", "0.05"), ("nslimit", xPositionLimit), ("nslimit1", "1"), ("remincross", "false"),
                     ("searchsize", "10"), ("splines", large ? "line" : "spline")] : [])
        for (k, v) in graphAttributes { gv.setDefault(k, v, for: .graph) }
        if let dpi { gv.setDefault("dpi", dpi, for: .graph) }
        for (k, v) in [("fontname", font), ("fontsize", "11"), ("fontcolor", palette.text), ("penwidth", "1.2"),
                       ("margin", "0.06,0.03"), ("height", "0.3"), ("width", "0.3")] {
            gv.setDefault(k, v, for: .node)
        }
        for (k, v) in [("fontname", font), ("fontsize", "10"), ("arrowsize", "0.7"), ("penwidth", "1.2")] {
            gv.setDefault(k, v, for: .edge)
        }
        gv.setHTMLLabel(labels.title())
    }

    func cluster(_ c: DrawingPlan.Cluster, in parent: any NodeContainer) -> Subgraph {
        let sub = parent.subgraph("cluster_\(c.number)")
        sub["id"] = c.id
        sub["class"] = c.kind.rawValue
        sub["style"] = "rounded,filled"
        sub["fillcolor"] = c.kind == .call ? palette.callFill : palette.clusterFill
        sub["color"] = palette.clusterLine
        sub["fontcolor"] = palette.muted
        sub["fontsize"] = "10"
        sub["labeljust"] = "l"
        sub["labelloc"] = "t"
        sub.setLabel(c.label)
        sub["margin"] = "10"
        return sub
    }

    // MARK: Nodes

    func node(_ i: Int, in container: any NodeContainer) -> Graphviz.Node {
        let p = plan.nodes[i]
        let g = container.node(p.name)
        g["id"] = p.id
        switch p.role {
        case .input(let requiresGradient):
            let style = palette.input(requiresGradient: requiresGradient)
            shape(g, style: requiresGradient ? "rounded,filled" : "filled,dashed", fill: style.fill, line: style.line)
        case .port:
            shape(g, "cds", style: "filled", fill: palette.opFill, line: palette.muted)
            g["fontsize"] = "9"
            g["height"] = "0.2"
        case .op:
            shape(g, style: "rounded,filled", fill: palette.opFill, line: palette.opLine)
        case .output:
            shape(g, style: "rounded,filled", fill: palette.outputFill, line: palette.outputLine)
            g["peripheries"] = "2"
        case .sum:
            shape(g, style: "rounded,filled", fill: palette.sumFill, line: palette.sum)
            g["fontcolor"] = palette.sum
            g["margin"] = "0.04,0.02"
        case .reference:
            // Coloured as the value it copies: a parameter's, data's or an op's.
            var colors = (fill: palette.opFill, line: palette.opLine)
            if case .input(let requiresGradient) = plan.model.graph.nodes[p.graphNode!].kind {
                let style = palette.input(requiresGradient: requiresGradient)
                colors = (style.fill, style.line)
            }
            shape(g, style: "rounded,filled,dashed", fill: colors.fill, line: colors.line)
            g["margin"] = "0.04,0.02"
        case .summary:
            shape(g, "box3d", style: "filled", fill: palette.clusterFill, line: palette.muted)
            // Room for the title under the box's raised top edge.
            if p.summary != nil { g["margin"] = "0.14,0.1" }
        }
        switch labels.label(i) {
        case .html(let html): g.setHTMLLabel(html)
        case .plain(let text): g.setLabel(text)
        }
        // Debugging marks: where NaN/Inf first appear, what inherits them, check results.
        if p.nonFinite == .origin {
            g["color"] = palette.bad
            g["penwidth"] = "3"
            g["fontcolor"] = palette.text
        } else if p.nonFinite == .inherited {
            g["style"] = (g["style"] ?? "") + ",dashed"
            g["color"] = palette.dimmed
            g["fontcolor"] = palette.dimmed
        }
        if let check = p.check, check.failed {
            g["color"] = palette.bad
            g["penwidth"] = "3"
        }
        if let x = labels.xlabel(i) { g.setLabel(x, attribute: "xlabel") }
        g["class"] = p.classes.joined(separator: " ")
        let tooltip = labels.tooltip(i)
        if !tooltip.isEmpty { g.setLabel(tooltip, attribute: "tooltip") }
        return g
    }

    func shape(_ g: Graphviz.Node, _ shape: String = "box", style: String, fill: String, line: String) {
        g["shape"] = shape
        g["style"] = style
        g["fillcolor"] = fill
        g["color"] = line
    }

    // MARK: Edges

    func edge(_ i: Int, _ e: Graphviz.Edge) {
        let p = plan.edges[i]
        e["id"] = p.id
        switch p.role {
        case .forward, .output:
            // With references drawn, the edges of the graph itself outweigh a reference's
            // so its ops stay in line and each reference sits beside its use.
            if p.role == .forward, plan.hasReferences { e["weight"] = p.fromReference ? "1" : p.onLongestPath ? "16" : "4" }
            var color = palette.forward
            if p.nonFinite == .origin {
                color = palette.bad
                e["penwidth"] = "2.5"
            } else if p.nonFinite == .inherited {
                color = palette.dimmed
            }
            e["color"] = color
            e["fontcolor"] = color
        case .backward, .seed, .sumTotal:
            styleBackward(p, e)
        }
        e["class"] = p.classes.joined(separator: " ")
        if let text = labels.text(edge: i) { e.setLabel(text, attribute: edgeLabel) }
        switch p.role {
        case .backward:
            // Gradient edges follow the forward ones and do not pull on the layout.
            if plan.hasReferences { e["weight"] = "0" }
            // Past a few hundred nodes the drawing is a map, not a page: gradient edges stop
            // constraining the ranks (DrawingLimits.largeLayoutAbove).
            if plan.isLargeLayout { e["constraint"] = "false" }
        case .sumTotal:
            e["penwidth"] = "2"
            e["weight"] = "4"
        default:
            break
        }
        if let tip = labels.tooltip(edge: i) { e.setLabel(tip, attribute: "tooltip") }
    }

    /// A gradient edge: declared in the forward direction with `dir=back`, so it keeps
    /// the forward ranks and is drawn as a parallel dashed curve.
    func styleBackward(_ p: DrawingPlan.Edge, _ e: Graphviz.Edge) {
        e["dir"] = "back"
        e["style"] = "dashed"
        e["arrowtail"] = "normal"
        var color = palette.backward
        switch p.gradientMark {
        case .nonFinite:
            color = palette.bad
        case .exploding:
            color = palette.bad
            e["penwidth"] = "3"
        case .vanishing:
            color = palette.vanish
            e["style"] = "dotted"
        case nil:
            if let range = plan.gradientRange { color = magnitudeColor(NumberFormat.norm(p.tensor), range) }
        }
        if p.checkNote != nil || p.checkExpected != nil {
            color = palette.bad
            e["penwidth"] = "2.5"
        }
        e["color"] = color
        e["fontcolor"] = color
    }

    /// Blue for the smallest gradients, red for the largest, on a log scale.
    func magnitudeColor(_ norm: Double, _ range: (Double, Double)) -> String {
        guard norm > 0 else { return palette.dimmed }
        let t = range.1 > range.0 ? (log10(norm) - range.0) / (range.1 - range.0) : 1
        let c = max(0, min(1, t))
        let from = (37.0, 99.0, 235.0), to = (220.0, 38.0, 38.0)
        let r = Int((from.0 + (to.0 - from.0) * c).rounded()), g = Int((from.1 + (to.1 - from.1) * c).rounded()),
            b = Int((from.2 + (to.2 - from.2) * c).rounded())
        return String(format: "#%02x%02x%02x", r, g, b)
    }
}
