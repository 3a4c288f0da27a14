import CGraphviz
import CGraphvizShim
import Foundation

/// A width and a height in points.
public struct Size: Hashable, Sendable {
    public var width: Double
    public var height: Double

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }
}

/// What a layout of one's own needs to know of a graph: the size Graphviz gives every
/// node and label (text measured with the installed fonts, HTML-like tables sized), which
/// edges join which nodes, and how clusters nest. Indices follow creation order.
public struct Measurement {
    public struct Node: Sendable {
        public var name: String
        public var size: Size
        /// The innermost cluster the node belongs to (an index into `clusters`).
        public var cluster: Int?
        public var xlabel: Size?
    }

    public struct Edge: Sendable {
        public var tail: Int
        public var head: Int
        /// The edge's `label`, else its `xlabel`.
        public var label: Size?
        /// Arrowheads (from `dir`) and their length (10 points × `arrowsize`).
        public var arrowAtHead: Bool
        public var arrowAtTail: Bool
        public var arrowLength: Double
        /// How much the edge wants to be short and straight (`weight`, default 1).
        public var weight: Double
    }

    public struct Cluster: Sendable {
        public var name: String
        public var parent: Int?
        public var label: Size?
    }

    public var nodes: [Node] = []
    public var edges: [Edge] = []
    public var clusters: [Cluster] = []
    /// The root graph's label (title), if any.
    public var label: Size?

    // The objects themselves, to place them later. Only this module sees them.
    var nodePointers: [UnsafeMutablePointer<Agnode_t>] = []
    var edgePointers: [UnsafeMutablePointer<Agedge_t>] = []
    var edgeLabelIsX: [Bool] = []
    var clusterPointers: [UnsafeMutablePointer<Agraph_t>] = []
}

/// Where everything of a `Measurement` goes, in points with y growing upwards.
public struct Placement: Sendable {
    public struct Edge: Sendable {
        /// A cubic B-spline as Graphviz writes it: 3n + 1 control points.
        public var points: [Point]
        /// The tips of the arrowheads, when there are arrows (the spline stops short of them).
        public var startArrowTip: Point?
        public var endArrowTip: Point?
        /// The centre of the edge's label.
        public var label: Point?

        public init(points: [Point], startArrowTip: Point?, endArrowTip: Point?, label: Point?) {
            self.points = points
            self.startArrowTip = startArrowTip
            self.endArrowTip = endArrowTip
            self.label = label
        }
    }

    public var nodes: [Point]
    public var edges: [Edge]
    public var clusters: [Box]
    /// The centre of each cluster's label.
    public var clusterLabels: [Point?]

    public init(nodes: [Point], edges: [Edge], clusters: [Box], clusterLabels: [Point?]) {
        self.nodes = nodes
        self.edges = edges
        self.clusters = clusters
        self.clusterLabels = clusterLabels
    }
}

extension Graph {
    /// Sizes every node and label the way a layout would, without placing anything:
    /// Graphviz's `nop2` engine with every node at the origin and no edge routing (which
    /// is what costs time). Call `place` next; until then the graph has no layout.
    public func measure() throws -> Measurement {
        try Runtime.shared.locked {
            let splines = attributeLocked("splines")
            setRootLocked("splines", "none")
            _ = withCString("pos") { name in withCString("0,0") { agattr(root, Int32(AGNODE), name, $0) } }
            defer { setRootLocked("splines", splines ?? "") }
            // nop2 makes a cluster's label (and so its size) only for a cluster with a
            // box: give every cluster an empty one, replaced by `place`.
            boxClustersLocked(root)
            // Only sizes are read from this pass: its text shapes would never be drawn.
            try layoutLocked(engine: "nop2", keepingTextShapes: false)
            let measurement = measurementLocked()
            // The sizes are all read: the layout's records and labels (a third of the
            // memory of a large drawing) go now, before the caller's layout needs room.
            freeLayoutLocked()
            gvshim_release_free_memory()
            return measurement
        }
    }

