import Dispatch
import GradvizCore

/// The result format of the spec: values, grads and per-edge gradient contributions.
public enum ResultJSON {
    /// Serializes a computed model. Non-finite numbers, which JSON cannot hold, are written
    /// as the strings "NaN", "Infinity" and "-Infinity".
    public static func write(_ model: Model, _ grads: Gradients, style: JSONWriter.Style = .pretty) -> [UInt8] {
        prepare(model, style: style).write(grads)
    }

    /// `concurrentFrom`: the node count from which parts are written concurrently.
    static func write(_ model: Model, _ grads: Gradients, style: JSONWriter.Style, concurrentFrom: Int) -> [UInt8] {
        Prepared(model, style: style, concurrentFrom: concurrentFrom).write(grads)
    }

    /// Starts writing what needs no gradients (every name encoded once, the "values"
    /// section); `Prepared.write(_:)` adds the gradients. For a large model the start runs
    /// on another core, so it is done while this one runs the backward pass.
    public static func prepare(_ model: Model, style: JSONWriter.Style = .pretty) -> Prepared {
        Prepared(model, style: style, concurrentFrom: 10_000)
    }

    /// A result file being written. A large one is written in parts at once (values while
    /// the backward pass runs; then grads and each half of the edges), one per core:
    /// formatting numbers is most of the work, and the parts are spliced in order, so the
    /// bytes are the same as written in one go.
    public final class Prepared: @unchecked Sendable {
        let model: Model
        let concurrent: Bool
        private var names = NameTable()
        /// The document up to the sections: `{ "gradviz": 1, "outputs": [...]`.
        private var head: JSONWriter
        private var values: JSONWriter?
        private let started = DispatchGroup()

        init(_ model: Model, style: JSONWriter.Style, concurrentFrom: Int) {
            self.model = model
            concurrent = model.graph.nodes.count >= concurrentFrom
            head = JSONWriter(style: style)
            if concurrent {
                started.enter()
                DispatchQueue.global(qos: .userInitiated).async {
                    self.start()
                    self.started.leave()
                }
            } else {
                start()
            }
        }

        private func start() {
            let graph = model.graph
            names = NameTable(graph)
            head.beginObject()
            head.key("gradviz"); head.value(1)
            head.key("outputs")
            head.beginArray(singleLine: true)
            for v in model.outputs { head.value(names.strings, names[v]) }
            head.endArray()
            var p = JSONWriter(partOf: head, capacity: 40 * graph.nodes.count)
            p.key("values")
            p.beginObject()
            for (_, v) in model.namedValues { p.key(names.strings, names[v]); p.tensor(graph.value(v)) }
            p.endObject()
            values = p
        }

