import Foundation
import GradvizCore
import GradvizModel

/// The model's numbers as the explorer page reads them: one JSON document embedded in the
/// page (the format is described in docs/explorer.md). Everything the page shows in its
/// details panel and its steps comes from here; the drawing is Graphviz's SVG beside it.
///
/// Node `i` of `nodes` is node `i` of the graph, so the page follows inputs by index.
/// Tensors are written as a number (shape []) or `{"shape", "data"}` with `data` flat and
/// row-major; past `elementLimit` elements only the first `elementLimit` are written, with
/// `count`, `min`, `mean`, `max`, `norm` of the whole tensor (the page says so).
struct ExplorerData {
    /// Tensors with more elements than this are summarised in the file.
    static let elementLimit = 4096

    let model: Model
    let grads: Gradients
    let drawing: DrawingNames
    let check: ExplorerCheck?

    var nodes: [GradvizCore.Graph.Node] { model.graph.nodes }

    func json() -> [UInt8] {
        var w = JSONWriter(style: .compact, capacity: 256 * nodes.count + 4096)
        w.beginObject()
        w.key("gradviz"); w.value(1)
        w.key("kind"); w.value(check == nil ? "graph" : "check")
        w.key("file"); w.value(model.file)
        w.key("title"); w.value(model.name ?? "")
        w.key("description"); w.value(model.description ?? "")
        w.key("precision"); w.value(drawing.options.precision)
        w.key("theme"); w.value(drawing.options.theme.rawValue)
        w.key("view"); w.value(drawing.options.view.rawValue)
        w.key("elementLimit"); w.value(ExplorerData.elementLimit)
        w.key("drawnNodes"); w.value(drawing.drawnNodes)
        w.key("folded"); w.value(drawing.folded)
        w.key("groups")
        w.beginArray()
        for g in drawing.groups {
            w.beginObject()
            w.key("label"); w.value(g.label)
            w.key("kind"); w.value(g.kind)
            w.key("parent"); w.value(g.parent)
            w.key("svg"); if let id = g.svgID { w.value(id) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        if !drawing.plan.summaries.isEmpty {
            w.key("summaries")
            writeSummaries(&w)
        }
        w.key("nodes")
        w.beginArray()
        for n in nodes.indices { writeNode(n, &w) }
        w.endArray()
        w.key("elements")
        drawing.writeElements(&w)
        w.key("outputs")
        w.beginArray()
        for v in model.outputs {
            w.beginObject()
            w.key("node"); w.value(v.node)
            w.key("out"); w.value(v.output)
            let value = model.graph.value(v)
            w.key("seed"); writeTensor(model.seeds[v] ?? Tensor.ones(value.shape), &w)
            w.endObject()
        }
        w.endArray()
        // The engine's order (Graph.backward): reverse topological order over the op nodes
        // that received a gradient.
        w.key("backward")
        w.beginArray()
        for n in nodes.indices.reversed() where nodes[n].op != nil && hasGradient(n) { w.value(n) }
        w.endArray()
        w.key("forward")
        w.beginArray()
        for n in nodes.indices where nodes[n].op != nil { w.value(n) }
        w.endArray()
        if let check {
            w.key("check")
            check.write(&w, data: self)
        }
        w.endObject()
        return w.fileBytes()
    }

    /// What folding by structure folded: per summary its title, what it holds, the flag that
    /// draws it, its members, and each value read inside it with its uses there and the sum
    /// of their gradient contributions (the gradient on the edge into the summary).
    func writeSummaries(_ w: inout JSONWriter) {
        let plan = drawing.plan
        var inputs = [[Int]](repeating: [], count: plan.summaries.count)
        for (i, e) in plan.edges.enumerated() where e.role == .forward && e.use == nil {
            if let s = plan.nodes[e.head].summary { inputs[s].append(i) }
        }
        w.beginArray()
        for (s, summary) in plan.summaries.enumerated() {
            w.beginObject()
            w.key("title"); w.value(summary.title)
            w.key("detail"); w.value(summary.detail)
            w.key("kind"); w.value(summary.kind.rawValue)
            w.key("expand"); w.value(summary.expand)
            if let r = summary.repeats { w.key("repeats"); w.value(r) }
            w.key("group"); w.value(drawing.summaryGroup[s])
            w.key("members")
            w.beginArray(); for m in summary.members { w.value(m) }; w.endArray()
            w.key("inputs")
            w.beginArray()
            for i in inputs[s] {
                let e = plan.edges[i]
                w.beginObject()
                w.key("node"); w.value(e.value.node)
                w.key("out"); w.value(e.value.output)
                w.key("uses")
                w.beginArray()
                for u in e.foldedUses { w.beginArray(); w.value(u.node); w.value(u.slot); w.endArray() }
                w.endArray()
                w.key("grad")
                writeOptional(grads.sum(along: e.foldedUses), &w)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
    }

    func hasGradient(_ n: Int) -> Bool {
        nodes[n].values.indices.contains { grads[ValueID(node: n, output: $0)] != nil }
    }

    func writeNode(_ n: Int, _ w: inout JSONWriter) {
        let node = nodes[n]
        let annotations = model.annotations(n)
        w.beginObject()
        w.key("id"); w.value(drawing.key(n))
        switch node.kind {
        case .input(let requiresGradient): w.key("kind"); w.value(requiresGradient ? "param" : "data")
        case .constant: w.key("kind"); w.value("const")
        case .op: w.key("kind"); w.value(annotations.port != nil ? "port" : "op")
        }
        if let label = annotations.label, label != drawing.key(n) { w.key("label"); w.value(label) }
        if let op = node.op { writeOp(n, op, &w) }
        for (key, text) in [("expr", annotations.expr), ("doc", annotations.doc), ("port", annotations.port?.call)] {
            if let text, !text.isEmpty { w.key(key); w.value(text) }
        }
        if n < model.lines.count, model.lines[n] > 0 { w.key("line"); w.value(model.lines[n]) }
        if let g = drawing.groupOfNode[n] { w.key("group"); w.value(g) }
        if drawing.isDrawn(n) { w.key("drawn"); w.value(true) }
        if n < drawing.plan.foldedInto.count, drawing.plan.foldedInto[n] >= 0 { w.key("folded"); w.value(drawing.plan.foldedInto[n]) }
        w.key("names")
        w.beginArray()
        for k in node.values.indices { w.value(drawing.valueName(ValueID(node: n, output: k))) }
        w.endArray()
        w.key("value")
        w.beginArray()
        for value in node.values { writeTensor(value, &w) }
        w.endArray()
        w.key("grad")
        w.beginArray()
        for k in node.values.indices { writeOptional(grads[ValueID(node: n, output: k)], &w) }
        w.endArray()
        w.endObject()
    }

    func writeOp(_ n: Int, _ op: any Op, _ w: inout JSONWriter) {
        let node = nodes[n]
        let info = op.info
        w.key("op"); w.value(info.name)
        w.key("symbol"); w.value(model.annotations[n]?.custom ?? info.symbol)
        w.key("summary"); w.value(info.summary)
        w.key("formula"); w.value(info.gradient)
        if model.annotations[n]?.custom != nil { w.key("custom"); w.value(true) }
        w.key("attrs")
        w.beginArray()
        let defaults = Attributes(defaultsFor: info)
        for (name, value) in op.attributes.entries {
            let isDefault = defaults.entries.contains { $0.name == name && $0.value == value }
            w.beginArray(); w.value(name); w.value(value.description); w.value(isDefault); w.endArray()
        }
        w.endArray()
        w.key("inputs")
        w.beginArray()
        for (slot, v) in node.inputs.enumerated() {
            w.beginObject()
            w.key("node"); w.value(v.node)
            w.key("out"); w.value(v.output)
            w.key("slot"); w.value(info.inputName(slot))
            w.key("grad"); writeOptional(grads.edge(node: n, slot: slot), &w)
            w.endObject()
        }
        w.endArray()
        if let local = localDerivatives(n, op) {
            w.key("local")
            w.beginArray()
            for d in local { if let d { w.value(d) } else { w.null() } }
            w.endArray()
        }
    }

    /// ∂output/∂input of each slot, for an op whose output and inputs are single numbers:
    /// the op's own vjp with an upstream gradient of 1 (what the engine multiplies the
    /// upstream gradient by). A tensor op has a Jacobian instead, which the engine never
    /// forms; the page shows its formula then.
    func localDerivatives(_ n: Int, _ op: any Op) -> [Double?]? {
        let node = nodes[n]
        let inputs = node.inputs.map { model.graph.value($0) }
        guard node.values.count == 1, node.values[0].count == 1, inputs.allSatisfy({ $0.count == 1 }), hasGradient(n) else { return nil }
        let needs = node.inputs.indices.map { node.isDifferentiable(slot: $0) && grads.hasEdge(node: n, slot: $0) }
        let context = VJPContext(inputs: inputs, outputs: node.values, upstream: [Tensor.ones(node.values[0].shape)], needsGradient: needs)
        let result = op.vjp(context)
        return node.inputs.indices.map { slot in
            guard needs[slot], slot < result.count, let t = result[slot], t.count == 1 else { return nil }
            return t.data[0]
        }
    }

    func writeOptional(_ t: Tensor?, _ w: inout JSONWriter) {
        if let t { writeTensor(t, &w) } else { w.null() }
    }

    func writeTensor(_ t: Tensor, _ w: inout JSONWriter) {
        if t.shape.isEmpty { w.value(t.data[0]); return }
        w.beginObject()
        w.key("shape")
        w.beginArray(); for d in t.shape { w.value(d) }; w.endArray()
        let limit = ExplorerData.elementLimit
        w.key("data")
        w.beginArray()
        for x in t.data.prefix(limit) { w.value(x) }
        w.endArray()
        if t.count > limit {
            // The whole tensor's statistics, since the page only has its first elements.
            let stats = NumberFormat.Statistics(t)
            w.key("count"); w.value(t.count)
            w.key("min"); w.value(stats.min)
            w.key("mean"); w.value(stats.mean)
            w.key("max"); w.value(stats.max)
            w.key("norm"); w.value(stats.norm)
            w.key("nonfinite"); w.value(t.count - stats.finiteCount)
        }
        w.endObject()
    }
}