    /// Lays the graph out at the given places: Graphviz keeps every node, edge, label and
    /// cluster where it is told (`nop2`, i.e. `neato -n2`, with every edge's spline given,
    /// so nothing is routed) and can then render. `measurement` must come from `measure`
    /// on this graph, unchanged since. Both are consumed: once Graphviz has the places as
    /// text they are freed, before Graphviz reads them (which for a large drawing is the
    /// moment memory peaks).
    public func place(_ placement: consuming Placement, measurement m: consuming Measurement) throws {
        precondition(placement.nodes.count == m.nodes.count && placement.edges.count == m.edges.count
                     && placement.clusters.count == m.clusters.count, "placement does not fit the measurement")
        Runtime.shared.locked { writePositionsLocked(placement, m) }
        _ = consume placement
        _ = consume m
        try Runtime.shared.locked {
            gvshim_release_free_memory()
            // Every edge has its spline: nop2 routes none (so the splines setting cannot
            // make it hang) and only reads them.
            setRootLocked("splines", "spline")
            try layoutLocked(engine: "nop2")
            requestedEngine = "nop2"
        }
    }

    /// Every place as Graphviz's attributes (`pos`, `lp`, `xlp`, `bb`), the layout freed.
    private func writePositionsLocked(_ placement: Placement, _ m: Measurement) {
        freeLayoutLocked()
        var text = ""
        for (i, node) in m.nodePointers.enumerated() {
            text.removeAll(keepingCapacity: true)
            appendPoint(placement.nodes[i], to: &text)
            setLocked(UnsafeMutableRawPointer(node), "pos", text)
        }
        for (i, edge) in m.edgePointers.enumerated() {
            let e = placement.edges[i]
            text.removeAll(keepingCapacity: true)
            if let s = e.startArrowTip { text += "s,"; appendPoint(s, to: &text); text += " " }
            if let t = e.endArrowTip { text += "e,"; appendPoint(t, to: &text); text += " " }
            for (k, p) in e.points.enumerated() {
                if k > 0 { text += " " }
                appendPoint(p, to: &text)
            }
            setLocked(UnsafeMutableRawPointer(edge), "pos", text)
            if let l = e.label {
                text.removeAll(keepingCapacity: true)
                appendPoint(l, to: &text)
                setLocked(UnsafeMutableRawPointer(edge), m.edgeLabelIsX[i] ? "xlp" : "lp", text)
            }
        }
        for (i, cluster) in m.clusterPointers.enumerated() {
            let b = placement.clusters[i]
            text.removeAll(keepingCapacity: true)
            appendPoint(b.lowerLeft, to: &text)
            text += ","
            appendPoint(b.upperRight, to: &text)
            setLocked(UnsafeMutableRawPointer(cluster), "bb", text)
            if let l = placement.clusterLabels[i] {
                text.removeAll(keepingCapacity: true)
                appendPoint(l, to: &text)
                setLocked(UnsafeMutableRawPointer(cluster), "lp", text)
            }
        }
    }

    /// The number of nodes and the ends of every edge (node indices in creation order),
    /// in the order `measure` lists them: enough to judge a layout's cost before any.
    public func edgeEnds() -> (nodeCount: Int, edges: [(tail: Int, head: Int)]) {
        Runtime.shared.locked {
            var index: [UnsafeMutablePointer<Agnode_t>: Int] = [:]
            var node = agfstnode(root)
            while let n = node {
                index[n] = index.count
                node = agnxtnode(root, n)
            }
            var edges: [(tail: Int, head: Int)] = []
            forEachEdgeLocked { e in edges.append((index[gvshim_tail(e)]!, index[gvshim_head(e)]!)) }
            return (index.count, edges)
        }
    }

    // MARK: Call with the lock held

    func attributeLocked(_ name: String) -> String? {
        withCString(name) { agget(root, $0) }.map { String(cString: $0) }
    }

    func setRootLocked(_ name: String, _ value: String) {
        withCString(name) { name in withCString(value) { _ = agattr(root, Int32(AGRAPH), name, $0) } }
    }

    /// Every edge, by tail in creation order, then by the tail's out-edges: the order
    /// `measure` lists them in.
    func forEachEdgeLocked(_ body: (UnsafeMutablePointer<Agedge_t>) -> Void) {
        var node = agfstnode(root)
        while let n = node {
            var edge = agfstout(root, n)
            while let e = edge {
                body(e)
                edge = agnxtout(root, e)
            }
            node = agnxtnode(root, n)
        }
    }

    /// Every cluster below `graph`, depth first in creation order (`measure`'s order).
    func forEachClusterLocked(below graph: UnsafeMutablePointer<Agraph_t>, _ body: (UnsafeMutablePointer<Agraph_t>) -> Void) {
        var sub = agfstsubg(graph)
        while let s = sub {
            if String(cString: agnameof(s)).hasPrefix("cluster") { body(s) }
            forEachClusterLocked(below: s, body)
            sub = agnxtsubg(s)
        }
    }

