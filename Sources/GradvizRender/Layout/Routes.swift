import Graphviz

/// From coordinates to Graphviz's points: node centres, edge splines and labels, boxes.
extension LayeredLayout {
    /// A point along the rank axis (r) and the order axis (o, pointing down).
    struct RO {
        var r: Double
        var o: Double
    }

    func placement() -> Placement {
        let rows = wrapIntoRows()
        let boxes = clusterBoxes()
        let (boxLayer, _) = clusterLayerSpans()
        func boxRow(_ c: Int) -> Int { boxLayer.isEmpty || boxLayer[c] == .max ? 0 : rows.row(ofLayer: Int(boxLayer[c])) }
        func at(_ p: RO, _ row: Int) -> RO { RO(r: p.r - rows.shiftR[row], o: p.o + rows.shiftO[row]) }
        // Graphviz's y grows upwards: flip the downward axis about the drawing's extent.
        var lowO = Double.infinity, highO = -Double.infinity, rankEnd = 0.0
        for i in layer.indices {
            let l = Int(layer[i]), k = rows.row(ofLayer: l)
            lowO = min(lowO, coordinate[i] - orderExtent[i] / 2 + rows.shiftO[k])
            highO = max(highO, coordinate[i] + orderExtent[i] / 2 + rows.shiftO[k])
            rankEnd = max(rankEnd, layerStart[l] + layerThickness[l] - rows.shiftR[k])
        }
        for (c, b) in boxes.enumerated() {
            let k = boxRow(c)
            lowO = min(lowO, b.o0 + rows.shiftO[k]); highO = max(highO, b.o1 + rows.shiftO[k])
            rankEnd = max(rankEnd, b.r1 - rows.shiftR[k])
        }
        for (k, t) in rows.turnRight.enumerated() { rankEnd = max(rankEnd, t + Double(rows.track[k].count + 1) * trackGap) }
        if !lowO.isFinite { lowO = 0; highO = 0 }
        let reversed = self.reversed
        func point(_ p: RO) -> Point {
            let r = reversed ? rankEnd - p.r : p.r
            return topToBottom ? Point(x: p.o - lowO, y: rankEnd - r) : Point(x: r, y: highO - p.o)
        }
        let nodes = (0..<realCount).map { point(at(center($0), rows.row(ofLayer: Int(layer[$0])))) }
        var edges = [Placement.Edge](repeating: Placement.Edge(points: [], startArrowTip: nil, endArrowTip: nil, label: nil),
                                     count: m.edges.count)
        for (bi, b) in bundles.enumerated() { route(bi, b, rows: rows, into: &edges, point) }
        for (k, e) in m.edges.enumerated() where e.tail == e.head { edges[k] = loop(k, rows: rows, point) }
        var clusters: [Box] = [], labels: [Point?] = []
        for (c, b) in boxes.enumerated() {
            let a = point(at(RO(r: b.r0, o: b.o0), boxRow(c))), z = point(at(RO(r: b.r1, o: b.o1), boxRow(c)))
            clusters.append(Box(lowerLeft: Point(x: min(a.x, z.x), y: min(a.y, z.y)), upperRight: Point(x: max(a.x, z.x), y: max(a.y, z.y))))
            // The label in its strip (`clusterLabelAcrossRanks`), at the start of the box.
            if let size = m.clusters[c].label {
                let margin = spacing.clusterMargin
                let o = b.o0 + margin / 2 + (topToBottom ? size.width : size.height) / 2
                let r = topToBottom ? layerStart[Int(boxLayer[c])] + size.height / 2 : b.r0 + margin + size.width / 2
                labels.append(point(at(RO(r: r, o: o), boxRow(c))))
            } else {
                labels.append(nil)
            }
        }
        return Placement(nodes: nodes, edges: edges, clusters: clusters, clusterLabels: labels)
    }

    func center(_ i: Int) -> RO {
        let l = Int(layer[i])
        return RO(r: layerStart[l] + layerThickness[l] / 2, o: coordinate[i])
    }

