import Foundation
import GradvizCore
import GradvizModel
import Graphviz

/// A built Graphviz graph and what it holds.
struct Drawing {
    let graph: Graphviz.Graph
    let drawnNodes: Int
    let drawnEdges: Int
}

/// Turns a computed model into a Graphviz graph.
///
/// What is drawn:
/// - one node per input (parameter or data) and per op; constants are folded into the
///   label of the op that reads them ("÷ 2"); one node per model output;
/// - a forward edge per use of a value (consumer, slot), labelled with the value;
/// - a backward edge per use that carried a gradient, declared in the forward direction
///   with `dir=back` so it keeps the forward ranks, labelled with the contribution;
/// - a Σ node where the backward edges of a value used several times meet, labelled with
///   the sum `g1 + g2 + … = total`, and one backward edge from Σ to the value.
///
/// Everything is emitted in graph order (a topological order), so the output is the same
/// for the same model. User text only reaches Graphviz through `setLabel` (plain text)
/// or `escapeForHTMLLabel` (HTML-like labels); ids and classes are built from model ids
/// and indices.
final class DrawingBuilder {
    let model: Model
    let grads: Gradients
    let options: RenderOptions
    let graph: GradvizCore.Graph
    let nodes: [GradvizCore.Graph.Node]
    let fmt: NumberFormat
    let palette: Palette
    let font = "DejaVu Sans"

    var gv: Graphviz.Graph!
    var gvNodes: [Graphviz.Node?]
    var drawn: [Bool]
    var containers: [String: Subgraph] = [:]
    var clusterCount = 0
    var edgeCount = 0
    var nodeCount = 0
    /// Uses of every value: (consumer node, slot), in graph order.
    var uses: [ValueID: [(node: Int, slot: Int)]] = [:]
    var outputSet: Set<ValueID>
    var nonFinite: NonFiniteOrigin?
    var inherited: Set<Int> = []
    var gradientRange: (Double, Double)?

    var dpi: String?

    init(model: Model, grads: Gradients, options: RenderOptions) {
        self.model = model
        self.grads = grads
        self.options = options
        graph = model.graph
        nodes = model.graph.nodes
        fmt = NumberFormat(precision: options.precision)
        palette = options.theme == .dark ? .dark : .light
        gvNodes = Array(repeating: nil, count: nodes.count)
        drawn = nodes.map { if case .constant = $0.kind { return false } else { return true } }
        outputSet = Set(model.outputs)
    }

    // MARK: Names

    func isConstant(_ n: Int) -> Bool { if case .constant = nodes[n].kind { return true } else { return false } }

    /// The Graphviz name and SVG id stem of a node: its value ids (model ids, which match
    /// `[A-Za-z_][A-Za-z0-9_.]*`), or its index for an anonymous node.
    func key(_ n: Int) -> String {
        let named = nodes[n].names.filter { !$0.isEmpty }
        return named.isEmpty ? "n\(n)" : named.joined(separator: ",")
    }

    func valueName(_ v: ValueID) -> String {
        let name = nodes[v.node].names[v.output]
        return name.isEmpty ? "\(key(v.node)).\(v.output)" : name
    }

    func title(_ n: Int) -> String {
        nodes[n].annotations[Annotation.label] ?? key(n)
    }

    // MARK: Build

    func build() throws -> Drawing {
        for n in nodes.indices where !nodes[n].isLeaf {
            for (slot, v) in nodes[n].inputs.enumerated() { uses[v, default: []].append((n, slot)) }
        }
        try applyFocus()
        nonFinite = graph.nonFiniteOrigin()
        if let o = nonFinite { inherited = Set(o.inherited) }
        if options.colorBy == .grad { gradientRange = gradientMagnitudeRange() }

        let name = (model.name?.isEmpty == false) ? model.name! : "gradviz"
        planReferences()
        gv = Graphviz.Graph(name: name)
        setGraphAttributes()
        for n in nodes.indices where drawn[n] { drawNode(n) }
        for v in model.outputs where drawn[v.node] { drawOutput(v) }
        for n in nodes.indices where drawn[n] && !nodes[n].isLeaf { drawInputEdges(n) }
        for n in nodes.indices where drawn[n] {
            for k in nodes[n].values.indices { drawSumIfNeeded(ValueID(node: n, output: k)) }
        }
        return Drawing(graph: gv, drawnNodes: nodeCount, drawnEdges: edgeCount)
    }

    var showForward: Bool { options.view != .backward }
    var showBackward: Bool { options.view != .forward }

