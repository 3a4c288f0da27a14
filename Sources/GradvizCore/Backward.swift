/// The result of a backward pass: the gradient of the objective with respect to every value
/// on a path from a gradient-enabled input to an output, and the contribution that flowed
/// back along every use of a value (an edge). A value's total is the sum of its edges.
public struct Gradients {
    /// One stored gradient. The gradient of a shape-[] value is kept as a plain number: a
    /// graph of scalars then allocates nothing per value or edge, which is most of the cost
    /// of a backward pass over it.
    enum Slot {
        case none
        case scalar(Double)
        case tensor(Tensor)

        /// Stores `t`, as a number when it is the gradient of a shape-[] value.
        init(_ t: Tensor) { self = t.shape.isEmpty ? .scalar(t.data[0]) : .tensor(t) }

        var tensor: Tensor? {
            switch self {
            case .none: return nil
            case .scalar(let d): return Tensor(d)
            case .tensor(let t): return t
            }
        }

        var isNone: Bool { if case .none = self { return true } else { return false } }
    }

    let valueOffset: [Int]
    let edgeOffset: [Int]
    var flatTotals: [Slot]
    var flatEdges: [Slot]

    public subscript(v: ValueID) -> Tensor? { flatTotals[valueOffset[v.node] + v.output].tensor }
    public func edge(node: Int, slot: Int) -> Tensor? { flatEdges[edgeOffset[node] + slot].tensor }

    /// The gradient of a shape-[] value as a number, without making a Tensor; nil when the
    /// value has no gradient or another shape (then use the subscript).
    public func scalar(_ v: ValueID) -> Double? {
        if case .scalar(let d) = flatTotals[valueOffset[v.node] + v.output] { return d }
        return nil
    }

    /// `edge(node:slot:)` as a number when the edge carries a shape-[] gradient (see `scalar`).
    public func scalarEdge(node: Int, slot: Int) -> Double? {
        if case .scalar(let d) = flatEdges[edgeOffset[node] + slot] { return d }
        return nil
    }

    /// Whether the edge carried a gradient (cheaper than `edge(node:slot:) != nil`).
    public func hasEdge(node: Int, slot: Int) -> Bool { !flatEdges[edgeOffset[node] + slot].isNone }

