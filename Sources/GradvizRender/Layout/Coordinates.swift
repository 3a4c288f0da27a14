/// Coordinates: layers along the rank axis, items along the order axis.
extension LayeredLayout {
    mutating func assignCoordinates() {
        placeWithinLayers()
        if !m.clusters.isEmpty { openClusterBoxes() }
        placeLayers()
    }

    // MARK: Rank axis

    /// Each layer as thick as its thickest item; between layers the gap plus room for the
    /// margins (and, top to bottom, the labels) of the cluster boxes that end or begin there,
    /// and more room where a line has far to go sideways (a quarter of the way, up to
    /// `maxBendRoom`), so that it bends instead of falling like a wall.
    mutating func placeLayers() {
        let count = layers.count
        layerThickness = [Double](repeating: 0, count: count)
        for i in layer.indices { layerThickness[Int(layer[i])] = max(layerThickness[Int(layer[i])], rankExtent[i]) }
        if topToBottom && !m.clusters.isEmpty {
            // Top to bottom, a cluster's label stands beside its first layer.
            let (low, _) = clusterLayerSpans()
            for c in m.clusters.indices where low[c] != .max {
                layerThickness[Int(low[c])] = max(layerThickness[Int(low[c])], m.clusters[c].label?.height ?? 0)
            }
        }
        var jump = [Double](repeating: 0, count: count)
        for i in layer.indices {
            for k in Int(downStart[i])..<Int(downStart[i + 1]) {
                jump[Int(layer[i])] = max(jump[Int(layer[i])], abs(line(Int(down[k])) - line(i)))
            }
        }
        let (before, after) = clusterProtrusions()
        layerStart = [Double](repeating: 0, count: count)
        var r = 0.0
        for l in 0..<count {
            if l > 0 { r += spacing.layerGap + min(spacing.maxBendRoom, jump[l - 1] / 4) + after[l - 1] + before[l] }
            layerStart[l] = r
            r += layerThickness[l]
        }
    }

    /// The first and last layer of each cluster (with everything inside it).
    func clusterLayerSpans() -> (low: [Int32], high: [Int32]) {
        var low = [Int32](repeating: .max, count: m.clusters.count)
        var high = [Int32](repeating: -1, count: m.clusters.count)
        for i in layer.indices where cluster[i] >= 0 {
            for c in clusterChain[Int(cluster[i])] {
                low[Int(c)] = min(low[Int(c)], layer[i])
                high[Int(c)] = max(high[Int(c)], layer[i])
            }
        }
        return (low, high)
    }

    /// How far cluster boxes reach before the first and after the last layer they hold:
    /// a margin per box, nested boxes that begin (end) in the same layer adding up.
    func clusterProtrusions() -> (before: [Double], after: [Double]) {
        var before = [Double](repeating: 0, count: layers.count), after = before
        guard !m.clusters.isEmpty else { return (before, after) }
        let (low, high) = clusterLayerSpans()
        var reachBefore = [Double](repeating: 0, count: m.clusters.count), reachAfter = reachBefore
        // Innermost first: a box reaches past the boxes inside it.
        for c in clustersInnermostFirst {
            guard high[c] >= 0 else { continue }
            reachBefore[c] += spacing.clusterMargin
            reachAfter[c] += spacing.clusterMargin
            before[Int(low[c])] = max(before[Int(low[c])], reachBefore[c])
            after[Int(high[c])] = max(after[Int(high[c])], reachAfter[c])
            let p = Int(clusterParent[c])
            if p >= 0 {
                if low[p] == low[c] { reachBefore[p] = max(reachBefore[p], reachBefore[c]) }
                if high[p] == high[c] { reachAfter[p] = max(reachAfter[p], reachAfter[c]) }
            }
        }
        return (before, after)
    }

    /// A cluster's label sits in a strip of its own along the box's first side across the
    /// ranks, which nothing of the cluster enters: left to right its top (as high as the
    /// label), top to bottom its left side (as wide as the label, beside the first layer:
    /// at the top, the lines entering the box would cross it).
    func clusterLabelAcrossRanks(_ c: Int) -> Double { (topToBottom ? m.clusters[c].label?.width : m.clusters[c].label?.height) ?? 0 }

    // MARK: Order axis

    var realCount: Int { m.nodes.count }