    /// The splines of a bundle's edges, side by side, and its labels stacked beside them.
    func route(_ bi: Int, _ b: Bundle, rows: Rows, into edges: inout [Placement.Edge], _ point: (RO) -> Point) {
        let tail = Int(b.tail), head = Int(b.head)
        let count = b.edges.count
        let t = center(tail), h = center(head)
        func rowOf(_ item: Int) -> Int { rows.row(ofLayer: Int(layer[item])) }
        func at(_ p: RO, _ item: Int) -> RO { let k = rowOf(item); return RO(r: p.r - rows.shiftR[k], o: p.o + rows.shiftO[k]) }
        var labelTop = 0.0
        if b.labelItem >= 0 {
            let i = Int(b.labelItem)
            labelTop = coordinate[i] - orderExtent[i] / 2 + b.band + spacing.labelGap
        }
        for (j, k32) in b.edges.enumerated() {
            let k = Int(k32)
            let e = m.edges[k]
            let offset = (Double(j) - Double(count - 1) / 2) * spacing.lineGap
            // Waypoints: out of the tail, straight through every layer crossed, into the head.
            // In each item's row; where the way goes on in the next row, it detours.
            var way = [at(RO(r: t.r + rankExtent[tail] / 2, o: t.o + offset), tail)]
            var row = rowOf(tail)
            func next(_ p: RO, _ item: Int) {
                let q = at(p, item)
                if rowOf(item) != row {
                    way += detour(from: way[way.count - 1], to: q, cut: row, bundle: bi, offset: offset, rows: rows)
                    row = rowOf(item)
                }
                way.append(q)
            }
            for d32 in b.dummies {
                let d = Int(d32), l = Int(layer[d])
                let o = line(d) + offset
                // Straight past its label and its neighbours in the layer; the bends
                // between use all the room there is.
                let half = straightSpan(d) / 2, middle = layerStart[l] + layerThickness[l] / 2
                next(RO(r: middle - half, o: o), d)
                if half > 0 { way.append(at(RO(r: middle + half, o: o), d)) }
            }
            next(RO(r: h.r - rankExtent[head] / 2, o: h.o + offset), head)
            // Arrowheads sit between the spline's end and the node.
            let arrowFirst = b.reversed ? e.arrowAtHead : e.arrowAtTail
            let arrowLast = b.reversed ? e.arrowAtTail : e.arrowAtHead
            var firstTip: RO?, lastTip: RO?
            let room = (way[1].r - way[0].r) / 2
            if arrowFirst {
                firstTip = way[0]
                way[0].r += min(e.arrowLength, room)
            }
            if arrowLast {
                let n = way.count - 1
                lastTip = way[n]
                way[n].r -= min(e.arrowLength, (way[n].r - way[n - 1].r) / 2)
            }
            var points = [point(way[0])]
            for s in 1..<way.count {
                let a = way[s - 1], z = way[s]
                if a.o == z.o {
                    points.append(point(RO(r: a.r + (z.r - a.r) / 3, o: a.o)))
                    points.append(point(RO(r: a.r + 2 * (z.r - a.r) / 3, o: a.o)))
                } else {
                    // Leaves and arrives along the rank axis: an S between layers.
                    let mid = (a.r + z.r) / 2
                    points.append(point(RO(r: mid, o: a.o)))
                    points.append(point(RO(r: mid, o: z.o)))
                }
                points.append(point(z))
            }
            var first = firstTip.map(point), last = lastTip.map(point)
            if b.reversed {
                points.reverse()
                swap(&first, &last)
            }
            var label: Point?
            if let size = e.label, b.labelItem >= 0 {
                let i = Int(b.labelItem)
                let across = topToBottom ? size.width : size.height
                let r = layerStart[Int(layer[i])] + layerThickness[Int(layer[i])] / 2
                label = point(at(RO(r: r, o: labelTop + across / 2), i))
                labelTop += across
            }
            edges[k] = Placement.Edge(points: points, startArrowTip: first, endArrowTip: last, label: label)
        }
    }

    /// How far a line runs straight through a dummy's layer: across the dummy (its
    /// label) and its neighbours in the layer, so a bend never cuts a corner of theirs.
    func straightSpan(_ d: Int) -> Double {
        let items = layers[Int(layer[d])], k = Int(position[d])
        var span = rankExtent[d]
        if k > 0 { span = max(span, rankExtent[Int(items[k - 1])]) }
        if k + 1 < items.count { span = max(span, rankExtent[Int(items[k + 1])]) }
        return span
    }

    /// A node's edge to itself: a small loop on its far side.
    func loop(_ k: Int, rows: Rows, _ point: (RO) -> Point) -> Placement.Edge {
        let e = m.edges[k]
        let row = rows.row(ofLayer: Int(layer[e.tail]))
        var c = center(e.tail)
        c.r -= rows.shiftR[row]
        c.o += rows.shiftO[row]
        let r = c.r + rankExtent[e.tail] / 2, o = c.o, d = 12.0
        let points = [RO(r: r, o: o - 4), RO(r: r + d, o: o - d), RO(r: r + d, o: o + d), RO(r: r, o: o + 4)].map(point)
        return Placement.Edge(points: points, startArrowTip: nil, endArrowTip: nil, label: e.label.map { _ in point(RO(r: r + d + 8, o: o)) })
    }

    /// Cluster boxes along both axes: across the layers they hold plus their margins
    /// (and labels), along the order axis the sides opened for them.
    func clusterBoxes() -> [(r0: Double, r1: Double, o0: Double, o1: Double)] {
        guard !m.clusters.isEmpty else { return [] }
        var r0 = [Double](repeating: .infinity, count: m.clusters.count), r1 = [Double](repeating: -.infinity, count: m.clusters.count)
        var o0 = r0, o1 = r1
        for i in layer.indices where cluster[i] >= 0 {
            let c = Int(cluster[i]), l = Int(layer[i])
            r0[c] = min(r0[c], layerStart[l])
            r1[c] = max(r1[c], layerStart[l] + layerThickness[l])
            o0[c] = min(o0[c], coordinate[i] - orderExtent[i] / 2)
            o1[c] = max(o1[c], coordinate[i] + orderExtent[i] / 2)
        }
        // Innermost first, so each box holds the boxes inside it.
        let margin = spacing.clusterMargin
        for c in clustersInnermostFirst {
            guard r0[c].isFinite else { r0[c] = 0; r1[c] = 0; o0[c] = 0; o1[c] = 0; continue }
            r0[c] -= margin
            r1[c] += margin
            o0[c] -= margin + clusterLabelAcrossRanks(c)
            o1[c] += margin
            if let sides = boxSides { (o0[c], o1[c]) = sides[c] }
            let p = Int(clusterParent[c])
            if p >= 0 {
                r0[p] = min(r0[p], r0[c]); r1[p] = max(r1[p], r1[c])
                o0[p] = min(o0[p], o0[c]); o1[p] = max(o1[p], o1[c])
            }
        }
        return (0..<m.clusters.count).map { (r0[$0], r1[$0], o0[$0], o1[$0]) }
    }
}

