import Graphviz

/// gradviz's own layered (Sugiyama-style) layout, for drawings too large for dot.
///
/// Graphviz measures every node and label (`Graph.measure`); this places them; Graphviz
/// then renders at those places (`Graph.place`). Every step is linear or close to it, with
/// a fixed number of passes, and depends only on the input order, so the same graph gives
/// the same bytes:
/// 1. ranks: every node that is read right before its first consumer, the others right
///    after their inputs, with a free rank between two boxes an edge runs between; ranks
///    are doubled so every edge crosses an odd layer that holds its labels;
/// 2. a dummy item per layer an edge crosses (its label item in the layer before its
///    head), and placeholders that keep every cluster a box;
/// 3. order within layers: barycentre sweeps (`Ordering.swift`), each layer sorted so a
///    cluster's items are contiguous and sibling clusters keep one order everywhere;
/// 4. positions within layers: weighted least squares towards the neighbours' lines,
///    sweep by sweep, the heaviest keeping its place where items crowd, then one pass
///    that opens room for cluster boxes (`Coordinates.swift`);
/// 5. a long strip cut into rows, as text into lines (`Rows.swift`);
/// 6. splines through the dummies, labels beside their edge, cluster boxes (`Routes.swift`).
///
/// Edges between the same two nodes (a value and its gradient) run side by side as one
/// bundle, their labels stacked beside them. Coordinates are computed along the rank axis
/// (x left to right, or y top to bottom) and the order axis, y pointing down, and turned
/// into Graphviz's points (y up) at the end.
struct LayeredLayout {
    struct Spacing {
        /// Between neighbours in a layer, and between layers.
        var nodeGap = 14.0
        var layerGap = 18.0
        var maxBendRoom = 40.0
        /// Between the lines of a bundle, and between a bundle and its labels.
        var lineGap = 6.0
        var labelGap = 2.0
        /// Inside a cluster box, around its content.
        var clusterMargin = 8.0
        /// A strip longer than this, and than `wrapAspect` times its thickness, is wrapped
        /// into rows (`Rows.swift`) that are about `rowAspect` times as long as all the
        /// rows together are thick, `rowGap` apart (plus the channel for the lines).
        var wrapLength = 3_000.0
        var wrapAspect = 3.0
        var rowAspect = 1.0
        var rowGap = 24.0
    }

    let m: Measurement
    let topToBottom: Bool
    /// Right to left, or bottom to top: the rank axis drawn the other way.
    let reversed: Bool
    let spacing: Spacing

    // Items: real nodes first (the measurement's indices), then dummies and placeholders.
    var layer: [Int32] = []
    /// Extents along the order axis and the rank axis.
    var orderExtent: [Double] = []
    var rankExtent: [Double] = []
    var cluster: [Int32] = []           // innermost cluster, -1 for none
    /// Where the lines through an item run, from its centre along the order axis: 0, but
    /// a label item's lines run along its near side, its labels beside them.
    var lineOffset: [Double] = []
    /// The heaviest `weight` of the edges through each item (or at a node).
    var priority: [Double] = []
    /// Bundles: edges between the same pair, in the direction of the layers.
    var bundles: [Bundle] = []
    /// Segments between items of adjacent layers, as adjacency lists (CSR) both ways.
    var upStart: [Int32] = [], up: [Int32] = [], upWeight: [Double] = []
    var downStart: [Int32] = [], down: [Int32] = [], downWeight: [Double] = []
    /// Items of each layer in order, and each item's index there.
    var layers: [[Int32]] = []
    var position: [Int32] = []
    /// Coordinates: item centres along the order axis; layer starts and thicknesses
    /// along the rank axis.
    var coordinate: [Double] = []
    var layerStart: [Double] = []
    var layerThickness: [Double] = []
    // Clusters: parent, depth, the chain from the outermost down to each cluster.
    var clusterParent: [Int32] = []
    var clusterChain: [[Int32]] = []
    /// Each cluster box's sides along the order axis, once the boxes are opened.
    var boxSides: [(low: Double, high: Double)]?

    struct Bundle {
        var tail: Int32
        var head: Int32
        /// Edges (measurement indices), and whether they run against the layers (an edge
        /// reversed to break a cycle).
        var edges: [Int32]
        var reversed: Bool
        /// The items the bundle runs through, from tail to head's layer minus one.
        var dummies: [Int32] = []
        /// The dummy that carries the labels (the last one), or -1.
        var labelItem: Int32 = -1
        var band: Double = 0
    }