    private func boxClustersLocked(_ graph: UnsafeMutablePointer<Agraph_t>) {
        forEachClusterLocked(below: graph) { setLocked(UnsafeMutableRawPointer($0), "bb", "0,0,0,0") }
    }

    private func setLocked(_ object: UnsafeMutableRawPointer, _ name: String, _ value: String) {
        withCString(name) { name in withCString(value) { value in withCString("") { _ = agsafeset(object, name, value, $0) } } }
    }

    private func measurementLocked() -> Measurement {
        var m = Measurement()
        var index: [UnsafeMutablePointer<Agnode_t>: Int] = [:]
        var node = agfstnode(root)
        while let n = node {
            index[n] = m.nodes.count
            var w = 0.0, h = 0.0
            _ = gvshim_node_size(n, &w, &h)
            var xw = 0.0, xh = 0.0
            let xlabel = gvshim_node_xlabel_size(n, &xw, &xh) != 0 ? Size(width: xw, height: xh) : nil
            m.nodes.append(.init(name: String(cString: agnameof(n)), size: Size(width: w, height: h), cluster: nil, xlabel: xlabel))
            m.nodePointers.append(n)
            node = agnxtnode(root, n)
        }
        forEachEdgeLocked { e in
                var w = 0.0, h = 0.0
                var label: Size?
                var isX = false
                if gvshim_edge_label_size(e, 0, &w, &h) != 0 {
                    label = Size(width: w, height: h)
                } else if gvshim_edge_label_size(e, 1, &w, &h) != 0 {
                    label = Size(width: w, height: h)
                    isX = true
                }
                let dir = edgeAttribute(e, "dir") ?? "forward"
                let arrowSize = Double(edgeAttribute(e, "arrowsize") ?? "") ?? 1
                let weight = Double(edgeAttribute(e, "weight") ?? "") ?? 1
                m.edges.append(.init(tail: index[gvshim_tail(e)]!, head: index[gvshim_head(e)]!, label: label,
                                     arrowAtHead: dir == "forward" || dir == "both" || dir.isEmpty,
                                     arrowAtTail: dir == "back" || dir == "both", arrowLength: 10 * arrowSize,
                                     weight: max(0, weight)))
                m.edgePointers.append(e)
                m.edgeLabelIsX.append(isX)
        }
        collectClusters(of: root, parent: nil, into: &m, index: index)
        var w = 0.0, h = 0.0
        if gvshim_graph_label_size(root, &w, &h) != 0 { m.label = Size(width: w, height: h) }
        return m
    }

    private func edgeAttribute(_ e: UnsafeMutablePointer<Agedge_t>, _ name: String) -> String? {
        withCString(name) { agget(UnsafeMutableRawPointer(e), $0) }.map { String(cString: $0) }
    }

    /// Clusters depth first in creation order; a node's cluster is the innermost one.
    private func collectClusters(of graph: UnsafeMutablePointer<Agraph_t>, parent: Int?, into m: inout Measurement,
                                 index: [UnsafeMutablePointer<Agnode_t>: Int]) {
        var sub = agfstsubg(graph)
        while let s = sub {
            let name = String(cString: agnameof(s))
            var next = parent
            if name.hasPrefix("cluster") {
                let c = m.clusters.count
                var w = 0.0, h = 0.0
                let label = gvshim_graph_label_size(s, &w, &h) != 0 ? Size(width: w, height: h) : nil
                m.clusters.append(.init(name: name, parent: parent, label: label))
                m.clusterPointers.append(s)
                var node = agfstnode(s)
                while let n = node {
                    m.nodes[index[n]!].cluster = c
                    node = agnxtnode(s, n)
                }
                next = c
            }
            collectClusters(of: s, parent: next, into: &m, index: index)
            sub = agnxtsubg(s)
        }
    }
}

/// Appends "x,y" with at most two decimals (Graphviz reads points; hundredths are finer
/// than any renderer draws). Faster than String(format:) by far, which matters for the
/// millions of spline points of a large drawing.
func appendPoint(_ p: Point, to text: inout String) {
    appendNumber(p.x, to: &text)
    text += ","
    appendNumber(p.y, to: &text)
}

func appendNumber(_ value: Double, to text: inout String) {
    guard value.isFinite else { text += "0"; return }
    var hundredths = Int((value * 100).rounded())
    if hundredths < 0 { text += "-"; hundredths = -hundredths }
    text += String(hundredths / 100)
    let fraction = hundredths % 100
    if fraction != 0 {
        text += fraction < 10 ? ".0" : "."
        text += String(fraction % 10 == 0 ? fraction / 10 : fraction)
    }
}
