import GradvizCore

/// The result format of the spec: values, grads and per-edge gradient contributions.
public enum ResultJSON {
    /// Serializes a computed model. Non-finite numbers, which JSON cannot hold, are written
    /// as the strings "NaN", "Infinity" and "-Infinity".
    public static func write(_ model: Model, _ grads: Gradients, style: JSONWriter.Style = .pretty) -> [UInt8] {
        var w = JSONWriter(style: style)
        write(model, grads, into: &w)
        return w.fileBytes()
    }

    /// The same bytes as `write`, handed to `sink` in chunks of about `chunkSize` bytes as
    /// they are formatted: a result file is three numbers per element of every value (a
    /// gigabyte for a ResNet-18), never held whole. False when the sink refused a chunk;
    /// writing stops soon after that.
    public static func write(_ model: Model, _ grads: Gradients, style: JSONWriter.Style = .pretty,
                             chunkSize: Int = 1 << 20, to sink: @escaping JSONWriter.Sink) -> Bool {
        var w = JSONWriter(style: style, chunkSize: chunkSize, sink: sink)
        write(model, grads, into: &w)
        return w.finishStream()
    }

    private static func write(_ model: Model, _ grads: Gradients, into w: inout JSONWriter) {
        let graph = model.graph
        w.beginObject()
        w.key("gradviz"); w.value(1)
        w.key("outputs")
        w.beginArray(singleLine: true)
        for v in model.outputs { w.value(graph.name(v)) }
        w.endArray()
        w.key("values")
        w.beginObject()
        for (name, v) in model.namedValues where !w.failed { w.key(name); w.tensor(graph.value(v)) }
        w.endObject()
        w.key("grads")
        w.beginObject()
        for (name, v) in model.namedValues where !w.failed {
            if let d = grads.scalar(v) { w.key(name); w.value(d) }
            else if let g = grads[v] { w.key(name); w.tensor(g) }
        }
        w.endObject()
        w.key("edges")
        w.beginArray()
        forEachEdge(model, grads) { edge in
            guard !w.failed else { return }   // the sink takes nothing more
            // One edge a line: readable, and easy to grep.
            w.beginObject(singleLine: true)
            w.key("from"); w.value(graph.name(edge.from))
            w.key("to"); w.value(edge.port?.call ?? graph.nodes[edge.node].names[0])
            w.key("slot"); w.value(edge.slot)
            w.key("grad")
            // A scalar gradient is written as the number it is stored as (no Tensor made).
            if let d = grads.scalarEdge(node: edge.node, slot: edge.graphSlot) { w.value(d) }
            else { w.tensor(grads.edge(node: edge.node, slot: edge.graphSlot)!) }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    public struct Edge {
        public let from: String
        public let to: String
        public let slot: Int
        public let grad: Tensor
        /// Where the edge is in the graph.
        public let node: Int
        public let graphSlot: Int
    }

    /// Every use of a named value that carried a gradient, in graph order. The argument of a
    /// composite call is reported as an edge into the call (its port node is internal).
    public static func edges(_ model: Model, _ grads: Gradients) -> [Edge] {
        let graph = model.graph
        var out: [Edge] = []
        forEachEdge(model, grads) { e in
            out.append(Edge(from: graph.name(e.from), to: e.port?.call ?? graph.nodes[e.node].names[0],
                            slot: e.slot, grad: grads.edge(node: e.node, slot: e.graphSlot)!, node: e.node, graphSlot: e.graphSlot))
        }
        return out
    }

    /// An edge before it is given names: node `node` reads `from` in `graphSlot`, and
    /// `port` is set when the node is the port of a composite call.
    struct EdgeRef {
        let from: ValueID
        let node: Int
        let graphSlot: Int
        let port: (call: String, slot: Int)?
        /// The slot the result file gives: the argument's position for a composite call.
        var slot: Int { port?.slot ?? graphSlot }
    }

    /// Every edge the result reports, in graph order: one whose value has a name and along
    /// which a gradient flowed.
    static func forEachEdge(_ model: Model, _ grads: Gradients, _ body: (EdgeRef) -> Void) {
        let nodes = model.graph.nodes
        for n in nodes.indices where !nodes[n].inputs.isEmpty {
            var port: (call: String, slot: Int)?
            if let p = model.annotations[n]?.port { port = (p.call, p.slot) }
            for (slot, from) in nodes[n].inputs.enumerated()
            where !nodes[from.node].names[from.output].isEmpty && grads.hasEdge(node: n, slot: slot) {
                body(EdgeRef(from: from, node: n, graphSlot: slot, port: port))
            }
        }
    }
}

extension JSONWriter {
    public mutating func tensor(_ t: Tensor) { tensor(t.data, shape: t.shape) }
}