    init(_ m: Measurement, topToBottom: Bool, reversed: Bool = false, spacing: Spacing = Spacing()) {
        self.m = m
        self.topToBottom = topToBottom
        self.reversed = reversed
        self.spacing = spacing
    }

    /// The whole layout in a Graphviz `rankdir` (LR, RL, TB or BT).
    static func place(_ m: Measurement, rankdir: String) -> Placement {
        var layout = LayeredLayout(m, topToBottom: rankdir == "TB" || rankdir == "BT", reversed: rankdir == "RL" || rankdir == "BT")
        layout.rankAndBuild()
        layout.order(sweeps: layout.layer.count > 400_000 ? 4 : 8)
        layout.assignCoordinates()
        return layout.placement()
    }

    // MARK: Ranks

    /// Ranks of the real nodes: a topological order (creation order among the ready
    /// nodes; an edge that closes a cycle is reversed), the longest path from the
    /// sources for the nodes no one reads, and every other node as late as its consumers
    /// allow. An edge spans at least its `length` (1 when not given).
    static func ranks(nodeCount n: Int, edges: [(tail: Int, head: Int)], length: [Int]? = nil) -> (rank: [Int], reversedEdge: [Bool]) {
        var inDegree = [Int](repeating: 0, count: n)
        var outStart = [Int](repeating: 0, count: n + 1)
        for e in edges where e.tail != e.head {
            inDegree[e.head] += 1
            outStart[e.tail + 1] += 1
        }
        for i in 0..<n { outStart[i + 1] += outStart[i] }
        var fill = outStart
        var outEdges = [Int](repeating: 0, count: edges.count)
        for (k, e) in edges.enumerated() where e.tail != e.head {
            outEdges[fill[e.tail]] = k
            fill[e.tail] += 1
        }
        // Kahn's algorithm; when nothing is ready, the first unplaced node breaks the cycle.
        var order = [Int](), placed = [Bool](repeating: false, count: n)
        order.reserveCapacity(n)
        var ready = [Int]()
        var next = 0
        for i in 0..<n where inDegree[i] == 0 { ready.append(i) }
        var readyHead = 0
        while order.count < n {
            if readyHead == ready.count {
                while placed[next] { next += 1 }
                ready.append(next)
            }
            let v = ready[readyHead]
            readyHead += 1
            if placed[v] { continue }
            placed[v] = true
            order.append(v)
            for k in outStart[v]..<outStart[v + 1] {
                let h = edges[outEdges[k]].head
                inDegree[h] -= 1
                if inDegree[h] == 0 && !placed[h] { ready.append(h) }
            }
        }
        var place = [Int](repeating: 0, count: n)
        for (i, v) in order.enumerated() { place[v] = i }
        let reversed = edges.map { place[$0.tail] > place[$0.head] }
        // First the longest path from the sources; that is where a node no one reads (an
        // output, a value left unused) stays, right after its inputs.
        var succs = [[(node: Int, length: Int)]](repeating: [], count: n)
        var preds = [[(node: Int, length: Int)]](repeating: [], count: n)
        for (k, e) in edges.enumerated() where e.tail != e.head {
            let (a, b) = reversed[k] ? (e.head, e.tail) : (e.tail, e.head)
            let l = length?[k] ?? 1
            succs[a].append((b, l))
            preds[b].append((a, l))
        }
        var rank = [Int](repeating: 0, count: n)
        for v in order { for p in preds[v] { rank[v] = max(rank[v], rank[p.node] + p.length) } }
        // Then every node that is read, from the outputs back, as late as its consumers
        // allow: right before the first. A source (an input, the copy of a shared value)
        // so goes right before its first use, and so does what is computed from sources
        // alone (U·x_t of an unrolled RNN; a chain that starts at the copy of a value
        // computed far down the graph, which the longest path put at the far left,
        // thousands of ranks from its consumers).
        for v in order.reversed() where !succs[v].isEmpty {
            var first = Int.max
            for s in succs[v] { first = min(first, rank[s.node] - s.length) }
            rank[v] = first
        }
        let low = rank.min() ?? 0
        return (rank.map { $0 - low }, reversed)
    }

