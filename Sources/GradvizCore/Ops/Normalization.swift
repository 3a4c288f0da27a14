import Foundation

// Normalization layers and dropout. Both norms standardize groups of elements and then
// scale and shift; they differ only in which elements form a group, so one routine does
// the statistics and the backward for both.

/// Elements of `x` grouped for normalization: group `k` holds the elements at
/// `o * size * inner + k * inner + i` (layer norm: one group per row; batch norm: one
/// group per channel across the batch and spatial positions).
struct NormGroups {
    let outer: Int, size: Int, inner: Int
    /// true: a group is one index of the middle axis across outer and inner (batch norm);
    /// false: a group is one (outer, inner) position across the middle axis (layer norm).
    let acrossOuter: Bool

    var groupCount: Int { acrossOuter ? size : outer * inner }
    var groupSize: Int { acrossOuter ? outer * inner : size }

    /// Calls body(start, count) for the contiguous runs of group `group`, in order: one
    /// row for layer norm (inner is 1), one run of `inner` per outer index for batch norm.
    @inline(__always)
    func forEachRun(_ group: Int, _ body: (_ start: Int, _ count: Int) -> Void) {
        if acrossOuter { for o in 0..<outer { body((o * size + group) * inner, inner) } }
        else { body(group * size, size) }
    }

    /// Parameter index (weight/bias) of the element at position j of a run of `group`: the
    /// channel for batch norm, the position along the last axis for layer norm.
    @inline(__always)
    func parameter(_ group: Int, _ j: Int) -> Int { acrossOuter ? group : j }

    /// Calls `body(group)` for every group, groups in chunks on the cores: each group's
    /// statistics and outputs are its own, so how they are cut changes nothing.
    func forEachGroup(_ body: (Int) -> Void) {
        Parallel.forEach(groupCount, itemSize: groupSize) { groups in
            for grp in groups { body(grp) }
        }
    }

    /// x̂ = (x - mean) / sqrt(var + eps) with the biased variance, and 1/sqrt(var + eps) per
    /// group: three passes over each group's runs.
    func standardize(_ x: Tensor, eps: Double) -> (xhat: [Double], invStd: [Double]) {
        precondition(acrossOuter || inner == 1, "layer norm groups are rows")
        let n = Double(groupSize)
        var invStd = [Double](repeating: 0, count: groupCount)
        let xhat = [Double](writing: x.count) { xhat in
            x.data.withUnsafeBufferPointer { X in
                invStd.withUnsafeMutableBufferPointer { invStd in
                    forEachGroup { grp in
                        var sum = 0.0
                        forEachRun(grp) { start, count in for t in start..<(start + count) { sum += X[t] } }
                        let mean = sum / n
                        var squares = 0.0
                        forEachRun(grp) { start, count in for t in start..<(start + count) { let d = X[t] - mean; squares += d * d } }
                        let inv = 1 / (squares / n + eps).squareRoot()
                        invStd[grp] = inv
                        forEachRun(grp) { start, count in for t in start..<(start + count) { xhat[t] = (X[t] - mean) * inv } }
                    }
                }
            }
        }
        return (xhat, invStd)
    }

