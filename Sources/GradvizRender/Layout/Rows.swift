/// Wrapping a long strip into rows, as text wraps into lines.
///
/// A chain of ranks (the steps of an unrolled RNN, a deep DAG) laid out in one direction is
/// a strip tens of thousands of points long and a few hundred thick: the 12-step RNN of
/// bench/render was 16,873 × 624 pt, 1,000 random ops 71,000 × 1,900 pt. Past
/// `Spacing.wrapLength` and `Spacing.wrapAspect`, the layers are cut into rows of about
/// equal length (left to right, or top to bottom) stacked one after the other across the
/// ranks (rows downwards, or columns to the right). Each cut falls between two layers
/// where the fewest edges cross (for an RNN: between two steps, only the state), near
/// where equal rows would end, never through a cluster box, and preferably before a
/// label layer, so an edge's labels stay beside its head. An edge that crosses a cut runs
/// out past the end of its row, back through a channel between the rows (a track per
/// bundle, ordered so that bundles do not cross there), and into the next row from its
/// start. Reading order is kept: within a row inputs are left (top) and outputs right
/// (bottom), and the rows follow each other as lines of text.
extension LayeredLayout {
    struct Rows {
        /// Each layer's row; each row's shift along the rank axis (subtracted) and along
        /// the order axis (added).
        var rowOfLayer: [Int32]
        var shiftR: [Double]
        var shiftO: [Double]
        /// Each cut (before row k + 1): where lines turn down past the end of row k, the
        /// channel's top, where they come back down before row k + 1, and each crossing
        /// bundle's track (its index there, counted from the top of the channel).
        var turnRight: [Double]
        var channelTop: [Double]
        var turnLeft: [Double]
        var track: [[Int: Int]]

        static let single = Rows(rowOfLayer: [], shiftR: [0], shiftO: [0], turnRight: [], channelTop: [], turnLeft: [], track: [])

        func row(ofLayer l: Int) -> Int { rowOfLayer.isEmpty ? 0 : Int(rowOfLayer[l]) }
    }

