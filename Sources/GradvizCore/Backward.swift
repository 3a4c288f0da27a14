/// The result of a backward pass: the gradient of the objective with respect to every value
/// on a path from a gradient-enabled input to an output, and the contribution that flowed
/// back along every use of a value (an edge). A value's total is the sum of its edges.
public struct Gradients {
    /// `totals[node][output]`: d(objective)/d(value), nil off every such path.
    public internal(set) var totals: [[Tensor?]]
    /// `edges[node][slot]`: the downstream gradient the node sent to the value in `slot`.
    public internal(set) var edges: [[Tensor?]]

    public subscript(v: ValueID) -> Tensor? { totals[v.node][v.output] }
    public func edge(node: Int, slot: Int) -> Tensor? { edges[node][slot] }
}

/// Errors of the backward pass itself (seeds, and ops whose vjp breaks its contract).
public struct BackwardError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension Graph {
    /// Backpropagation from `outputs`, seeded with `seeds` (default 1 for a scalar output;
    /// a non-scalar output needs one). With several outputs the objective is the sum over
    /// outputs of ⟨seed, output⟩, so their gradients add.
    public func backward(_ outputs: [ValueID], seeds: [ValueID: Tensor] = [:]) throws -> Gradients {
        // Nodes a gradient-enabled input reaches (forward order)... Fields are read through
        // the array in place: binding a whole node would retain all of its arrays.
        var tracked = [Bool](repeating: false, count: nodes.count)
        for n in nodes.indices {
            if let op = nodes[n].op {
                let info = op.info
                tracked[n] = nodes[n].inputs.indices.contains { info.isDifferentiable(slot: $0) && tracked[nodes[n].inputs[$0].node] }
            } else {
                tracked[n] = nodes[n].requiresGradient
            }
        }
        // ...that also reach an output (reverse order): only these are visited.
        var needed = [Bool](repeating: false, count: nodes.count)
        for v in outputs { needed[v.node] = true }
        for n in stride(from: nodes.count - 1, through: 0, by: -1) where needed[n] && tracked[n] {
            guard let info = nodes[n].op?.info else { continue }
            for (slot, v) in nodes[n].inputs.enumerated() where info.isDifferentiable(slot: slot) {
                needed[v.node] = true
            }
        }
        let onPath = { (n: Int) in tracked[n] && needed[n] }

        var grads = Gradients(totals: nodes.map { [Tensor?](repeating: nil, count: $0.values.count) },
                              edges: nodes.map { [Tensor?](repeating: nil, count: $0.inputs.count) })
        for v in outputs {
            let value = self.value(v)
            let seed: Tensor
            if let s = seeds[v] {
                guard s.shape == value.shape else {
                    throw BackwardError(message: "seed for \(describe(v)) has shape \(shapeText(s.shape)), the output has shape \(shapeText(value.shape))")
                }
                seed = s
            } else {
                guard value.count == 1 else {
                    throw BackwardError(message: "output \(describe(v)) has shape \(shapeText(value.shape)): a non-scalar output needs a seed")
                }
                seed = Tensor.ones(value.shape)
            }
            guard onPath(v.node) else { continue }
            accumulate(&grads.totals[v.node][v.output], seed)
        }

        // The one reverse loop: upstream × local = downstream, summed at every value.
        for n in stride(from: nodes.count - 1, through: 0, by: -1) where onPath(n) {
            guard let op = nodes[n].op, grads.totals[n].contains(where: { $0 != nil }) else { continue }
            let info = op.info
            let inputs = nodes[n].inputs
            let needs = inputs.indices.map { info.isDifferentiable(slot: $0) && onPath(inputs[$0].node) }
            guard needs.contains(true) else { continue }
            let values = nodes[n].values
            let upstream = values.indices.map { grads.totals[n][$0] ?? Tensor.zeros(values[$0].shape) }
            let downstream = op.vjp(VJPContext(inputs: inputs.map(value), outputs: values,
                                               upstream: upstream, needsGradient: needs))
            for (slot, v) in inputs.enumerated() where needs[slot] {
                guard slot < downstream.count, let g = downstream[slot], g.shape == value(v).shape else {
                    let got = slot < downstream.count ? downstream[slot].map { shapeText($0.shape) } ?? "nothing" : "nothing"
                    throw BackwardError(message: "backward of \(op.name) at \(describe(ValueID(node: n))) gave \(got) for input \(info.inputName(slot)) of shape \(shapeText(value(v).shape))")
                }
                grads.edges[n][slot] = g
                accumulate(&grads.totals[v.node][v.output], g)
            }
        }
        return grads
    }

    /// Convenience for one output.
    public func backward(_ output: ValueID, seed: Tensor? = nil) throws -> Gradients {
        try backward([output], seeds: seed.map { [output: $0] } ?? [:])
    }

    func describe(_ v: ValueID) -> String {
        let name = self.name(v)
        return name.isEmpty ? "\(v)" : "'\(name)'"
    }
}

/// The first contribution is stored as it is (no copy); later ones add into it.
@inline(__always)
private func accumulate(_ total: inout Tensor?, _ g: Tensor) {
    if total == nil { total = g } else { total! += g }
}