    /// The least distance between the centres of two neighbours in a layer.
    func separation(_ a: Int, _ b: Int) -> Double {
        let gap = a < realCount && b < realCount ? spacing.nodeGap : spacing.nodeGap / 2
        var s = (orderExtent[a] + orderExtent[b]) / 2 + gap
        if cluster[a] != cluster[b] {
            // Boxes left and entered between them: a margin each (and the label on top).
            let ca = cluster[a] >= 0 ? clusterChain[Int(cluster[a])] : []
            let cb = cluster[b] >= 0 ? clusterChain[Int(cluster[b])] : []
            var d = 0
            while d < ca.count, d < cb.count, ca[d] == cb[d] { d += 1 }
            s += Double(ca.count - d + cb.count - d) * spacing.clusterMargin
            for c in cb[d...] { s += clusterLabelAcrossRanks(Int(c)) }
        }
        return s
    }

    /// Down and up sweeps: each layer's items move to the weighted mean of their
    /// neighbours in the layer just placed, as near as the order and the separations
    /// allow (the least-squares solution, by pool-adjacent-violators).
    mutating func placeWithinLayers() {
        coordinate = [Double](repeating: 0, count: layer.count)
        for l in layers {
            var x = 0.0
            for (k, i) in l.enumerated() {
                if k > 0 { x += separation(Int(l[k - 1]), Int(i)) }
                coordinate[Int(i)] = x
            }
            let shift = x / 2
            for i in l { coordinate[Int(i)] -= shift }
        }
        let rounds = layer.count > 400_000 ? 2 : 4
        for round in 0..<rounds {
            for l in layers.indices.dropFirst() { settle(l, up: true, down: round == rounds - 1) }
            for l in layers.indices.dropLast().reversed() { settle(l, up: round == rounds - 1, down: true) }
        }
    }

    mutating func settle(_ l: Int, up useUp: Bool, down useDown: Bool) {
        let items = layers[l]
        guard !items.isEmpty else { return }
        var target = [Double](repeating: 0, count: items.count)
        var weight = target
        for (k, i32) in items.enumerated() {
            let i = Int(i32)
            var sum = 0.0, w = 0.0
            if useUp {
                for e in Int(upStart[i])..<Int(upStart[i + 1]) { sum += upWeight[e] * line(Int(up[e])); w += upWeight[e] }
            }
            if useDown {
                for e in Int(downStart[i])..<Int(downStart[i + 1]) { sum += downWeight[e] * line(Int(down[e])); w += downWeight[e] }
            }
            // An item with no neighbour that way stays where it is, weakly. (The lines
            // through a label item run along its side: that side goes to the neighbours.)
            // Where items crowd each other (lines converging on a node stand side by side
            // in the layer before it), each yields by its pull times the square of its
            // heaviest edge's weight, so the heaviest (the state path of an unrolled RNN)
            // keeps its place: by its pull alone it gave way by a fifth at every node, and
            // step after step drifted sideways (12 composite steps top to bottom, 3,968 pt
            // wide in one column; now 2,748 pt in two).
            target[k] = w > 0 ? sum / w - lineOffset[i] : coordinate[i]
            weight[k] = w > 0 ? w * priority[i] * priority[i] : 0.01
        }
        var offset = [Double](repeating: 0, count: items.count)
        for k in 1..<max(1, items.count) { offset[k] = offset[k - 1] + separation(Int(items[k - 1]), Int(items[k])) }
        let y = isotonic(zip(target, offset).map { $0 - $1 }, weight)
        for (k, i) in items.enumerated() { coordinate[Int(i)] = y[k] + offset[k] }
    }

    /// Where the lines through an item run along the order axis.
    func line(_ i: Int) -> Double { coordinate[i] + lineOffset[i] }

    /// Weighted isotonic regression: the non-decreasing sequence nearest `t` in weighted
    /// least squares (pool adjacent violators, linear).
    func isotonic(_ t: [Double], _ w: [Double]) -> [Double] {
        var mean: [Double] = [], total: [Double] = [], length: [Int] = []
        for k in t.indices {
            mean.append(t[k]); total.append(w[k]); length.append(1)
            while mean.count > 1, mean[mean.count - 2] > mean[mean.count - 1] {
                let b = mean.removeLast(), wb = total.removeLast(), lb = length.removeLast()
                let a = mean.count - 1
                let wa = total[a]
                mean[a] = (mean[a] * wa + b * wb) / (wa + wb)
                total[a] = wa + wb
                length[a] += lb
            }
        }
        var result: [Double] = []
        result.reserveCapacity(t.count)
        for (value, n) in zip(mean, length) { result.append(contentsOf: repeatElement(value, count: n)) }
        return result
    }

    // MARK: Cluster boxes

