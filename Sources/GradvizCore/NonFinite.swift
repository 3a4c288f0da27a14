/// Where non-finite numbers (NaN, ±Inf) enter a graph.
public struct NonFiniteOrigin: Equatable {
    /// The first node, in topological order, whose output holds a non-finite value
    /// although every input is finite (or a leaf that holds one).
    public let node: Int
    /// Input slots whose values drove it there: for an op with all-finite inputs, all of
    /// them (the op itself produced the value, e.g. log(0)); otherwise the non-finite ones.
    public let slots: [Int]
    /// Values downstream that inherit non-finite numbers from it.
    public let inherited: [Int]
}

extension Graph {
    /// The first node whose forward value is not finite, with the inputs that made it so,
    /// and the nodes downstream that inherit non-finite values; nil when all is finite.
    public func nonFiniteOrigin() -> NonFiniteOrigin? {
        var bad = [Bool](repeating: false, count: nodes.count)
        var origin: Int?
        for (n, node) in nodes.enumerated() {
            bad[n] = !node.values.allSatisfy(\.isFinite)
            if bad[n], origin == nil { origin = n }
        }
        guard let first = origin else { return nil }
        let node = nodes[first]
        let badSlots = node.inputs.indices.filter { bad[node.inputs[$0].node] }
        let slots = badSlots.isEmpty ? Array(node.inputs.indices) : badSlots
        let inherited = (first + 1..<nodes.count).filter { n in bad[n] && nodes[n].inputs.contains { bad[$0.node] } }
        return NonFiniteOrigin(node: first, slots: slots, inherited: inherited)
    }
}

/// Where non-finite gradients enter a backward pass whose forward values are finite.
public struct NonFiniteGradientOrigin: Equatable {
    /// The first node, in backward order, whose vjp turned finite upstream gradients into a
    /// NaN or infinite downstream gradient (sqrt at 0: g / (2 · 0) is inf).
    public let node: Int
    /// The input slots that received the non-finite gradient.
    public let slots: [Int]
    /// The first non-finite element it sent (NaN, inf or -inf).
    public let first: Double
}

extension Graph {
    /// The node where non-finite gradients start (see `NonFiniteGradientOrigin`); nil when
    /// every gradient is finite, or when they are non-finite from the seeds on.
    public func nonFiniteGradientOrigin(_ grads: Gradients) -> NonFiniteGradientOrigin? {
        func finite(_ t: Tensor?) -> Bool { t?.data.allSatisfy(\.isFinite) ?? true }
        for n in stride(from: nodes.count - 1, through: 0, by: -1) where !nodes[n].isLeaf {
            let slots = nodes[n].inputs.indices.filter { !finite(grads.edge(node: n, slot: $0)) }
            guard let slot = slots.first else { continue }
            if nodes[n].values.indices.allSatisfy({ finite(grads[ValueID(node: n, output: $0)]) }) {
                let first = grads.edge(node: n, slot: slot)!.data.first { !$0.isFinite }!
                return NonFiniteGradientOrigin(node: n, slots: slots, first: first)
            }
        }
        return nil
    }
}