    /// How many edges (input slots) the graph has.
    public var edgeCount: Int { flatEdges.count }
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
        try nodes.withUnsafeBufferPointer { nb throws -> Gradients in
            try backward(nb, outputs, seeds)
        }
    }

    /// The pass over a borrowed node buffer: nb[n].field reads in place (copying a Node
    /// would retain each of its fields).
    private func backward(_ nb: UnsafeBufferPointer<Node>, _ outputs: [ValueID], _ seeds: [ValueID: Tensor]) throws -> Gradients {
        let count = nb.count
        var tracked = [Bool](repeating: false, count: count)
        for n in 0..<count {
            switch nb[n].kind {
            case .input(let r): tracked[n] = r; continue
            case .constant: continue
            case .op: break
            }
            let inputs = nb[n].inputs, mask = nb[n].differentiableMask
            for slot in inputs.indices where tracked[inputs[slot].node] && (slot >= 64 || mask & (1 << UInt64(slot)) != 0) {
                tracked[n] = true
                break
            }
        }
        var needed = [Bool](repeating: false, count: count)
        for v in outputs { needed[v.node] = true }
        for n in stride(from: count - 1, through: 0, by: -1) where needed[n] && tracked[n] {
            let inputs = nb[n].inputs, mask = nb[n].differentiableMask
            for slot in inputs.indices where slot >= 64 || mask & (1 << UInt64(slot)) != 0 {
                needed[inputs[slot].node] = true
            }
        }
        let onPath = { (n: Int) in tracked[n] && needed[n] }

        // Flat storage: one slot per value and one per edge, found through offsets.
        var valueOffset = [Int](repeating: 0, count: count + 1)
        var edgeOffset = [Int](repeating: 0, count: count + 1)
        for n in 0..<count {
            valueOffset[n + 1] = valueOffset[n] + nb[n].values.count
            edgeOffset[n + 1] = edgeOffset[n] + nb[n].inputs.count
        }
        var grads = Gradients(valueOffset: valueOffset, edgeOffset: edgeOffset,
                              flatTotals: [Gradients.Slot](repeating: .none, count: valueOffset[count]),
                              flatEdges: [Gradients.Slot](repeating: .none, count: edgeOffset[count]))
        for v in outputs {
            let value = nb[v.node].values[v.output]
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
            accumulate(&grads.flatTotals[valueOffset[v.node] + v.output], seed)
        }

        for n in stride(from: count - 1, through: 0, by: -1) where onPath(n) {
            guard case .op(let op) = nb[n].kind else { continue }
            let v0 = valueOffset[n], outCount = valueOffset[n + 1] - v0
            var any = false
            for k in 0..<outCount where !grads.flatTotals[v0 + k].isNone { any = true; break }
            guard any else { continue }
            let inputs = nb[n].inputs, values = nb[n].values
            // Built-in elementwise ops on one-element values: numbers, no arrays of tensors.
            if outCount == 1, let kernel = nb[n].scalarKernel, let gs = scalarDownstream(kernel, nb, inputs, values[0], grads.flatTotals[v0]) {
                let e0 = edgeOffset[n], mask = nb[n].differentiableMask
                for (slot, v) in inputs.enumerated() where mask & (1 << UInt64(slot)) != 0 && onPath(v.node) {
                    let g = slot == 0 ? gs.0 : gs.1
                    let shape = nb[v.node].values[v.output].shape
                    let o = valueOffset[v.node] + v.output
                    if shape.isEmpty {
                        grads.flatEdges[e0 + slot] = .scalar(g)
                        accumulate(&grads.flatTotals[o], g)
                    } else {
                        let t = Tensor(shape: shape, data: [g])
                        grads.flatEdges[e0 + slot] = .tensor(t)
                        accumulate(&grads.flatTotals[o], t)
                    }
                }
                continue
            }
            var needs = [Bool](repeating: false, count: inputs.count)
            var anyNeed = false
            for slot in inputs.indices where nb[n].isDifferentiable(slot: slot) && onPath(inputs[slot].node) {
                needs[slot] = true
                anyNeed = true
            }
            guard anyNeed else { continue }
            var upstream: [Tensor] = []
            upstream.reserveCapacity(outCount)
            for k in 0..<outCount { upstream.append(grads.flatTotals[v0 + k].tensor ?? Tensor.zeros(values[k].shape)) }
            var inputValues: [Tensor] = []
            inputValues.reserveCapacity(inputs.count)
            for v in inputs { inputValues.append(nb[v.node].values[v.output]) }
            let downstream = op.vjp(VJPContext(inputs: inputValues, outputs: values, upstream: upstream, needsGradient: needs))
            let e0 = edgeOffset[n]
            for slot in inputs.indices where needs[slot] {
                let v = inputs[slot]
                guard slot < downstream.count, let g = downstream[slot], g.shape == inputValues[slot].shape else {
                    let got = slot < downstream.count ? downstream[slot].map { shapeText($0.shape) } ?? "nothing" : "nothing"
                    throw BackwardError(message: "backward of \(op.name) at \(describe(ValueID(node: n))) gave \(got) for input \(op.info.inputName(slot)) of shape \(shapeText(inputValues[slot].shape))")
                }
                grads.flatEdges[e0 + slot] = Gradients.Slot(g)
                accumulate(&grads.flatTotals[valueOffset[v.node] + v.output], g)
            }
        }
        return grads
    }

    /// The downstream gradients of a built-in elementwise node (its `scalarKernel`, found
    /// when it was recorded: every input has one element) whose output and upstream gradient
    /// have one element too, computed as numbers (`ScalarPath`); nil otherwise.
    private func scalarDownstream(_ kernel: ScalarPath.Kernel, _ nb: UnsafeBufferPointer<Node>, _ inputs: [ValueID], _ y: Tensor,
                                  _ total: Gradients.Slot) -> (Double, Double)? {
        guard y.count == 1 else { return nil }
        let g: Double
        switch total {
        case .scalar(let d): g = d
        case .tensor(let t) where t.count == 1: g = t.data[0]
        default: return nil
        }
        let a = nb[inputs[0].node].values[inputs[0].output].data[0]
        let b = inputs.count == 2 ? nb[inputs[1].node].values[inputs[1].output].data[0] : 0
        return kernel.downstream(g, a, b, y.data[0])
    }

    /// Convenience for one output.
    public func backward(_ output: ValueID, seed: Tensor? = nil) throws -> Gradients {
        try backward([output], seeds: seed.map { [output: $0] } ?? [:])
    }

    func describe(_ v: ValueID) -> String {
        let name = self.name(v)
        return name.isEmpty ? "\(v)" : "\(quoted(name))"
    }
}

/// The first contribution is stored as it is (no copy); later ones add into it.
@inline(__always)
private func accumulate(_ total: inout Gradients.Slot, _ g: Tensor) {
    switch total {
    case .none: total = Gradients.Slot(g)
    case .scalar(let d): total = .scalar(d + g.data[0])
    case .tensor(var t):
        total = .none   // drops the slot's reference so `t += g` adds in place
        t += g
        total = .tensor(t)
    }
}

/// `accumulate` for the contribution to a shape-[] value, given as a number.
@inline(__always)
private func accumulate(_ total: inout Gradients.Slot, _ g: Double) {
    switch total {
    case .none: total = .scalar(g)
    case .scalar(let d): total = .scalar(d + g)
    case .tensor: accumulate(&total, Tensor(g))
    }
}
