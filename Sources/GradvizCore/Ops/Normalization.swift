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

    /// Calls body(group, index within the group, flat offset) for every element.
    func forEach(_ body: (Int, Int, Int) -> Void) {
        for o in 0..<outer {
            for k in 0..<size {
                for i in 0..<inner {
                    let offset = (o * size + k) * inner + i
                    if acrossOuter { body(k, o * inner + i, offset) } else { body(o * inner + i, k, offset) }
                }
            }
        }
    }

    /// x̂ = (x - mean) / sqrt(var + eps) with the biased variance, and 1/sqrt(var + eps) per group.
    func standardize(_ x: Tensor, eps: Double) -> (xhat: [Double], invStd: [Double]) {
        var mean = [Double](repeating: 0, count: groupCount), variance = mean
        forEach { g, _, at in mean[g] += x.data[at] }
        let n = Double(groupSize)
        for g in mean.indices { mean[g] /= n }
        forEach { g, _, at in let d = x.data[at] - mean[g]; variance[g] += d * d }
        let invStd = variance.map { 1 / ($0 / n + eps).squareRoot() }
        var xhat = [Double](repeating: 0, count: x.count)
        forEach { g, _, at in xhat[at] = (x.data[at] - mean[g]) * invStd[g] }
        return (xhat, invStd)
    }

    /// Parameter index (weight/bias) of an element: the middle axis for batch norm, the
    /// position along the last axis for layer norm.
    func parameter(_ group: Int, _ index: Int) -> Int { acrossOuter ? group : index }

    func forward(_ x: [Tensor], eps: Double) -> Tensor {
        let (xhat, _) = standardize(x[0], eps: eps)
        var y = xhat
        forEach { g, j, at in
            let p = parameter(g, j)
            if x.count > 1 { y[at] *= x[1].data[p] }
            if x.count > 2 { y[at] += x[2].data[p] }
        }
        return Tensor(shape: x[0].shape, data: y)
    }

    /// dx = invStd * (dx̂ - mean(dx̂) - x̂ * mean(dx̂ x̂)) per group; dweight = Σ g x̂; dbias = Σ g.
    func vjp(_ c: VJPContext, eps: Double) -> [Tensor?] {
        let (xhat, invStd) = standardize(c[0], eps: eps)
        let g = c.g.data
        let paramCount = c.inputs.count > 1 ? c[1].count : 0
        var dw = [Double](repeating: 0, count: paramCount), db = dw
        var dxhat = g
        var meanD = [Double](repeating: 0, count: groupCount), meanDX = meanD
        forEach { grp, j, at in
            let p = parameter(grp, j)
            if c.inputs.count > 1 {
                dw[p] += g[at] * xhat[at]
                dxhat[at] *= c[1].data[p]
            }
            if c.inputs.count > 2 { db[p] += g[at] }
            meanD[grp] += dxhat[at]
            meanDX[grp] += dxhat[at] * xhat[at]
        }
        let n = Double(groupSize)
        var dx = [Double](repeating: 0, count: c[0].count)
        forEach { grp, _, at in
            dx[at] = invStd[grp] * (dxhat[at] - meanD[grp] / n - xhat[at] * meanDX[grp] / n)
        }
        var out: [Tensor?] = [c.needs(0) ? Tensor(shape: c[0].shape, data: dx) : nil]
        if c.inputs.count > 1 { out.append(c.needs(1) ? Tensor(shape: c[1].shape, data: dw) : nil) }
        if c.inputs.count > 2 { out.append(c.needs(2) ? Tensor(shape: c[2].shape, data: db) : nil) }
        return out
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