    /// What dot would lay out: the nodes plus a virtual node for every rank an edge
    /// crosses (estimated with these ranks; dot's own are at most this long in all).
    static func dotWork(nodeCount: Int, edges: [(tail: Int, head: Int)]) -> Int {
        let (rank, _) = ranks(nodeCount: nodeCount, edges: edges)
        var work = nodeCount
        for e in edges { work += max(0, abs(rank[e.head] - rank[e.tail]) - 1) }
        return work
    }

    // MARK: Items

    mutating func rankAndBuild() {
        let n = m.nodes.count
        for c in m.clusters { clusterParent.append(Int32(c.parent ?? -1)) }
        for c in m.clusters.indices {
            var chain: [Int32] = []
            var k = Int32(c)
            while k >= 0 { chain.append(k); k = clusterParent[Int(k)] }
            clusterChain.append(chain.reversed())
        }
        // An edge that leaves one box and enters another (the state from one step of an
        // unrolled RNN into the next) spans two ranks: the rank between the boxes holds
        // what else the second box reads (its input x_t, the copies of the weights), right
        // before it. Sharing the first box's last rank instead, they would stand beside
        // that whole box, and each box would shift sideways from the one before.
        let length = m.edges.map { e -> Int in
            guard let t = m.nodes[e.tail].cluster, let h = m.nodes[e.head].cluster else { return 1 }
            return clusterChain[t].contains(Int32(h)) || clusterChain[h].contains(Int32(t)) ? 1 : 2
        }
        let (rank, reversedEdge) = LayeredLayout.ranks(nodeCount: n, edges: m.edges.map { ($0.tail, $0.head) }, length: length)
        for (i, node) in m.nodes.enumerated() {
            layer.append(Int32(2 * rank[i]))
            let size = node.size
            orderExtent.append(topToBottom ? size.width : size.height)
            rankExtent.append(topToBottom ? size.height : size.width)
            cluster.append(Int32(node.cluster ?? -1))
            lineOffset.append(0)
        }
        // Bundles, in the order of their first edge.
        var bundleOf: [Int64: Int] = [:]
        for (k, e) in m.edges.enumerated() where e.tail != e.head {
            let rev = reversedEdge[k]
            let (a, b) = rev ? (e.head, e.tail) : (e.tail, e.head)
            let keyValue = Int64(a) << 32 | Int64(b) << 1 | (rev ? 1 : 0)
            if let existing = bundleOf[keyValue] {
                bundles[existing].edges.append(Int32(k))
            } else {
                bundleOf[keyValue] = bundles.count
                bundles.append(Bundle(tail: Int32(a), head: Int32(b), edges: [Int32(k)], reversed: rev))
            }
        }
        // A dummy per layer crossed; the last one carries the labels.
        for b in bundles.indices {
            let from = Int(layer[Int(bundles[b].tail)]), to = Int(layer[Int(bundles[b].head)])
            let lines = Double(bundles[b].edges.count)
            let band = lines * spacing.lineGap
            bundles[b].band = band
            let home = commonCluster(cluster[Int(bundles[b].tail)], cluster[Int(bundles[b].head)])
            var labelWidth = 0.0, labelHeight = 0.0
            for k in bundles[b].edges {
                guard let l = m.edges[Int(k)].label else { continue }
                let (along, across) = topToBottom ? (l.height, l.width) : (l.width, l.height)
                labelWidth = max(labelWidth, along)
                labelHeight += across
            }
            for l in (from + 1)..<max(from + 1, to) {
                let isLabel = l == to - 1 && labelHeight > 0
                let item = addItem(layer: l, order: isLabel ? band + spacing.labelGap + labelHeight : band,
                                   rank: isLabel ? labelWidth : 0, cluster: home)
                bundles[b].dummies.append(item)
                if isLabel {
                    bundles[b].labelItem = item
                    lineOffset[Int(item)] = (band - orderExtent[Int(item)]) / 2
                }
            }
        }
        addClusterPlaceholders(realNodes: n)
        buildSegments()
        let layerCount = Int(layer.max() ?? -1) + 1
        layers = [[Int32]](repeating: [], count: layerCount)
        for i in layer.indices { layers[Int(layer[i])].append(Int32(i)) }
        position = [Int32](repeating: 0, count: layer.count)
        for l in layers { for (k, i) in l.enumerated() { position[Int(i)] = Int32(k) } }
    }

