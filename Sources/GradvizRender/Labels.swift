import GradvizCore
import GradvizModel
import Graphviz

/// The text of a drawing: each node's and edge's label and tooltip, from its plan. HTML-like
/// labels (Graphviz's, well-formed XML) have every piece of user text escaped; plain text
/// (tooltips, edge labels) is shown literally by whoever sets it.
public struct DrawingLabels {
    public enum Label: Equatable {
        case html(String)
        case plain(String)
    }

    public let plan: DrawingPlan
    let fmt: NumberFormat
    let palette: Palette

    /// The values crossing into and out of each summary of folded structure, by plan node.
    let boundary: [Int: (into: [String], out: [String])]

    public init(_ plan: DrawingPlan) {
        self.plan = plan
        fmt = NumberFormat(precision: plan.options.precision)
        palette = Palette(plan.options.theme)
        var boundary: [Int: (into: [String], out: [String])] = [:]
        if !plan.summaries.isEmpty {
            for e in plan.edges where e.role == .forward || e.role == .output {
                let name = plan.valueName(e.value)
                if plan.nodes[e.head].summary != nil, !(boundary[e.head]?.into.contains(name) ?? false) { boundary[e.head, default: ([], [])].into.append(name) }
                if plan.nodes[e.tail].summary != nil, !(boundary[e.tail]?.out.contains(name) ?? false) { boundary[e.tail, default: ([], [])].out.append(name) }
            }
        }
        self.boundary = boundary
    }

    var graph: GradvizCore.Graph { plan.model.graph }

    // MARK: Title and legend

    /// The graph's label: the model's name and description, then the legend.
    public func title() -> String {
        let model = plan.model
        var rows: [String] = []
        if let name = model.name, !name.isEmpty {
            rows.append("<TR><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"16\"><B>\(escapeForHTMLLabel(name))</B></FONT></TD></TR>")
        }
        if let d = model.description, !d.isEmpty {
            rows.append("<TR><TD ALIGN=\"LEFT\" BALIGN=\"LEFT\"><FONT POINT-SIZE=\"11\" COLOR=\"\(palette.muted)\">\(htmlLines(d, wrap: 100))</FONT></TD></TR>")
        }
        var legend: [String] = []
        if plan.showsForward { legend.append("<FONT COLOR=\"\(palette.forward)\">── value (forward)</FONT>") }
        if plan.showsBackward {
            legend.append("<FONT COLOR=\"\(palette.backward)\">╌╌ ∇ gradient along each use (backward)</FONT>")
            legend.append("<FONT COLOR=\"\(palette.sum)\">Σ sum of the gradients of a value used more than once</FONT>")
        }
        legend.append("<FONT COLOR=\"\(palette.paramLine)\">■ parameter</FONT>  <FONT COLOR=\"\(palette.dataLine)\">■ data</FONT>  <FONT COLOR=\"\(palette.outputLine)\">■ output</FONT>")
        rows.append("<TR><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"9\">\(legend.joined(separator: "   "))</FONT></TD></TR>")
        if let marks = marksLegend() { rows.append("<TR><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"9\">\(marks)</FONT></TD></TR>") }
        return "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"2\">\(rows.joined())</TABLE>"
    }

