import GradvizCore

/// The result format of the spec: values, grads and per-edge gradient contributions.
public enum ResultJSON {
    /// Serializes a computed model. Non-finite numbers, which JSON cannot hold, are written
    /// as the strings "NaN", "Infinity" and "-Infinity".
    public static func write(_ model: Model, _ grads: Gradients, style: JSONWriter.Style = .pretty) -> [UInt8] {
        let graph = model.graph
        var w = JSONWriter(style: style)
        w.beginObject()
        w.key("gradviz"); w.value(1)
        w.key("outputs")
        w.beginArray(singleLine: true)
        for v in model.outputs { w.value(graph.name(v)) }
        w.endArray()
        w.key("values")
        w.beginObject()
        for (name, v) in model.namedValues { w.key(name); w.tensor(graph.value(v)) }
        w.endObject()
        w.key("grads")
        w.beginObject()
        for (name, v) in model.namedValues {
            if let g = grads[v] { w.key(name); w.tensor(g) }
        }
        w.endObject()
        w.key("edges")
        w.beginArray()
        for edge in edges(model, grads) {
            // One edge a line: readable, and easy to grep.
            w.beginObject(singleLine: true)
            w.key("from"); w.value(edge.from)
            w.key("to"); w.value(edge.to)
            w.key("slot"); w.value(edge.slot)
            w.key("grad"); w.tensor(edge.grad)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes + [UInt8(ascii: "\n")]
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
        let nodes = graph.nodes
        for n in nodes.indices where !nodes[n].isLeaf {
            for (slot, v) in nodes[n].inputs.enumerated() {
                let from = graph.name(v)
                guard !from.isEmpty, let g = grads.edge(node: n, slot: slot) else { continue }
                if let call = nodes[n].annotations[Annotation.portOf], let port = nodes[n].annotations[Annotation.portSlot].flatMap(Int.init) {
                    out.append(Edge(from: from, to: call, slot: port, grad: g, node: n, graphSlot: slot))
                } else {
                    out.append(Edge(from: from, to: nodes[n].names[0], slot: slot, grad: g, node: n, graphSlot: slot))
                }
            }
        }
        return out
    }
}

extension JSONWriter {
    public mutating func tensor(_ t: Tensor) { tensor(t.data, shape: t.shape) }
}