    mutating func addItem(layer l: Int, order: Double, rank: Double, cluster c: Int32) -> Int32 {
        layer.append(Int32(l))
        lineOffset.append(0)
        orderExtent.append(order)
        rankExtent.append(rank)
        cluster.append(c)
        return Int32(layer.count - 1)
    }

    /// Clusters, deepest first (then in creation order).
    var clustersInnermostFirst: [Int] {
        m.clusters.indices.sorted { (-clusterChain[$0].count, $0) < (-clusterChain[$1].count, $1) }
    }

    /// The innermost cluster holding both (-1 for the root).
    func commonCluster(_ a: Int32, _ b: Int32) -> Int32 {
        guard a >= 0, b >= 0 else { return -1 }
        let ca = clusterChain[Int(a)], cb = clusterChain[Int(b)]
        var common: Int32 = -1
        for (x, y) in zip(ca, cb) { if x == y { common = x } else { break } }
        return common
    }

    /// A cluster must be a box: in every layer between its first and last, something of
    /// it must hold its place in the order, or a neighbour could be ordered into the box.
    mutating func addClusterPlaceholders(realNodes: Int) {
        guard !m.clusters.isEmpty else { return }
        var low = [Int32](repeating: .max, count: m.clusters.count)
        var high = [Int32](repeating: -1, count: m.clusters.count)
        var present = Set<Int64>()
        for i in layer.indices where cluster[i] >= 0 {
            for c in clusterChain[Int(cluster[i])] {
                low[Int(c)] = min(low[Int(c)], layer[i])
                high[Int(c)] = max(high[Int(c)], layer[i])
                present.insert(Int64(c) << 32 | Int64(layer[i]))
            }
        }
        // Innermost clusters first, so an outer cluster sees its inner placeholders.
        for c in clustersInnermostFirst {
            guard high[c] >= 0 else { continue }
            for l in low[c]...high[c] where !present.contains(Int64(c) << 32 | Int64(l)) {
                _ = addItem(layer: Int(l), order: 0, rank: 0, cluster: Int32(c))
                for a in clusterChain[c] { present.insert(Int64(a) << 32 | Int64(l)) }
            }
        }
    }

    /// dot's weights: straight long edges matter most (dummy to dummy 8, dummy to node 2,
    /// node to node 1), times the heaviest edge's `weight` in the bundle (the drawing
    /// weighs an unrolled RNN's state path above the other edges; a gradient edge that
    /// runs beside its value adds nothing).
    mutating func buildSegments() {
        let count = layer.count
        var pairs: [(Int32, Int32, Double)] = []
        let real = Int32(m.nodes.count)
        priority = [Double](repeating: 0, count: count)
        for b in bundles {
            let weight = max(0.05, b.edges.map { m.edges[Int($0)].weight }.max() ?? 1)
            var previous = b.tail
            priority[Int(b.tail)] = max(priority[Int(b.tail)], weight)
            for item in b.dummies + [b.head] {
                priority[Int(item)] = max(priority[Int(item)], weight)
                let w = (previous >= real ? 1.0 : 0) + (item >= real ? 1.0 : 0)
                pairs.append((previous, item, weight * (w == 2 ? 8 : w == 1 ? 2 : 1)))
                previous = item
            }
        }
        func csr(_ key: ((Int32, Int32, Double)) -> Int32, _ value: ((Int32, Int32, Double)) -> Int32) -> ([Int32], [Int32], [Double]) {
            var start = [Int32](repeating: 0, count: count + 1)
            for p in pairs { start[Int(key(p)) + 1] += 1 }
            for i in 0..<count { start[i + 1] += start[i] }
            var fill = start
            var list = [Int32](repeating: 0, count: pairs.count), weights = [Double](repeating: 0, count: pairs.count)
            for p in pairs {
                let k = Int(fill[Int(key(p))])
                list[k] = value(p)
                weights[k] = p.2
                fill[Int(key(p))] += 1
            }
            return (start, list, weights)
        }
        (downStart, down, downWeight) = csr({ $0.0 }, { $0.1 })
        (upStart, up, upWeight) = csr({ $0.1 }, { $0.0 })
    }
}