    /// The rows of this layout: one, unless the strip is long and thin.
    func wrapIntoRows() -> Rows {
        let count = layers.count
        guard count > 8 else { return .single }
        let length = (layerStart.last ?? 0) + (layerThickness.last ?? 0)
        var lowO = Double.infinity, highO = -Double.infinity
        for i in layer.indices {
            lowO = min(lowO, coordinate[i] - orderExtent[i] / 2)
            highO = max(highO, coordinate[i] + orderExtent[i] / 2)
        }
        if let sides = boxSides { for s in sides { lowO = min(lowO, s.low); highO = max(highO, s.high) } }
        let thickness = max(highO - lowO, 1)
        guard length > spacing.wrapLength, length > spacing.wrapAspect * thickness else { return .single }
        // k rows of length L/k, stacked k × thickness: L / (k² · thickness) = rowAspect.
        let wanted = max(2, Int((length / (spacing.rowAspect * thickness)).squareRoot().rounded()))
        let rowCount = min(wanted, count / 4)
        guard rowCount >= 2 else { return .single }

        // Lines crossing each boundary (before layer l) and whether a cluster box spans it.
        var crossing = [Int](repeating: 0, count: count)
        // (Bundles are read in place, by index: a copy of each would retain its arrays.)
        for bi in bundles.indices {
            let tail = Int(bundles[bi].tail)
            let from = Int(layer[tail]), to = Int(layer[Int(bundles[bi].head)])
            // A line from a source counts twice: a source cut from its consumer would end
            // the row before, alone (an RNN step's input x_t).
            let source = upStart[tail] == upStart[tail + 1]
            let lines = bundles[bi].edges.count * (source ? 2 : 1)
            if from < to { for l in (from + 1)...to { crossing[l] += lines } }
        }
        var spanned = [Bool](repeating: false, count: count)
        if !m.clusters.isEmpty {
            let (low, high) = clusterLayerSpans()
            for c in m.clusters.indices where high[c] > low[c] {
                for l in Int(low[c] + 1)...Int(high[c]) { spanned[l] = true }
            }
        }
        // As many rows as wanted, or fewer when no cuts give rows of about equal length.
        var chosen: [Int]?
        for rows in stride(from: rowCount, through: 2, by: -1) where chosen == nil {
            chosen = cuts(rows: rows, length: length, crossing: crossing, spanned: spanned)
        }
        guard let cuts = chosen else { return .single }

        var rowOfLayer = [Int32](repeating: 0, count: count)
        var k32: Int32 = 0
        for l in 0..<count {
            if Int(k32) < cuts.count, cuts[Int(k32)] == l { k32 += 1 }
            rowOfLayer[l] = k32
        }
        let (_, after) = clusterProtrusions()
        // Tracks: the bundles crossing each cut, the one leaving highest in its row taking
        // the lowest track (it turns down furthest out, so no two cross there).
        var crossingAt = [[(o: Double, bundle: Int)]](repeating: [], count: cuts.count)
        for bi in bundles.indices {
            let from = Int(layer[Int(bundles[bi].tail)]), to = Int(layer[Int(bundles[bi].head)])
            guard from < to else { continue }
            for k in Int(rowOfLayer[from])..<Int(rowOfLayer[to]) {
                // The bundle's item in the layer before the cut: its tail, or a dummy.
                let c = cuts[k]
                let item = from == c - 1 ? Int(bundles[bi].tail) : Int(bundles[bi].dummies[c - 1 - from - 1])
                crossingAt[k].append((line(item), bi))
            }
        }
        var tracks: [[Int: Int]] = []
        var room: [Double] = []
        for var crossingHere in crossingAt {
            crossingHere.sort { ($0.o, $0.bundle) < ($1.o, $1.bundle) }
            var t: [Int: Int] = [:]
            for (s, x) in crossingHere.enumerated() { t[x.bundle] = crossingHere.count - 1 - s }
            tracks.append(t)
            room.append(Double(crossingHere.count + 1) * trackGap)
        }
        // Along the ranks: each row starts where the previous layer ended, with room to
        // come down into it; along the order axis rows follow each other, a channel apart.
        let rows = cuts.count + 1
        let first = [0] + cuts, last = cuts.map { $0 - 1 } + [count - 1]
        var shiftR = [Double](repeating: 0, count: rows), turnRight = [Double](), turnLeft = [Double]()
        for k in 0..<rows {
            let start = k == 0 ? 0 : layerStart[first[k] - 1] + layerThickness[first[k] - 1]
            shiftR[k] = start - (k == 0 ? 0 : room[k - 1])
        }
        for k in 0..<(rows - 1) {
            let end = layerStart[last[k]] + layerThickness[last[k]] + after[last[k]] + spacing.layerGap / 2
            turnRight.append(end - shiftR[k])
            turnLeft.append(spacing.layerGap / 2)
        }
        var low = [Double](repeating: .infinity, count: rows), high = [Double](repeating: -.infinity, count: rows)
        for i in layer.indices {
            let k = Int(rowOfLayer[Int(layer[i])])
            low[k] = min(low[k], coordinate[i] - orderExtent[i] / 2)
            high[k] = max(high[k], coordinate[i] + orderExtent[i] / 2)
        }
        if let sides = boxSides {
            let (lowLayer, _) = clusterLayerSpans()
            for (c, s) in sides.enumerated() where lowLayer[c] != .max {
                let k = Int(rowOfLayer[Int(lowLayer[c])])
                low[k] = min(low[k], s.low)
                high[k] = max(high[k], s.high)
            }
        }
        var shiftO = [Double](repeating: 0, count: rows), channelTop = [Double]()
        var bottom = 0.0
        for k in 0..<rows {
            if !low[k].isFinite { low[k] = 0; high[k] = 0 }
            if k == 0 {
                shiftO[k] = 0
            } else {
                channelTop.append(bottom + spacing.rowGap / 2)
                shiftO[k] = bottom + spacing.rowGap + room[k - 1] - low[k]
            }
            bottom = high[k] + shiftO[k]
        }
        return Rows(rowOfLayer: rowOfLayer, shiftR: shiftR, shiftO: shiftO, turnRight: turnRight, channelTop: channelTop,
                    turnLeft: turnLeft, track: tracks)
    }