    func forward(_ x: [Tensor], eps: Double) -> Tensor {
        var (y, _) = standardize(x[0], eps: eps)
        guard x.count > 1 else { return Tensor(shape: x[0].shape, data: y) }
        y.withUnsafeMutableBufferPointer { Y in
            x[1].data.withUnsafeBufferPointer { W in
                (x.count > 2 ? x[2].data : []).withUnsafeBufferPointer { B in
                    forEachGroup { grp in
                        forEachRun(grp) { start, count in
                            for j in 0..<count {
                                let p = parameter(grp, j)
                                Y[start + j] *= W[p]
                                if B.count > 0 { Y[start + j] += B[p] }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: x[0].shape, data: y)
    }

    /// dx = invStd * (dx̂ - mean(dx̂) - x̂ * mean(dx̂ x̂)) per group, with dx̂ = g * weight;
    /// dweight = Σ g x̂; dbias = Σ g.
    func vjp(_ c: VJPContext, eps: Double) -> [Tensor?] {
        let (xhat, invStd) = standardize(c[0], eps: eps)
        let hasWeight = c.inputs.count > 1, hasBias = c.inputs.count > 2
        let n = Double(groupSize)
        let dx = [Double](writing: c[0].count) { dx in
            c.g.data.withUnsafeBufferPointer { G in
                xhat.withUnsafeBufferPointer { XH in
                    (hasWeight ? c[1].data : []).withUnsafeBufferPointer { W in
                        forEachGroup { grp in
                            var meanD = 0.0, meanDX = 0.0
                            forEachRun(grp) { start, count in
                                for j in 0..<count {
                                    let t = start + j
                                    let d = hasWeight ? G[t] * W[parameter(grp, j)] : G[t]
                                    meanD += d
                                    meanDX += d * XH[t]
                                }
                            }
                            let inv = invStd[grp]
                            forEachRun(grp) { start, count in
                                for j in 0..<count {
                                    let t = start + j
                                    let d = hasWeight ? G[t] * W[parameter(grp, j)] : G[t]
                                    dx[t] = inv * (d - meanD / n - XH[t] * meanDX / n)
                                }
                            }
                        }
                    }
                }
            }
        }
        var out: [Tensor?] = [c.needs(0) ? Tensor(shape: c[0].shape, data: dx) : nil]
        if hasWeight {
            // A pass over every element: only when a parameter's gradient is wanted.
            let wanted = c.needs(1) || (hasBias && c.needs(2))
            let (dw, db) = wanted ? parameterGradients(c.g, xhat, count: c[1].count) : ([], [])
            out.append(c.needs(1) ? Tensor(shape: c[1].shape, data: dw) : nil)
            if hasBias { out.append(c.needs(2) ? Tensor(shape: c[2].shape, data: db) : nil) }
        }
        return out
    }

    /// dweight[p] = Σ g x̂ and dbias[p] = Σ g over the elements of parameter p, each sum in
    /// the elements' order. Cut by parameter on the cores: batch norm's parameter is a
    /// group, layer norm's a column, summed down the rows by a chunk of columns.
    private func parameterGradients(_ g: Tensor, _ xhat: [Double], count: Int) -> (dw: [Double], db: [Double]) {
        var dw = [Double](repeating: 0, count: count), db = dw
        dw.withUnsafeMutableBufferPointer { DW in
            db.withUnsafeMutableBufferPointer { DB in
                g.data.withUnsafeBufferPointer { G in
                    xhat.withUnsafeBufferPointer { XH in
                        if acrossOuter {
                            forEachGroup { grp in
                                forEachRun(grp) { start, count in
                                    for t in start..<(start + count) { DW[grp] += G[t] * XH[t]; DB[grp] += G[t] }
                                }
                            }
                            return
                        }
                        Parallel.forEach(size, itemSize: groupCount) { columns in
                            for grp in 0..<groupCount {
                                let row = grp * size
                                for j in columns { DW[j] += G[row + j] * XH[row + j]; DB[j] += G[row + j] }
                            }
                        }
                    }
                }
            }
        }
        return (dw, db)
    }
}

private let normInputs = [InputSpec("x"), InputSpec("weight", optional: true), InputSpec("bias", optional: true)]
private let epsAttribute = AttrSpec("eps", .double, default: .double(1e-5), "added to the variance")

/// Checks that weight and bias are vectors of the normalized dimension's size.
private func checkParameters(_ s: [[Int]], size: Int, what: String, op: String) throws(OpError) {
    for (slot, name) in [(1, "weight"), (2, "bias")] where slot < s.count {
        guard s[slot] == [size] else {
            throw OpError("\(op): \(name) must have shape [\(size)] (\(what) of x \(shapeText(s[0]))), got \(shapeText(s[slot]))")
        }
    }
}

public struct LayerNorm: Op {
    public static let info = OpInfo(name: "layer_norm", symbol: "LN", inputs: normInputs, attributes: [epsAttribute],
        gradient: "dx = (w g - mean(w g) - x̂ mean(w g x̂)) / σ;  dweight = Σ g x̂;  dbias = Σ g  (over all but the last axis)",
        summary: "normalize over the last axis, then scale by weight and shift by bias")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }
    func groups(_ shape: [Int]) -> NormGroups {
        NormGroups(outer: shape.dropLast().reduce(1, *), size: shape.last!, inner: 1, acrossOuter: false)
    }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        guard let last = s[0].last else { throw OpError("layer_norm: x must have at least one axis, got []") }
        try checkParameters(s, size: last, what: "the last axis", op: name)
        return [s[0]]
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        [groups(x[0].shape).forward(x, eps: attributes.double("eps"))]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] { groups(c[0].shape).vjp(c, eps: attributes.double("eps")) }
}

public struct BatchNorm: Op {
    public static let info = OpInfo(name: "batch_norm", symbol: "BN", inputs: normInputs, attributes: [epsAttribute],
        gradient: "as layer_norm, with statistics per channel (axis 1) over the batch and spatial axes",
        summary: "training-mode batch normalization: batch statistics over every axis but axis 1, biased variance")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }
    func groups(_ shape: [Int]) -> NormGroups {
        NormGroups(outer: shape[0], size: shape[1], inner: shape.dropFirst(2).reduce(1, *), acrossOuter: true)
    }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        guard s[0].count >= 2 else { throw OpError("batch_norm: x must be [N, C, ...], got \(shapeText(s[0]))") }
        guard Tensor.count(of: s[0]) / max(s[0][1], 1) > 1 else {
            throw OpError("batch_norm: x \(shapeText(s[0])) has one value per channel; training needs more than one")
        }
        try checkParameters(s, size: s[0][1], what: "the channels", op: name)
        return [s[0]]
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        [groups(x[0].shape).forward(x, eps: attributes.double("eps"))]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] { groups(c[0].shape).vjp(c, eps: attributes.double("eps")) }
}

public struct Dropout: Op {
    public static let info = OpInfo(name: "dropout", inputs: [InputSpec("x")],
        attributes: [AttrSpec("p", .double, default: .double(0.5), "probability of zeroing an element"),
                     AttrSpec("seed", .int, default: .int(0), "the mask depends only on seed and shape")],
        gradient: "dx = g * mask / (1 - p)", summary: "inverted dropout with a seeded mask")
    public let attributes: Attributes
    let p: Double
    public init(_ attributes: Attributes) throws(OpError) {
        self.attributes = attributes
        p = attributes.double("p")
        guard p >= 0 && p <= 1 else { throw OpError("dropout: p must be in [0, 1], got \(formatNumber(p))") }
    }
    /// The scale of every element: 0 where dropped, 1/(1-p) where kept.
    func scales(_ count: Int) -> [Double] {
        if p == 1 { return [Double](repeating: 0, count: count) }
        var rng = SeededGenerator(seed: UInt64(bitPattern: Int64(attributes.int("seed"))))
        let keep = 1 / (1 - p)
        return (0..<count).map { _ in rng.unit() < p ? 0 : keep }
    }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { [s[0]] }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        [Tensor(shape: x[0].shape, data: zip(x[0].data, scales(x[0].count)).map(*))]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        [Tensor(shape: c[0].shape, data: zip(c.g.data, scales(c[0].count)).map(*))]
    }
}
