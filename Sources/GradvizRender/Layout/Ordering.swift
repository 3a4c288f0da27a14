/// Crossing reduction: the order of the items within each layer.
extension LayeredLayout {
    /// Alternating down and up barycentre sweeps (a bounded number), keeping the order
    /// with the fewest crossings seen. Each layer is sorted so that the items of a cluster
    /// stay together and sibling clusters are in the same order in every layer: a cluster
    /// is sorted as one unit by one key for the whole sweep (the mean position of its
    /// items), a loose item by its barycentre.
    mutating func order(sweeps: Int) {
        sortLayers(keys: position.map(Double.init), clusterKeys: clusterKeys())
        var best = layers
        var bestCrossings = crossings()
        var keys = [Double](repeating: 0, count: layer.count)
        for sweep in 0..<sweeps {
            guard bestCrossings > 0 else { break }
            let downward = sweep % 2 == 0
            let clusterKey = clusterKeys()
            let sequence = downward ? Array(layers.indices.dropFirst()) : Array(layers.indices.dropLast().reversed())
            for l in sequence {
                for i in layers[l] {
                    keys[Int(i)] = barycentre(Int(i), downward ? (upStart, up) : (downStart, down))
                }
                sortLayer(l, keys: keys, clusterKeys: clusterKey)
            }
            let c = crossings()
            if c < bestCrossings {
                bestCrossings = c
                best = layers
            }
        }
        layers = best
        for l in layers { for (k, i) in l.enumerated() { position[Int(i)] = Int32(k) } }
    }

    /// The mean position of an item's neighbours in the layer before (or after); its own
    /// position when it has none.
    func barycentre(_ i: Int, _ adjacency: ([Int32], [Int32])) -> Double {
        let (start, list) = adjacency
        let from = Int(start[i]), to = Int(start[i + 1])
        guard to > from else { return Double(position[i]) }
        var sum = 0.0
        for k in from..<to { sum += Double(position[Int(list[k])]) }
        return sum / Double(to - from)
    }

    /// A cluster's key: the mean position of everything in it, over all its layers.
    func clusterKeys() -> [Double] {
        guard !m.clusters.isEmpty else { return [] }
        var sum = [Double](repeating: 0, count: m.clusters.count), count = sum
        for i in layer.indices where cluster[i] >= 0 {
            for c in clusterChain[Int(cluster[i])] {
                sum[Int(c)] += Double(position[i])
                count[Int(c)] += 1
            }
        }
        return zip(sum, count).map { $1 > 0 ? $0 / $1 : 0 }
    }

    mutating func sortLayers(keys: [Double], clusterKeys: [Double]) {
        for l in layers.indices { sortLayer(l, keys: keys, clusterKeys: clusterKeys) }
    }

    /// Sorts one layer by the keys, clusters as units, ties by the current order.
    mutating func sortLayer(_ l: Int, keys: [Double], clusterKeys: [Double]) {
        var items = layers[l]
        if m.clusters.isEmpty {
            items.sort { a, b in
                let ka = keys[Int(a)], kb = keys[Int(b)]
                return ka != kb ? ka < kb : position[Int(a)] < position[Int(b)]
            }
        } else {
            let empty: [Int32] = []
            items.sort { a, b in
                let ca = cluster[Int(a)] >= 0 ? clusterChain[Int(cluster[Int(a)])] : empty
                let cb = cluster[Int(b)] >= 0 ? clusterChain[Int(cluster[Int(b)])] : empty
                var d = 0
                while d < ca.count, d < cb.count, ca[d] == cb[d] { d += 1 }
                // What stands for each at the first level where they part: itself, or
                // the cluster it is in.
                let ra: (Double, Int, Int) = d < ca.count ? (clusterKeys[Int(ca[d])], 1, Int(ca[d])) : (keys[Int(a)], 0, Int(position[Int(a)]))
                let rb: (Double, Int, Int) = d < cb.count ? (clusterKeys[Int(cb[d])], 1, Int(cb[d])) : (keys[Int(b)], 0, Int(position[Int(b)]))
                return ra < rb
            }
        }
        layers[l] = items
        for (k, i) in items.enumerated() { position[Int(i)] = Int32(k) }
    }

    /// Crossings between all pairs of adjacent layers (Barth, Jünger, Mutzel: an
    /// accumulator tree over the lower layer, O(E log V)).
    func crossings() -> Int {
        var total = 0
        var tree: [Int] = []
        var ends: [Int32] = []
        for l in layers.indices.dropLast() {
            let lowerCount = layers[l + 1].count
            guard lowerCount > 1 else { continue }
            var size = 1
            while size < lowerCount { size *= 2 }
            tree = [Int](repeating: 0, count: 2 * size)
            ends.removeAll(keepingCapacity: true)
            // Segments sorted by upper position, then lower position.
            for i in layers[l] {
                let from = Int(downStart[Int(i)]), to = Int(downStart[Int(i) + 1])
                let start = ends.count
                for k in from..<to { ends.append(position[Int(down[k])]) }
                ends[start...].sort()
            }
            for e in ends {
                var index = Int(e) + size
                tree[index] += 1
                // Everything already inserted to the right of e crosses this segment.
                while index > 1 {
                    if index % 2 == 0 { total += tree[index + 1] }
                    index /= 2
                    tree[index] += 1
                }
            }
        }
        return total
    }
}