    /// Makes room for every cluster box: a box spans its layers as one rectangle, so an
    /// item outside it in any of those layers must stay clear of the box's whole extent,
    /// not only of the cluster's items in its own layer. One pass over the constraints
    /// (a DAG: sibling clusters are in one order in every layer) pushes items and box
    /// sides forward from where the sweeps put them as far as needed, never back.
    mutating func openClusterBoxes() {
        let items = layer.count
        let variables = items + 2 * m.clusters.count
        func low(_ c: Int32) -> Int { items + 2 * Int(c) }
        func high(_ c: Int32) -> Int { items + 2 * Int(c) + 1 }
        var from: [Int32] = [], to: [Int32] = [], gap: [Double] = []
        func require(_ a: Int, _ b: Int, _ g: Double) { from.append(Int32(a)); to.append(Int32(b)); gap.append(g) }
        let empty: [Int32] = []
        for l in layers {
            var open: [Int32] = []
            // The last thing placed: a variable, how far its far side is from it, and
            // whether it is a box side just opened.
            var last = -1, reach = 0.0, lastOpened: Int32 = -1
            func gapAfterLast(_ nextIsReal: Bool) -> Double {
                if lastOpened >= 0 { return spacing.clusterMargin + clusterLabelAcrossRanks(Int(lastOpened)) }
                return last < realCount && nextIsReal ? spacing.nodeGap : spacing.nodeGap / 2
            }
            for i32 in l {
                let i = Int(i32)
                let chain = cluster[i] >= 0 ? clusterChain[Int(cluster[i])] : empty
                var d = 0
                while d < open.count, d < chain.count, open[d] == chain[d] { d += 1 }
                while open.count > d {
                    let c = open.removeLast()
                    if last >= 0 { require(last, high(c), reach + (lastOpened == c ? 0 : spacing.clusterMargin)) }
                    (last, reach, lastOpened) = (high(c), 0, -1)
                }
                for c in chain[d...] {
                    if last >= 0 { require(last, low(c), reach + gapAfterLast(false)) }
                    (last, reach, lastOpened) = (low(c), 0, c)
                    open.append(c)
                }
                if last >= 0 { require(last, i, reach + gapAfterLast(i < realCount) + orderExtent[i] / 2) }
                (last, reach, lastOpened) = (i, orderExtent[i] / 2, -1)
            }
            while let c = open.popLast() {
                require(last, high(c), reach + spacing.clusterMargin)
                (last, reach, lastOpened) = (high(c), 0, -1)
            }
        }
        // Top to bottom, a box is at least as wide as its label.
        for c in m.clusters.indices {
            let width = topToBottom ? (m.clusters[c].label?.width ?? 0) : 0
            require(low(Int32(c)), high(Int32(c)), width + 2 * spacing.clusterMargin)
        }
        // Topological order of the constraints.
        var start = [Int32](repeating: 0, count: variables + 1)
        var inDegree = [Int32](repeating: 0, count: variables)
        for k in from.indices { start[Int(from[k]) + 1] += 1; inDegree[Int(to[k])] += 1 }
        for v in 0..<variables { start[v + 1] += start[v] }
        var fill = start
        var out = [Int32](repeating: 0, count: from.count)
        for k in from.indices { out[Int(fill[Int(from[k])])] = Int32(k); fill[Int(from[k])] += 1 }
        var sequence = (0..<variables).filter { inDegree[$0] == 0 }
        var head = 0
        while head < sequence.count {
            let v = sequence[head]
            head += 1
            for k in Int(start[v])..<Int(start[v + 1]) {
                let w = Int(to[Int(out[k])])
                inDegree[w] -= 1
                if inDegree[w] == 0 { sequence.append(w) }
            }
        }
        // Every variable is reached unless the orders contradict each other, which the
        // sorting rules out; if it ever happened, the sweeps' coordinates are kept.
        guard sequence.count == variables else { return }
        // A box's near side starts as close to what it holds as it can (its far side
        // comes from its content alone, so it does not count here: unset, it would put
        // the near side at the origin, and the box would reach from there to its
        // content); then everything is pushed forward along the constraints (a longest
        // path), items from the sweeps' places.
        var value = coordinate + [Double](repeating: -.infinity, count: 2 * m.clusters.count)
        for v in sequence.reversed() where v >= items && (v - items) % 2 == 0 {
            var tightest = Double.infinity
            for k in Int(start[v])..<Int(start[v + 1]) {
                let e = Int(out[k])
                let w = value[Int(to[e])]
                if w.isFinite { tightest = min(tightest, w - gap[e]) }
            }
            value[v] = tightest.isFinite ? tightest : 0
        }
        for v in sequence {
            for k in Int(start[v])..<Int(start[v + 1]) {
                let e = Int(out[k]), w = Int(to[e])
                value[w] = max(value[w], value[v] + gap[e])
            }
        }
        coordinate = Array(value[0..<items])
        boxSides = (0..<m.clusters.count).map { (value[low(Int32($0))], value[high(Int32($0))]) }
    }
}