    /// What each debugging mark in this drawing means (only the marks it has).
    func marksLegend() -> String? {
        let checks = plan.nodes.compactMap(\.check)
        var items: [String] = []
        if checks.contains(where: \.passed) {
            items.append("<FONT COLOR=\"\(palette.good)\">✓ op check passed: its backward agrees with finite differences at the inputs it gets here</FONT>")
        }
        if checks.contains(where: \.failed) {
            items.append("<FONT COLOR=\"\(palette.bad)\">✗ red outline: op check failed; its red gradient edge also shows what finite differences give for the same upstream gradient</FONT>")
        }
        if checks.contains(where: { $0.verdict == .unchecked }) {
            items.append("<FONT COLOR=\"\(palette.muted)\">– not checked: its output is NaN/Inf at these inputs (not blamed)</FONT>")
        }
        if !plan.summaries.isEmpty {
            items.append("<FONT COLOR=\"\(palette.muted)\">⊞ folded: a group, a call or repeated structure in one box; its edges carry what crosses it (--expand NAME draws it)</FONT>")
        }
        if plan.nodes.contains(where: { $0.nonFinite == .origin }) {
            items.append("<FONT COLOR=\"\(palette.bad)\">⚠ red outline: first NaN/Inf (grey dashed: values that inherit it)</FONT>")
        }
        return items.isEmpty ? nil : items.joined(separator: "   ")
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

    func table(_ rows: [String]) -> String {
        "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\">\(rows.joined())</TABLE>"
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

    // MARK: Nodes

    public func label(_ i: Int) -> Label {
        let node = plan.nodes[i]
        switch node.role {
        case .input(let requiresGradient): return .html(inputLabel(node.graphNode!, requiresGradient: requiresGradient))
        case .op: return .html(opLabel(node.graphNode!))
        case .port:
            return .plain(portParameter(node.graphNode!))
        case .output:
            let v = node.value!
            var rows = valueRows(escapeForHTMLLabel(plan.valueName(v)), graph.value(v))
            rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(palette.muted)\">output · seed \(escapeForHTMLLabel(fmt.term(plan.seed(v))))</FONT></TD></TR>")
            return .html(table(rows))
        case .sum: return .html(sumLabel(node.value!))
        case .reference:
            let v = node.value!
            return .html(table([
                "<TR><TD><B>\(escapeForHTMLLabel(plan.valueName(v)))</B></TD></TR>",
                "<TR><TD><FONT POINT-SIZE=\"7\" COLOR=\"\(palette.muted)\">\(plan.uses[v]?.count ?? 0) uses</FONT></TD></TR>",
            ]))
        case .summary:
            guard let s = node.summary else { return .plain("… \(plan.folded) earlier nodes folded\nsee them with --focus ID --depth K") }
            return .html(summaryLabel(plan.summaries[s], boundary: boundary[i]))
        }
    }

    /// The text beside a node that carries a mark: where NaN/Inf start, a check's result.
    public func xlabel(_ i: Int) -> String? {
        let node = plan.nodes[i]
        let origin = node.nonFinite == .origin ? "⚠ first NaN/Inf" : nil
        guard let check = node.check else { return origin }
        let mark: String
        switch check.verdict {
        case .passed: mark = check.kink ? "✓ (kink)" : check.infiniteDerivative ? "✓ (infinite derivative)" : "✓"
        case .failed: mark = "✗ " + check.summary
        case .unchecked: mark = "– not checked"
        }
        return origin.map { $0 + "  " + mark } ?? mark
    }

    func portParameter(_ n: Int) -> String {
        let key = plan.key(n)
        return key.split(separator: ".").last.map(String.init) ?? key
    }

    func inputLabel(_ n: Int, requiresGradient: Bool) -> String {
        let value = graph.nodes[n].values[0]
        let name = escapeForHTMLLabel(plan.title(n))
        let muted = palette.muted
        var rows = valueRows(name, value)
        if plan.title(n) != plan.key(n) {
            rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(muted)\">\(escapeForHTMLLabel(plan.key(n)))</FONT></TD></TR>")
        }
        rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(muted)\">\(requiresGradient ? "parameter" : "data · no grad")</FONT></TD></TR>")
        return table(rows)
    }

    /// The symbol an op node shows.
    func symbol(_ n: Int, _ op: any Op) -> String {
        if let custom = plan.model.annotations[n]?.custom { return custom }
        return op.name == "sum" ? "sum" : op.info.symbol  // Σ marks fan-out sums in this drawing
    }

    /// The op's symbol with constant operands folded in ("÷ 2", "1 −"), its non-default
    /// attributes, and the name of its value.
    func opLabel(_ n: Int) -> String {
        let node = graph.nodes[n]
        let op = node.op!
        let symbol = symbol(n, op)
        let constants = node.inputs.enumerated().compactMap { (slot, v) -> (Int, String)? in
            if case .constant = graph.nodes[v.node].kind { return (slot, fmt.number(graph.nodes[v.node].values[0].data[0])) }
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
                preview = "<B>\(escapeForHTMLLabel(plan.valueName(ValueID(node: n, output: k))))</B>: " + preview
            }
            rows.append("<TR><TD><FONT POINT-SIZE=\"8\">\(preview)</FONT></TD></TR>")
        }
        // The label, unless it only repeats the id or the symbol drawn above ("MSE"), then
        // the id, apart ("wᵀx · u": see `htmlLabelSpace`).
        let key = plan.key(n)
        var names = escapeForHTMLLabel(key.replacingOccurrences(of: ",", with: ", "))
        if let label = plan.model.annotations[n]?.label, label != key, label != symbol {
            names = "<B>\(escapeForHTMLLabel(label))\(htmlLabelSpace)</B>· \(names)"
        }
        rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(palette.muted)\">\(names)</FONT></TD></TR>")
        return table(rows)
    }

    /// "Σ g1 + g2 − g3 = total" for a scalar; the number of uses over the summed tensor
    /// for a tensor (norms do not add).
    func sumLabel(_ v: ValueID) -> String {
        let terms = plan.sumTerms(v)
        let total = plan.gradients[v]!
        let shown = terms.count <= DrawingLimits.sumTermsShown
            ? terms.map { fmt.term($0.gradient) }
            : terms.prefix(DrawingLimits.sumTermsShortened).map { fmt.term($0.gradient) } + ["… \(terms.count - DrawingLimits.sumTermsShortened) more"]
        var equation = shown.enumerated().map { i, t in i == 0 || t.hasPrefix("-") || t.hasPrefix("…") ? t : "+ " + t }.joined(separator: " ")
        equation = equation.replacingOccurrences(of: " -", with: " − ")
        if equation.hasPrefix("-") { equation = "−" + equation.dropFirst() }
        if total.count == 1 {
            return table([
                "<TR><TD><FONT POINT-SIZE=\"9\">Σ \(escapeForHTMLLabel(equation)) = <B>\(escapeForHTMLLabel(fmt.term(total)))</B></FONT></TD></TR>",
            ])
        }
        // Norms do not add: the terms' norms, then the summed tensor itself.
        let norms = shown.joined(separator: ", ")
        return table([
            "<TR><TD><FONT POINT-SIZE=\"9\">Σ of \(terms.count) uses: \(escapeForHTMLLabel(norms)) =</FONT></TD></TR>",
            "<TR><TD><FONT POINT-SIZE=\"9\"><B>\(htmlLines(fmt.preview(total), align: "CENTER"))</B></FONT></TD></TR>",
        ])
    }

    /// Every value and gradient a node stands for, its doc, line and marks.
    public func tooltip(_ i: Int) -> String {
        let node = plan.nodes[i]
        switch node.role {
        case .input, .op, .port: return graphNodeTooltip(node)
        case .output:
            let v = node.value!
            return "output \(plan.valueName(v))\n" + fmt.full(graph.value(v)) + "\nseed (upstream gradient):\n" + fmt.full(plan.seed(v))
        case .sum:
            let v = node.value!
            let terms = plan.sumTerms(v)
            var tip = "Σ: gradient of \(plan.valueName(v)) = sum over its \(terms.count) uses\n"
            for t in terms { tip += "  \(t.label): \(fmt.term(t.gradient))\n" }
            return tip + "total:\n" + fmt.full(plan.gradients[v]!)
        case .reference:
            let v = node.value!, name = plan.valueName(v)
            var tip = "\(name), drawn again beside its use by \(plan.title(node.use!.node)) (\(plan.uses[v]?.count ?? 0) uses in all).\n"
            let hasSum = plan.node(named: "sum:" + name) != nil
            tip += hasSum ? "Its value, and the Σ of the gradients of all its uses, are drawn at \(name)." : "Its value is drawn at \(name)."
            return tip
        case .summary:
            guard let s = node.summary else { return "" }
            let summary = plan.summaries[s]
            let names = summary.members.map(plan.key)
            return "\(summary.title) folded: \(summary.detail)\nholds \(names.prefix(20).joined(separator: ", "))\(names.count > 20 ? ", … \(names.count) nodes in all" : "")"
                + "\ndraw its inside with --expand \(summary.expand)"
        }
    }

    func graphNodeTooltip(_ node: DrawingPlan.Node) -> String {
        let n = node.graphNode!
        let g = graph.nodes[n]
        let annotations = plan.model.annotations(n)
        var tooltip = ""
        switch g.kind {
        case .input(let requiresGradient):
            tooltip = "\(plan.title(n)) (\(requiresGradient ? "parameter" : "data, no gradient"))\n" + fmt.full(g.values[0])
            if let total = plan.gradients[ValueID(node: n)] { tooltip += "\ngradient:\n" + fmt.full(total) }
        case .constant:
            break
        case .op(let op):
            if let port = annotations.port {
                tooltip = "argument \(portParameter(n)) of call \(port.call)"
            } else {
                tooltip = "\(plan.title(n)) = \(op.name)(\(g.inputs.indices.map { op.info.inputName($0) }.joined(separator: ", ")))"
                if let expr = annotations.expr { tooltip += "\n\(plan.key(n)) = \(expr)" }
                tooltip += "\nlocal gradient: \(op.info.gradient)"
                for (k, value) in g.values.enumerated() {
                    tooltip += "\n\(plan.valueName(ValueID(node: n, output: k))) = " + fmt.full(value)
                }
            }
        }
        if let doc = annotations.doc, !doc.isEmpty { tooltip += "\n\n" + doc }
        let lines = plan.model.lines
        if n < lines.count, lines[n] > 0 { tooltip += "\n(model line \(lines[n]))" }
        if node.nonFinite == .origin { tooltip = "⚠ first non-finite value in topological order\n" + tooltip }
        if let check = node.check { tooltip += "\n" + check.summary }
        return tooltip
    }

    // MARK: Edges

    /// The text along an edge: its value, or its gradient with its marks; nil for the edge
    /// from a Σ, whose node already reads "= total".
    public func text(edge i: Int) -> String? {
        let e = plan.edges[i]
        switch e.role {
        case .forward, .output:
            let text = fmt.compact(e.tensor)
            // The position of the input, where the order matters: "① 2" into the first
            // operand of b − a. Not "a: 2": slot names (a, b, x) collide with the model's
            // own names and read as an assignment. The tooltip names the slot.
            guard let slot = e.use?.slot, e.slotName != nil else { return text }
            return DrawingLabels.ordinal(slot) + " " + text
        case .sumTotal:
            return nil
        case .backward, .seed:
            var text = "∇ " + fmt.compact(e.tensor)
            if e.gradientMark == .exploding { text += "\n⚠ exploding" }
            if e.gradientMark == .vanishing { text += "\n⚠ vanishing" }
            if let expected = e.checkExpected { text += "\n✗ finite differences: " + fmt.compact(expected) }
            if let note = e.checkNote { text += "\n" + note }
            return text
        }
    }

    /// The edge's tooltip: what flows along it in full. Nil for the edge into an output.
    public func tooltip(edge i: Int) -> String? {
        let e = plan.edges[i]
        let name = plan.valueName(e.value)
        switch e.role {
        case .output:
            return nil
        case .forward:
            guard let use = e.use else { return "\(name) → \(foldedTitle(e)), read by \(e.foldedUses.count) \(e.foldedUses.count == 1 ? "use" : "uses") inside\n" + fmt.full(e.tensor) }
            return "\(name) → \(plan.title(use.node)) (\(inputName(use)))\n" + fmt.full(e.tensor)
        case .backward:
            guard let use = e.use else {
                return "∂objective/∂\(name) along its \(e.foldedUses.count) \(e.foldedUses.count == 1 ? "use" : "uses") inside \(foldedTitle(e)) (their sum):\n" + fmt.full(e.tensor)
            }
            var tip = "∂objective/∂\(name) along its use by \(plan.title(use.node)) (\(inputName(use))):\n" + fmt.full(e.tensor)
            if let expected = e.checkExpected { tip += "\nfinite differences for the same upstream gradient:\n" + fmt.full(expected) }
            if let note = e.checkNote { tip += "\n" + note }
            return tip
        case .seed:
            return "seed \(fmt.term(e.tensor)) into \(name)"
        case .sumTotal:
            return "total gradient of \(name):\n" + fmt.full(e.tensor)
        }
    }

    /// ①, ②, … ⑳ for input slot 0, 1, … 19; "#21" past them.
    static func ordinal(_ slot: Int) -> String {
        slot < 20 ? String(UnicodeScalar(0x2460 + UInt32(slot))!) : "#\(slot + 1)"
    }

    func inputName(_ use: DrawingPlan.Use) -> String { graph.nodes[use.node].op!.info.inputName(use.slot) }

    func foldedTitle(_ e: DrawingPlan.Edge) -> String { plan.nodes[e.head].summary.map { plan.summaries[$0].title } ?? "the folded part" }

    /// A summary of folded structure: its name, what it holds, the values crossing its
    /// boundary (their numbers are on the edges) and the flag that draws its inside.
    func summaryLabel(_ summary: DrawingPlan.Summary, boundary: (into: [String], out: [String])?) -> String {
        let muted = palette.muted
        func names(_ list: [String]) -> String {
            escapeForHTMLLabel(list.prefix(4).joined(separator: ", ") + (list.count > 4 ? " … (\(list.count))" : ""))
        }
        var rows = ["<TR><TD><B>⊞ \(escapeForHTMLLabel(summary.title))</B></TD></TR>",
                    "<TR><TD><FONT POINT-SIZE=\"9\">\(escapeForHTMLLabel(summary.detail))</FONT></TD></TR>"]
        var crossing: [String] = []
        if let into = boundary?.into, !into.isEmpty { crossing.append("in: " + names(into)) }
        if let out = boundary?.out, !out.isEmpty { crossing.append("out: " + names(out)) }
        if !crossing.isEmpty { rows.append("<TR><TD><FONT POINT-SIZE=\"8\">\(crossing.joined(separator: " · "))</FONT></TD></TR>") }
        let failed = summary.members.filter { plan.options.checkMarks[$0]?.failed == true }
        if !failed.isEmpty {
            rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(palette.bad)\">✗ holds a failed op: \(names(failed.map(plan.key)))</FONT></TD></TR>")
        }
        rows.append("<TR><TD><FONT POINT-SIZE=\"8\" COLOR=\"\(muted)\">--expand \(escapeForHTMLLabel(summary.expand))</FONT></TD></TR>")
        return table(rows)
    }
}