    func setGraphAttributes() {
        let big = nodes.count > 150
        // With edge labels as `label`, every edge gets a label node in a rank of its own
        // between its ends, whose width (LR) or height (TB) already keeps the ends apart:
        // the gaps on either side of it can be small.
        // Top to bottom, labels stand side by side in a rank and need wider gaps.
        let tb = options.rankdir == "TB" || options.rankdir == "BT"
        let (nodesep, ranksep) = largeLayout ? ("0.25", "0.5") : big ? (tb ? "0.3" : "0.2", "0.25") : (tb ? "0.45" : "0.3", "0.35")
        let graphAttributes: [(String, String)] = [
            ("rankdir", ["RL", "TB", "BT"].contains(options.rankdir) ? options.rankdir : "LR"),
            ("fontname", font), ("fontsize", "12"), ("fontcolor", palette.text),
            ("bgcolor", palette.background), ("pad", "0.25"),
            ("nodesep", nodesep), ("ranksep", ranksep),
            ("forcelabels", "true"), ("labelloc", "t"), ("labeljust", "l"),
            ("outputorder", "edgesfirst"), ("class", "gradviz"), ("id", "gradviz"),
        ] + (big ? [("mclimit", "0.05"), ("nslimit", xPositionLimit), ("nslimit1", "1"), ("remincross", "false"),
                    ("searchsize", "10"), ("splines", nodes.count > 600 ? "line" : "spline")] : [])
        for (k, v) in graphAttributes { gv.setDefault(k, v, for: .graph) }
        if let dpi { gv.setDefault("dpi", dpi, for: .graph) }
        for (k, v) in [("fontname", font), ("fontsize", "11"), ("fontcolor", palette.text), ("penwidth", "1.2"),
                       ("margin", "0.06,0.03"), ("height", "0.3"), ("width", "0.3")] {
            gv.setDefault(k, v, for: .node)
        }
        for (k, v) in [("fontname", font), ("fontsize", "10"), ("arrowsize", "0.7"), ("penwidth", "1.2")] {
            gv.setDefault(k, v, for: .edge)
        }
        gv.setHTMLLabel(titleLabel())
    }

    /// dot's `nslimit` (iterations of the network simplex that places nodes within their
    /// ranks, per node) for large drawings. 1 keeps a 1,000-op DAG at a second. A drawing
    /// with references needs a few more or its chain drifts into a staircase (300-op
    /// shared-input chain: 5,600 pt tall with 1, a straight 260 pt with 5 or more, 0.1 s
    /// more); past 600 nodes (straight edges, gradient edges out of the ranking) it is
    /// straight with 1.
    var xPositionLimit: String { references.isEmpty || largeLayout ? "1" : "10" }

    // MARK: Title and legend

    func titleLabel() -> String {
        var rows: [String] = []
        if let name = model.name, !name.isEmpty {
            rows.append("<TR><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"16\"><B>\(escapeForHTMLLabel(name))</B></FONT></TD></TR>")
        }
        if let d = model.description, !d.isEmpty {
            rows.append("<TR><TD ALIGN=\"LEFT\" BALIGN=\"LEFT\"><FONT POINT-SIZE=\"11\" COLOR=\"\(palette.muted)\">\(htmlLines(d, wrap: 100))</FONT></TD></TR>")
        }
        var legend: [String] = []
        if showForward { legend.append("<FONT COLOR=\"\(palette.forward)\">── value (forward)</FONT>") }
        if showBackward {
            legend.append("<FONT COLOR=\"\(palette.backward)\">╌╌ ∇ gradient along each use (backward)</FONT>")
            legend.append("<FONT COLOR=\"\(palette.sum)\">Σ sum of the gradients of a value used more than once</FONT>")
        }
        legend.append("<FONT COLOR=\"\(palette.paramLine)\">■ parameter</FONT>  <FONT COLOR=\"\(palette.dataLine)\">■ data</FONT>  <FONT COLOR=\"\(palette.outputLine)\">■ output</FONT>")
        rows.append("<TR><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"9\">\(legend.joined(separator: "   "))</FONT></TD></TR>")
        return "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"2\">\(rows.joined())</TABLE>"
    }