    /// The layers before which `rows` rows begin (after the first), or nil if they cannot
    /// be of about equal length. Each cut near where equal rows would end: the fewest
    /// lines, then a label layer first, then the nearest; then moved back before the
    /// inputs that stand right before it, which would otherwise end the row before, away
    /// from their consumers. No row shorter than half of one, or longer than one and a half.
    func cuts(rows rowCount: Int, length: Double, crossing: [Int], spanned: [Bool]) -> [Int]? {
        let count = layers.count
        var cuts: [Int] = []
        let rowLength = length / Double(rowCount)
        for j in 1..<rowCount {
            let ideal = Double(j) * rowLength
            var bestLayer = -1
            // Within a quarter of a row of the ideal place; failing that (a cluster box
            // there), within half a row.
            for window in [rowLength / 4, rowLength / 2] where bestLayer < 0 {
                var best: (Int, Int, Double)?
                for l in max(1, (cuts.last ?? 0) + 2)..<count where !spanned[l] {
                    if layerStart[l] < ideal - window { continue }
                    if layerStart[l] > ideal + window { break }
                    let key = (crossing[l], l % 2 == 1 ? 0 : 1, abs(layerStart[l] - ideal))
                    if best == nil || key < best! { best = key; bestLayer = l }
                }
            }
            guard bestLayer > 0 else { return nil }
            cuts.append(beforeInputs(bestLayer, after: cuts.last ?? 0, spanned: spanned))
        }
        let starts = [0] + cuts.map { layerStart[$0] } + [length]
        for k in 0..<rowCount where abs(starts[k + 1] - starts[k] - rowLength) > rowLength / 2 { return nil }
        return cuts
    }

    /// A cut before layer `cut` moved back over the layers before it that hold, besides
    /// lines, only sources (inputs, copies of shared values, which stand right before
    /// their first consumer): to before the earliest of them that holds one.
    func beforeInputs(_ cut: Int, after previous: Int, spanned: [Bool]) -> Int {
        var moved = cut
        var l = cut - 1
        while l >= previous + 2, !spanned[l] {
            var sources = false
            for i32 in layers[l] where Int(i32) < realCount {
                let i = Int(i32)
                if upStart[i] != upStart[i + 1] { return moved }
                sources = true
            }
            if sources { moved = l }
            l -= 1
        }
        return moved
    }

    /// The room a bundle takes in a channel: across it, and where it turns.
    var trackGap: Double { 2 * spacing.lineGap + spacing.lineGap }

    /// The waypoints of one line from `a` (the end of its way in row k) to `b` (the start
    /// of its way in row k + 1), both already in their rows' coordinates: out past the end
    /// of row k, down to its track, back along the channel, down before row k + 1. The line
    /// keeps its side of the bundle (`offset`) through every turn.
    func detour(from a: RO, to b: RO, cut k: Int, bundle: Int, offset: Double, rows: Rows) -> [RO] {
        let t = Double(rows.track[k][bundle] ?? 0)
        // The lowest track turns furthest out on the right and furthest in on the left.
        let right = rows.turnRight[k] + (t + 1) * trackGap - offset
        let left = rows.turnLeft[k] + (t + 1) * trackGap - offset
        let channel = rows.channelTop[k] + (t + 0.5) * trackGap - offset
        return [RO(r: right, o: a.o), RO(r: right, o: channel), RO(r: left, o: channel), RO(r: left, o: b.o)]
    }
}