        /// The whole file, with the gradients of `grads` (which must come from this model).
        public func write(_ grads: Gradients) -> [UInt8] {
            started.wait()
            let graph = model.graph, names = names, model = model
            // Where the edges split in half, and the writer's state inside the edges array.
            let split = graph.nodes.withUnsafeBufferPointer { edgeSplit($0, grads) }
            var edgesTemplate = JSONWriter(partOf: head, after: 2)
            edgesTemplate.key("edges")
            edgesTemplate.beginArray()
            let keys = JSONWriter.EncodedStrings(["from", "to", "slot", "grad"])

            let parts = UnsafeMutableBufferPointer<JSONWriter>.allocate(capacity: 3)
            defer { parts.deallocate() }
            let template = head
            let work = { (part: Int) in
                var p: JSONWriter
                if part == 0 {
                    p = JSONWriter(partOf: template, after: 1, capacity: 40 * graph.nodes.count)
                    p.key("grads")
                    p.beginObject()
                    for (_, v) in model.namedValues {
                        if let d = grads.scalar(v) { p.key(names.strings, names[v]); p.value(d) }
                        else if let g = grads[v] { p.key(names.strings, names[v]); p.tensor(g) }
                    }
                    p.endObject()
                } else {
                    let half = part == 1 ? 0..<split.node : split.node..<graph.nodes.count
                    p = JSONWriter(partOf: edgesTemplate, after: part == 1 ? 0 : split.edgesBefore, capacity: 35 * grads.edgeCount)
                    forEachEdge(model, grads, nodes: half) { edge in
                        // One edge a line: readable, and easy to grep.
                        p.beginObject(singleLine: true)
                        p.key(keys, 0); p.value(names.strings, names[edge.from])
                        p.key(keys, 1)
                        if let port = edge.port { p.value(port.call) } else { p.value(names.strings, names[ValueID(node: edge.node)]) }
                        p.key(keys, 2); p.value(edge.slot)
                        p.key(keys, 3)
                        // A scalar gradient is written as the number it is stored as (no Tensor made).
                        if let d = grads.scalarEdge(node: edge.node, slot: edge.graphSlot) { p.value(d) }
                        else { p.tensor(grads.edge(node: edge.node, slot: edge.graphSlot)!) }
                        p.endObject()
                    }
                }
                (parts.baseAddress! + part).initialize(to: p)
            }
            if concurrent {
                DispatchQueue.concurrentPerform(iterations: 3, execute: work)
            } else {
                for part in 0..<3 { work(part) }
            }
            defer { _ = parts.baseAddress!.deinitialize(count: 3) }

            var w = head
            w.reserveCapacity(w.bytes.count + values!.bytes.count + parts.reduce(0) { $0 + $1.bytes.count } + 64)
            w.append(part: values!)
            w.append(part: parts[0])
            w.key("edges")
            w.beginArray()
            w.append(part: parts[1])
            w.append(part: parts[2])
            w.endArray()
            w.endObject()
            return w.fileBytes()
        }
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
        forEachEdge(model, grads, nodes: graph.nodes.indices) { e in
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

    // These walk the graph through `nodes.withUnsafeBufferPointer`: `nb[n].field` reads in
    // place, where `graph.nodes[n]` copies the node and retains each of its fields.

    /// Whether the result reports an edge: one whose value has a name and along which a
    /// gradient flowed.
    static func isReported(_ nb: UnsafeBufferPointer<Graph.Node>, _ grads: Gradients, node n: Int, slot: Int) -> Bool {
        let from = nb[n].inputs[slot]
        return !nb[from.node].names[from.output].isEmpty && grads.hasEdge(node: n, slot: slot)
    }

    static func forEachEdge(_ model: Model, _ grads: Gradients, nodes range: Range<Int>, _ body: (EdgeRef) -> Void) {
        model.graph.nodes.withUnsafeBufferPointer { nb in
            // Leaves have no inputs, so they give no edges. (Not asked by `isLeaf`: that call
            // copies the node.)
            for n in range where !nb[n].inputs.isEmpty {
                // Only the identity nodes of composite calls carry these; most nodes have no
                // annotations at all, so the dictionary is not looked into.
                var port: (call: String, slot: Int)?
                if !nb[n].annotations.isEmpty, let call = nb[n].annotations[Annotation.portOf],
                   let slot = nb[n].annotations[Annotation.portSlot].flatMap(Int.init) {
                    port = (call, slot)
                }
                for slot in nb[n].inputs.indices {
                    guard isReported(nb, grads, node: n, slot: slot) else { continue }
                    body(EdgeRef(from: nb[n].inputs[slot], node: n, graphSlot: slot, port: port))
                }
            }
        }
    }

    /// Where the edges are cut in two: the node where half the graph's input slots have
    /// passed (any cut gives the same bytes), and how many reported edges come before it.
    static func edgeSplit(_ nb: UnsafeBufferPointer<Graph.Node>, _ grads: Gradients) -> (node: Int, edgesBefore: Int) {
        var slots = 0, before = 0
        for n in nb.indices {
            if 2 * slots >= grads.edgeCount { return (n, before) }
            for slot in nb[n].inputs.indices {
                slots += 1
                if isReported(nb, grads, node: n, slot: slot) { before += 1 }
            }
        }
        return (nb.count, before)
    }

    /// Every value's name, encoded once.
    struct NameTable {
        var strings = JSONWriter.EncodedStrings()
        var first: [Int] = []

        init() {}

        init(_ graph: Graph) {
            first.reserveCapacity(graph.nodes.count)
            graph.nodes.withUnsafeBufferPointer { nb in
                for n in nb.indices {
                    first.append(strings.count)
                    for name in nb[n].names { strings.append(name) }
                }
            }
        }

        subscript(v: ValueID) -> Int { first[v.node] + v.output }
    }
}

extension JSONWriter {
    public mutating func tensor(_ t: Tensor) { tensor(t.data, shape: t.shape) }
}