    /// Escaped text with `<BR/>` at line breaks (and long lines wrapped at spaces).
    func htmlLines(_ text: String, wrap: Int = 0, align: String = "LEFT") -> String {
        var lines: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // Every space is kept: a text of spaces alone must not become an empty
            // <FONT></FONT>, which Graphviz refuses.
            var line = "", first = true
            for word in raw.split(separator: " ", omittingEmptySubsequences: false) {
                if wrap > 0, !first, line.count + word.count + 1 > wrap {
                    lines.append(line)
                    line = String(word)
                } else {
                    line += first ? String(word) : " " + word
                }
                first = false
            }
            lines.append(line)
        }
        return lines.map(escapeForHTMLLabel).joined(separator: "<BR ALIGN=\"\(align)\"/>")
    }

    // MARK: Clusters

    /// The subgraph a node belongs in: nested clusters for its group path, then for the
    /// composite calls enclosing it.
    func container(for n: Int) -> any NodeContainer {
        var current: any NodeContainer = gv
        for part in containerPath(for: n) {
            if let existing = containers[part.path] { current = existing; continue }
            clusterCount += 1
            let sub = current.subgraph("cluster_\(clusterCount)")
            sub["id"] = "cluster\(clusterCount)"
            sub["class"] = part.kind
            sub["style"] = "rounded,filled"
            sub["fillcolor"] = part.kind == "call" ? palette.callFill : palette.clusterFill
            sub["color"] = palette.clusterLine
            sub["fontcolor"] = palette.muted
            sub["fontsize"] = "10"
            sub["labeljust"] = "l"
            sub["labelloc"] = "t"
            sub.setLabel(part.label)
            sub["margin"] = "10"
            containers[part.path] = sub
            current = sub
        }
        return current
    }

    /// The clusters enclosing a node, outermost first: its group path, then the composite
    /// calls enclosing it. `path` names a cluster uniquely.
    func containerPath(for n: Int) -> [(kind: String, path: String, label: String)] {
        var parts: [(kind: String, path: String, label: String)] = []
        if let group = nodes[n].annotations[Annotation.group], !group.isEmpty {
            var path = ""
            for component in group.split(separator: "/", omittingEmptySubsequences: true) {
                path += (path.isEmpty ? "" : "/") + component
                parts.append(("group", "g:" + path, String(component)))
            }
        }
        if let calls = nodes[n].annotations[Annotation.calls], !calls.isEmpty {
            var path = parts.last?.path ?? ""
            for call in calls.split(separator: "/") {
                path += "|c:" + call
                let function = model.calls[String(call)]?.function ?? "call"
                parts.append(("call", path, "\(function) · \(call)"))
            }
        }
        return parts
    }

    // MARK: Nodes

    func drawNode(_ n: Int) {
        let node = nodes[n]
        let target = container(for: n)
        let g = target.node(key(n))
        gvNodes[n] = g
        nodeCount += 1
        g["id"] = "node-\(key(n))"
        var classes: [String] = []
        var tooltip = ""
        let doc = node.annotations[Annotation.doc]
        switch node.kind {
        case .input(let requiresGradient):
            let style = palette.input(requiresGradient: requiresGradient)
            classes = ["input", style.kind]
            g["shape"] = "box"
            g["style"] = requiresGradient ? "rounded,filled" : "filled,dashed"
            g["fillcolor"] = style.fill
            g["color"] = style.line
            g.setHTMLLabel(inputLabel(n, requiresGradient: requiresGradient))
            tooltip = "\(title(n)) (\(requiresGradient ? "parameter" : "data, no gradient"))\n" + fmt.full(node.values[0])
            if let total = grads[ValueID(node: n)] { tooltip += "\ngradient:\n" + fmt.full(total) }
        case .constant:
            return
        case .op(let op):
            if node.annotations[Annotation.portOf] != nil {
                classes = ["port"]
                g["shape"] = "cds"
                g["style"] = "filled"
                g["fillcolor"] = palette.opFill
                g["color"] = palette.muted
                g["fontsize"] = "9"
                g["height"] = "0.2"
                let param = key(n).split(separator: ".").last.map(String.init) ?? key(n)
                g.setLabel(param)
                tooltip = "argument \(param) of call \(node.annotations[Annotation.portOf] ?? "")"
            } else {
                classes = ["op", "op-\(op.name)"]
                if node.annotations[Annotation.custom] != nil { classes.append("custom") }
                g["shape"] = "box"
                g["style"] = "rounded,filled"
                g["fillcolor"] = palette.opFill
                g["color"] = palette.opLine
                g.setHTMLLabel(opLabel(n, op))
                tooltip = "\(title(n)) = \(op.name)(\(node.inputs.indices.map { op.info.inputName($0) }.joined(separator: ", ")))"
                if let expr = node.annotations[Annotation.expr] { tooltip += "\n\(key(n)) = \(expr)" }
                tooltip += "\nlocal gradient: \(op.info.gradient)"
                for (k, value) in node.values.enumerated() {
                    tooltip += "\n\(valueName(ValueID(node: n, output: k))) = " + fmt.full(value)
                }
            }
        }
        if let doc, !doc.isEmpty { tooltip += "\n\n" + doc }
        if n < model.lines.count, model.lines[n] > 0 { tooltip += "\n(model line \(model.lines[n]))" }
        // Debugging marks: where NaN/Inf first appear, and what inherits them.
        if let origin = nonFinite, origin.node == n {
            classes.append("nonfinite-origin")
            g["color"] = palette.bad
            g["penwidth"] = "3"
            g.setLabel("⚠ first NaN/Inf", attribute: "xlabel")
            g["fontcolor"] = palette.text
            tooltip = "⚠ first non-finite value in topological order\n" + tooltip
        } else if inherited.contains(n) {
            classes.append("nonfinite")
            g["style"] = (g["style"] ?? "") + ",dashed"
            g["color"] = palette.dimmed
            g["fontcolor"] = palette.dimmed
        }
        if let mark = options.checkMarks[n] {
            classes.append(mark.passed ? "check-passed" : "check-failed")
            if !mark.passed {
                g["color"] = palette.bad
                g["penwidth"] = "3"
                g.setLabel("✗ " + mark.summary, attribute: "xlabel")
            } else {
                g.setLabel(mark.kink ? "✓ (kink)" : "✓", attribute: "xlabel")
            }
            tooltip += "\n" + mark.summary
        }
        g["class"] = classes.joined(separator: " ")
        g.setLabel(tooltip, attribute: "tooltip")
    }

    /// Table rows naming a value: "name = 3" for a scalar, the name over a preview for a
    /// tensor. `name` is already escaped.
    func valueRows(_ name: String, _ value: Tensor) -> [String] {
        if value.isScalar {
            return ["<TR><TD><B>\(name)\(htmlLabelSpace)</B>= \(escapeForHTMLLabel(fmt.number(value.data[0])))</TD></TR>"]
        }
        return ["<TR><TD><B>\(name)</B></TD></TR>",
                "<TR><TD><FONT POINT-SIZE=\"9\">\(htmlLines(fmt.preview(value), align: "CENTER"))</FONT></TD></TR>"]
    }

    func inputLabel(_ n: Int, requiresGradient: Bool) -> String {
        let value = nodes[n].values[0]
        let name = escapeForHTMLLabel(title(n))
        let muted = palette.muted
        var rows = valueRows(name, value)
        if title(n) != key(n) {
            rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(muted)\">\(escapeForHTMLLabel(key(n)))</FONT></TD></TR>")
        }
        rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(muted)\">\(requiresGradient ? "parameter" : "data · no grad")</FONT></TD></TR>")
        return table(rows)
    }

    func table(_ rows: [String]) -> String {
        "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\">\(rows.joined())</TABLE>"
    }

    /// The op's symbol with constant operands folded in ("÷ 2", "1 −"), its non-default
    /// attributes, and the name of its value.
    func opLabel(_ n: Int, _ op: any Op) -> String {
        let node = nodes[n]
        var symbol = op.info.symbol
        if op.name == "sum" { symbol = "sum" }  // Σ marks fan-out sums in this drawing
        if let custom = node.annotations[Annotation.custom] { symbol = custom }
        let constants = node.inputs.enumerated().compactMap { (slot, v) -> (Int, String)? in
            if case .constant = nodes[v.node].kind { return (slot, fmt.number(nodes[v.node].values[0].data[0])) }
            return nil
        }
        var main = escapeForHTMLLabel(symbol)
        if !constants.isEmpty {
            if node.inputs.count == 2 && constants.count == 1 {
                let c = escapeForHTMLLabel(constants[0].1)
                main = constants[0].0 == 1 ? "\(main) \(c)" : "\(c) \(main)"
            } else {
                main += " (" + constants.map { "\(escapeForHTMLLabel(op.info.inputName($0.0)))=\(escapeForHTMLLabel($0.1))" }.joined(separator: ", ") + ")"
            }
        }
        var rows = ["<TR><TD><FONT POINT-SIZE=\"15\">\(main)</FONT></TD></TR>"]
        let defaults = Attributes(defaultsFor: op.info)
        var shown: [String] = []
        for (name, value) in op.attributes.entries {
            if let d = defaults.entries.first(where: { $0.name == name }), d.value == value { continue }
            shown.append("\(name)=\(value)")
        }
        if !shown.isEmpty {
            rows.append("<TR><TD><FONT POINT-SIZE=\"8\">\(htmlLines(shown.joined(separator: " "), wrap: 32, align: "CENTER"))</FONT></TD></TR>")
        }
        // A tensor's preview sits in its op's node; its edges carry one line each. The
        // rows of an op with several outputs say which output they show ("a: 1×2 […]").
        for (k, value) in node.values.enumerated() where !value.isScalar {
            var preview = htmlLines(fmt.preview(value), align: "CENTER")
            if node.values.count > 1 {
                preview = "<B>\(escapeForHTMLLabel(valueName(ValueID(node: n, output: k))))</B>: " + preview
            }
            rows.append("<TR><TD><FONT POINT-SIZE=\"8\">\(preview)</FONT></TD></TR>")
        }
        // The label, unless it only repeats the id or the symbol drawn above ("MSE"), then
        // the id, apart ("wᵀx · u": see `htmlLabelSpace`).
        var names = escapeForHTMLLabel(key(n).replacingOccurrences(of: ",", with: ", "))
        if let label = node.annotations[Annotation.label], label != key(n), label != symbol {
            names = "<B>\(escapeForHTMLLabel(label))\(htmlLabelSpace)</B>· \(names)"
        }
        rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(palette.muted)\">\(names)</FONT></TD></TR>")
        return table(rows)
    }

    func drawOutput(_ v: ValueID) {
        guard let producer = gvNodes[v.node] else { return }
        let name = valueName(v)
        let out = gv.node("out:" + name)
        nodeCount += 1
        out["id"] = "output-\(name)"
        out["class"] = "output"
        out["shape"] = "box"
        out["style"] = "rounded,filled"
        out["peripheries"] = "2"
        out["fillcolor"] = palette.outputFill
        out["color"] = palette.outputLine
        let value = graph.value(v)
        let seed = model.seeds[v] ?? Tensor.ones(value.shape)
        var rows = valueRows(escapeForHTMLLabel(name), value)
        rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(palette.muted)\">output · seed \(escapeForHTMLLabel(fmt.term(seed)))</FONT></TD></TR>")
        out.setHTMLLabel(table(rows))
        out.setLabel("output \(name)\n" + fmt.full(value) + "\nseed (upstream gradient):\n" + fmt.full(seed), attribute: "tooltip")

        let edgeKey = "out\(v.node).\(v.output)"
        if showForward {
            let e = gv.edge(from: producer, to: out, key: "f" + edgeKey)
            edgeCount += 1
            e["id"] = "f-out-\(name)"
            e["class"] = "forward"
            e["color"] = palette.forward
            e["fontcolor"] = palette.forward
            e.setLabel(fmt.compact(value), attribute: edgeLabel)
        }
        if showBackward, grads[v] != nil {
            // The seed flows back from the output into the value (or into its Σ).
            let target = needsSum(v) ? sumNode(v) : producer
            let e = gv.edge(from: target, to: out, key: "b" + edgeKey)
            edgeCount += 1
            styleBackward(e, gradient: seed, id: "b-out-\(name)", note: nil)
            e.setLabel("seed \(fmt.term(seed)) into \(name)", attribute: "tooltip")
        }
    }

    // MARK: Edges

    static let commutative: Set<String> = ["add", "mul", "maximum", "minimum"]

    func drawInputEdges(_ n: Int) {
        let node = nodes[n]
        guard let consumer = gvNodes[n], let op = node.op else { return }
        let drawnInputs = node.inputs.filter { drawn[$0.node] }.count
        let nameSlots = drawnInputs >= 2 && !DrawingBuilder.commutative.contains(op.name)
        for (slot, v) in node.inputs.enumerated() {
            let producer: Graphviz.Node
            if let p = gvNodes[v.node] {
                producer = p
            } else if folded > 0, !isConstant(v.node) {
                producer = summaryNode()
            } else {
                continue
            }
            let inputName = op.info.inputName(slot)
            let edgeID = "\(key(n))-\(slot)"
            let isOriginInput = nonFinite.map { $0.node == n && $0.slots.contains(slot) } ?? false
            if showForward {
                let ref = referenceNode(v, consumer: n, slot: slot)
                let e = gv.edge(from: ref ?? producer, to: consumer, key: "f\(n).\(slot)")
                edgeCount += 1
                e["id"] = "f-\(edgeID)"
                // With references drawn, the edges of the graph itself outweigh a
                // reference's so its ops stay in line and each reference sits beside its use.
                if !references.isEmpty { e["weight"] = forwardWeight(from: v.node, to: n, reference: ref != nil) }
                var classes = ["forward"]
                let value = graph.value(v)
                var text = fmt.compact(value)
                if nameSlots { text = "\(inputName): " + text }
                e.setLabel(text, attribute: edgeLabel)
                e.setLabel("\(valueName(v)) → \(title(n)) (\(inputName))\n" + fmt.full(value), attribute: "tooltip")
                if isOriginInput {
                    classes.append("nonfinite-cause")
                    e["color"] = palette.bad
                    e["fontcolor"] = palette.bad
                    e["penwidth"] = "2.5"
                } else if inherited.contains(v.node) || nonFinite?.node == v.node {
                    classes.append("nonfinite")
                    e["color"] = palette.dimmed
                    e["fontcolor"] = palette.dimmed
                } else {
                    e["color"] = palette.forward
                    e["fontcolor"] = palette.forward
                }
                e["class"] = classes.joined(separator: " ")
            }
            if showBackward, let g = grads.edge(node: n, slot: slot) {
                let tail = referenceNode(v, consumer: n, slot: slot)
                    ?? (gvNodes[v.node] != nil && needsSum(v) ? sumNode(v) : producer)
                let e = gv.edge(from: tail, to: consumer, key: "b\(n).\(slot)")
                edgeCount += 1
                let note = options.checkMarks[n].flatMap { $0.passed ? nil : $0.slots[slot] }
                styleBackward(e, gradient: g, id: "b-\(edgeID)", note: note)
                // Gradient edges follow the forward ones and do not pull on the layout.
                if !references.isEmpty { e["weight"] = "0" }
                // Past a few hundred nodes the drawing is a map, not a page: gradient edges
                // stop constraining the ranks, which halves dot's layout time (measured:
                // 1,000 ops 6.1 s -> 2.3 s) and still draws every gradient.
                if largeLayout { e["constraint"] = "false" }
                var tip = "∂objective/∂\(valueName(v)) along its use by \(title(n)) (\(inputName)):\n" + fmt.full(g)
                if let note { tip += "\n" + note }
                e.setLabel(tip, attribute: "tooltip")
            }
        }
    }

    var largeLayout: Bool { graph.nodes.count > 600 }

    /// The attribute that carries the value or gradient of an edge. Up to 600 nodes it
    /// is `label`: dot lays the text out as a node of the layout, so no label lands under a
    /// node box, on another label or across an edge (measured: 400 random scalar ops with
    /// every gradient, 0.19 s with `xlabel`, 0.33 s with `label`). Past that it is
    /// `xlabel`, placed after layout where there is room: the label nodes would multiply
    /// the layout's size, and dot fails ("trouble in init_rank") on labels of the
    /// `constraint=false` gradient edges of large layouts.
    var edgeLabel: String { largeLayout ? "xlabel" : "label" }

    func styleBackward(_ e: Graphviz.Edge, gradient g: Tensor, id: String, note: String?) {
        e["id"] = id
        e["dir"] = "back"
        e["style"] = "dashed"
        e["arrowtail"] = "normal"
        var classes = ["backward"]
        var color = palette.backward
        var text = "∇ " + fmt.compact(g)
        let norm = NumberFormat.norm(g)
        if !g.isFinite {
            classes.append("nonfinite")
            color = palette.bad
        } else if norm > options.explode {
            classes.append("exploding")
            color = palette.bad
            e["penwidth"] = "3"
            text += "\n⚠ exploding"
        } else if norm < options.vanish, g.data.contains(where: { $0 != 0 }) {
            // Tiny but not zero: an exactly-zero gradient comes from a zero input or a
            // dead ReLU, not from vanishing, and is drawn plainly.
            classes.append("vanishing")
            color = palette.vanish
            e["style"] = "dotted"
            text += "\n⚠ vanishing"
        } else if let range = gradientRange {
            color = magnitudeColor(norm, range)
        }
        if let note {
            classes.append("check-failed")
            color = palette.bad
            e["penwidth"] = "2.5"
            text += "\n" + note
        }
        e["class"] = classes.joined(separator: " ")
        e["color"] = color
        e["fontcolor"] = color
        e.setLabel(text, attribute: edgeLabel)
    }

    // MARK: Σ at fan-out

    /// The gradient contributions that sum into a value: one per use that carried a
    /// gradient, plus the seed when the value is an output.
    func sumTerms(_ v: ValueID) -> [(label: String, gradient: Tensor)] {
        var terms: [(String, Tensor)] = []
        for use in uses[v] ?? [] {
            if let g = grads.edge(node: use.node, slot: use.slot) { terms.append((title(use.node), g)) }
        }
        if outputSet.contains(v), grads[v] != nil {
            let value = graph.value(v)
            terms.append(("seed", model.seeds[v] ?? Tensor.ones(value.shape)))
        }
        return terms
    }

    var sumNodes: [ValueID: Graphviz.Node] = [:]
    var sumCache: [ValueID: Bool] = [:]

    func needsSum(_ v: ValueID) -> Bool {
        if let known = sumCache[v] { return known }
        let result = showBackward && grads[v] != nil && sumTerms(v).count >= 2
        sumCache[v] = result
        return result
    }

    /// The Σ node of a value, created in the value's cluster on first use.
    func sumNode(_ v: ValueID) -> Graphviz.Node {
        if let s = sumNodes[v] { return s }
        let name = valueName(v)
        let s = container(for: v.node).node("sum:" + name)
        nodeCount += 1
        sumNodes[v] = s
        s["id"] = "sum-\(name)"
        s["class"] = "sum"
        s["shape"] = "box"
        s["style"] = "rounded,filled"
        s["fillcolor"] = palette.sumFill
        s["color"] = palette.sum
        s["fontcolor"] = palette.sum
        s["margin"] = "0.04,0.02"
        let terms = sumTerms(v)
        let total = grads[v]!
        let shown = terms.count <= 5 ? terms.map { fmt.term($0.gradient) } : terms.prefix(3).map { fmt.term($0.gradient) } + ["… \(terms.count - 3) more"]
        var equation = shown.enumerated().map { i, t in i == 0 || t.hasPrefix("-") || t.hasPrefix("…") ? t : "+ " + t }.joined(separator: " ")
        equation = equation.replacingOccurrences(of: " -", with: " − ")
        if equation.hasPrefix("-") { equation = "−" + equation.dropFirst() }
        if total.count == 1 {
            s.setHTMLLabel(table([
                "<TR><TD><FONT POINT-SIZE=\"9\">Σ \(escapeForHTMLLabel(equation)) = <B>\(escapeForHTMLLabel(fmt.term(total)))</B></FONT></TD></TR>",
            ]))
        } else {
            // Norms do not add: name the uses and show the summed tensor itself.
            s.setHTMLLabel(table([
                "<TR><TD><FONT POINT-SIZE=\"9\">Σ of \(terms.count) uses =</FONT></TD></TR>",
                "<TR><TD><FONT POINT-SIZE=\"9\"><B>\(htmlLines(fmt.preview(total), align: "CENTER"))</B></FONT></TD></TR>",
            ]))
        }
        var tip = "Σ: gradient of \(name) = sum over its \(terms.count) uses\n"
        for t in terms { tip += "  \(t.label): \(fmt.term(t.gradient))\n" }
        tip += "total:\n" + fmt.full(total)
        s.setLabel(tip, attribute: "tooltip")
        return s
    }

    /// After every edge: the edge from each Σ back into its value, with the total.
    func drawSumIfNeeded(_ v: ValueID) {
        // A value whose every use is drawn by reference still gets its Σ beside it.
        if sumNodes[v] == nil, referenced.contains(v), gvNodes[v.node] != nil, needsSum(v) { _ = sumNode(v) }
        guard let s = sumNodes[v], let producer = gvNodes[v.node], let total = grads[v] else { return }
        let e = gv.edge(from: producer, to: s, key: "bsum\(v.node).\(v.output)")
        edgeCount += 1
        styleBackward(e, gradient: total, id: "b-sum-\(valueName(v))", note: nil)
        e["class"] = (e["class"] ?? "backward") + " sum-total"
        // The Σ node already reads "= total"; a label here would only crowd the value.
        e[edgeLabel] = nil
        e["penwidth"] = "2"
        e["weight"] = "4"
        e.setLabel("total gradient of \(valueName(v)):\n" + fmt.full(total), attribute: "tooltip")
    }

    // MARK: References to widely shared values

    /// Uses (consumer node, slot) drawn from a small copy of their value next to the
    /// consumer instead of from the value itself, and the values they refer to.
    var references: [Int: Set<Int>] = [:]
    var referenced: Set<ValueID> = []
    var referenceNodes: [String: Graphviz.Node] = [:]
    /// The nodes on a longest path (no slack between the earliest and the latest rank),
    /// and the earliest ranks.
    var spine: Set<Int> = []
    var spineRank: [Int] = []

    /// The weight of a forward edge in a drawing with references: the longest path
    /// outweighs the other edges (an unrolled RNN's state runs straight instead of
    /// sliding to the middle of each step), which outweigh the references.
    func forwardWeight(from p: Int, to n: Int, reference: Bool) -> String {
        if reference { return "1" }
        return spine.contains(p) && spine.contains(n) && spineRank[n] == spineRank[p] + 1 ? "16" : "4"
    }

    /// A use that spans more than this many ranks may be drawn by reference.
    static let referenceSpan = 3
    /// ... when the long uses of its value span this many ranks in all. dot turns every
    /// rank an edge crosses into a virtual node (two with a label, and the gradient edge
    /// doubles it), so one value read all along a chain (weights shared across the steps
    /// of an unrolled RNN, `v_i = v_(i-1) * x`) costs O(n²) of them: 300 ops gave dot
    /// 364k virtual nodes and took minutes. By reference it is O(n): 0.3 s (bench/render).
    static let referenceBudget = 48

    /// Picks the uses to draw by reference: for each drawn value, its uses more than
    /// `referenceSpan` ranks away, if together they span at least `referenceBudget` ranks.
    /// Ranks are estimated as dot's ranking tends to put them: a node with no drawn
    /// consumer right after its last input (the longest path from the inputs), any other
    /// node one before its earliest consumer, which is where a value read by one op goes.
    /// So only values read far apart have long uses: a shared input, or `u` in `u * x_t`
    /// at every step of an unrolled RNN, not a value read by ops a few ranks apart in a
    /// random DAG. Small and local drawings have none and are drawn as before.
    func planReferences() {
        var early = [Int](repeating: 0, count: nodes.count)
        for n in nodes.indices where drawn[n] && !nodes[n].isLeaf {
            early[n] = 1 + (nodes[n].inputs.filter { drawn[$0.node] }.map { early[$0.node] }.max() ?? -1)
        }
        var rank = early
        var late = [Int](repeating: 0, count: nodes.count)
        let length = nodes.indices.filter { drawn[$0] }.map { early[$0] }.max() ?? 0
        for n in nodes.indices.reversed() where drawn[n] {
            var earliest: Int?, latest: Int?
            for k in nodes[n].values.indices {
                for use in uses[ValueID(node: n, output: k)] ?? [] where drawn[use.node] {
                    earliest = min(earliest ?? rank[use.node], rank[use.node])
                    latest = min(latest ?? late[use.node], late[use.node])
                }
            }
            if let earliest { rank[n] = earliest - 1 }
            late[n] = (latest ?? length + 1) - 1
        }
        // The spine: nodes with no slack between their earliest and latest rank.
        for n in nodes.indices where drawn[n] && early[n] == late[n] { spine.insert(n) }
        spineRank = early
        for (v, list) in uses.sorted(by: { ($0.key.node, $0.key.output) < ($1.key.node, $1.key.output) }) where drawn[v.node] {
            let long = list.filter { drawn[$0.node] && rank[$0.node] - rank[v.node] > DrawingBuilder.referenceSpan }
            guard long.reduce(0, { $0 + rank[$1.node] - rank[v.node] }) >= DrawingBuilder.referenceBudget else { continue }
            referenced.insert(v)
            for use in long { references[use.node, default: []].insert(use.slot) }
        }
    }

    /// The reference node a use is drawn from, created on first use; nil for a use drawn
    /// from its value.
    func referenceNode(_ v: ValueID, consumer n: Int, slot: Int) -> Graphviz.Node? {
        guard references[n]?.contains(slot) == true else { return nil }
        let name = valueName(v)
        let refKey = "ref:\(name)@\(key(n)).\(slot)"
        if let r = referenceNodes[refKey] { return r }
        let r = container(for: n).node(refKey)
        referenceNodes[refKey] = r
        nodeCount += 1
        let count = uses[v]?.count ?? 0
        var classes = ["ref"]
        var fill = palette.opFill, line = palette.opLine
        if case .input(let requiresGradient) = nodes[v.node].kind {
            let style = palette.input(requiresGradient: requiresGradient)
            classes.append(style.kind)
            (fill, line) = (style.fill, style.line)
        }
        r["id"] = "ref-\(name)-\(key(n))-\(slot)"
        r["class"] = classes.joined(separator: " ")
        r["shape"] = "box"
        r["style"] = "rounded,filled,dashed"
        r["fillcolor"] = fill
        r["color"] = line
        r["margin"] = "0.04,0.02"
        r.setHTMLLabel(table([
            "<TR><TD><B>\(escapeForHTMLLabel(name))</B></TD></TR>",
            "<TR><TD><FONT POINT-SIZE=\"7\" COLOR=\"\(palette.muted)\">\(count) uses</FONT></TD></TR>",
        ]))
        var tip = "\(name), drawn again beside its use by \(title(n)) (\(count) uses in all).\n"
        tip += needsSum(v) ? "Its value, and the Σ of the gradients of all its uses, are drawn at \(name)." : "Its value is drawn at \(name)."
        r.setLabel(tip, attribute: "tooltip")
        return r
    }

    // MARK: Focus

    /// Ops folded into the summary node (automatic folding of large graphs).
    var folded = 0
    var foldedNode: Graphviz.Node?

    /// The summary node that stands for the folded part of a large graph.
    func summaryNode() -> Graphviz.Node {
        if let f = foldedNode { return f }
        let f = gv.node("folded")
        nodeCount += 1
        foldedNode = f
        f["id"] = "folded"
        f["class"] = "folded"
        f["shape"] = "box3d"
        f["style"] = "filled"
        f["fillcolor"] = palette.clusterFill
        f["color"] = palette.muted
        f.setLabel("… \(folded) earlier nodes folded\nsee them with --focus ID --depth K")
        return f
    }

    /// Keeps the values nearest the outputs (whole levels of ancestors, breadth first)
    /// while the drawing stays under `maxNodes`.
    func applyFolding() {
        let drawable = drawn.filter { $0 }.count
        let estimate = drawable + drawable / 3
        guard estimate > options.maxNodes else { return }
        var keep = [Bool](repeating: false, count: nodes.count)
        var frontier = Array(Set(model.outputs.map(\.node))).sorted()
        var kept = 0
        let budget = options.maxNodes * 3 / 4
        while !frontier.isEmpty {
            let level = frontier.filter { !keep[$0] && drawn[$0] }
            if kept > 0 && kept + level.count > budget { break }
            for n in level { keep[n] = true }
            kept += level.count
            var next = Set<Int>()
            for n in level { for v in nodes[n].inputs where !keep[v.node] && drawn[v.node] { next.insert(v.node) } }
            frontier = next.sorted()
        }
        for n in nodes.indices where drawn[n] && !keep[n] { drawn[n] = false; folded += 1 }
        options.progress?("the graph has \(drawable) nodes: drawing the \(kept) nearest the outputs and folding \(folded) into one summary node; "
            + "draw any part with --focus ID --depth K (or raise --max-nodes)")
    }

    func applyFocus() throws {
        guard let focus = options.focus else { applyFolding(); return }
        guard let center = model.value(named: focus) else {
            var message = "--focus: no value named \(quoted(focus))"
            let names = model.namedValues.map(\.name)
            if let near = nearestName(to: focus, in: names) { message += " (did you mean \(quoted(near))?)" }
            else if !names.isEmpty {
                message += " (the values are \(names.prefix(8).map(quoted).joined(separator: ", "))\(names.count > 8 ? ", ... \(names.count) in all" : ""))"
            }
            throw RenderError(message)
        }
        var distance = [Int](repeating: -1, count: nodes.count)
        distance[center.node] = 0
        var frontier = [center.node]
        var consumers = [[Int]](repeating: [], count: nodes.count)
        for n in nodes.indices { for v in nodes[n].inputs { consumers[v.node].append(n) } }
        var depth = 0
        while !frontier.isEmpty && depth < options.depth {
            depth += 1
            var next: [Int] = []
            for n in frontier {
                for m in nodes[n].inputs.map(\.node) + consumers[n] where distance[m] < 0 {
                    distance[m] = depth
                    next.append(m)
                }
            }
            frontier = next.sorted()
        }
        for n in nodes.indices where distance[n] < 0 { drawn[n] = false }
        let kept = drawn.filter { $0 }.count
        options.progress?("--focus \(focus) --depth \(options.depth): drawing \(kept) of \(nodes.count) nodes")
    }

    // MARK: Colour by gradient magnitude

    func gradientMagnitudeRange() -> (Double, Double)? {
        var lo = Double.infinity, hi = -Double.infinity
        for n in nodes.indices where !nodes[n].isLeaf {
            for slot in nodes[n].inputs.indices {
                guard let g = grads.edge(node: n, slot: slot) else { continue }
                let m = NumberFormat.norm(g)
                guard m > 0, m.isFinite else { continue }
                lo = min(lo, log10(m)); hi = max(hi, log10(m))
            }
        }
        return lo <= hi ? (lo, hi) : nil
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
