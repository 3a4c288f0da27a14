import Foundation

// Reductions over a set of axes and the normalizations along one axis.

private let reduceAttributes = [
    AttrSpec("axis", .axes, default: .null, "null for all axes, an axis, or a list of axes"),
    AttrSpec("keepdims", .bool, default: .bool(false), "keep reduced axes with size 1"),
]

/// The shapes of a reduction: `kept` has 1 on the reduced axes (the shape the result
/// broadcasts back from), `out` drops them unless keepdims.
struct Reduction {
    let axes: [Int]
    let kept: [Int]
    let out: [Int]
    let size: Int  // number of elements reduced into each result

    init(_ shape: [Int], _ attributes: Attributes, op: String) throws(OpError) {
        let axes = try normalizeAxes(attributes.axes("axis"), rank: shape.count, op: op)
        self.axes = axes
        var kept = shape
        for a in axes { kept[a] = 1 }
        self.kept = kept
        let keepdims = attributes["keepdims"] == .bool(true)
        out = keepdims ? kept : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        size = axes.reduce(1) { $0 * shape[$1] }
    }

    /// Folds `t` into the kept shape with `combine`, starting from `initial`.
    func fold(_ t: Tensor, _ initial: Double, _ combine: (Double, Double) -> Double) -> [Double] {
        var out = [Double](repeating: initial, count: Tensor.count(of: kept))
        let own = strides(of: t.shape), into = broadcastStrides(kept, to: t.shape)
        out.withUnsafeMutableBufferPointer { dst in
            t.data.withUnsafeBufferPointer { src in
                forEachOffset(t.shape, own, into) { a, b in dst[b] = combine(dst[b], src[a]) }
            }
        }
        return out
    }
}

/// Shared plumbing of the four reductions: attributes and output shape.
public protocol ReductionOp: Op {
    init(attributes: Attributes)
}

extension ReductionOp {
    public init(_ attributes: Attributes) throws(OpError) { self.init(attributes: attributes) }
    func reduction(_ shape: [Int]) throws(OpError) -> Reduction { try Reduction(shape, attributes, op: name) }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { [try reduction(s[0]).out] }
}

public struct Sum: ReductionOp {
    public static let info = OpInfo(name: "sum", symbol: "Σ", inputs: [InputSpec("x")], attributes: reduceAttributes,
        gradient: "dx = g broadcast back over the reduced axes", summary: "sum over axes")
    public let attributes: Attributes
    public init(attributes: Attributes) { self.attributes = attributes }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let r = try reduction(x[0].shape)
        return [Tensor(shape: r.out, data: x[0].sum(toShape: r.kept).data)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let r = try! reduction(c[0].shape)
        return [c.g.reshaped(r.kept).broadcast(to: c[0].shape)]
    }
}

public struct Mean: ReductionOp {
    public static let info = OpInfo(name: "mean", symbol: "mean", inputs: [InputSpec("x")], attributes: reduceAttributes,
        gradient: "dx = g / n broadcast back (n = elements reduced)", summary: "mean over axes")
    public let attributes: Attributes
    public init(attributes: Attributes) { self.attributes = attributes }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let r = try reduction(x[0].shape)
        let n = Double(r.size)
        return [Tensor(shape: r.out, data: x[0].sum(toShape: r.kept).data.map { $0 / n })]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let r = try! reduction(c[0].shape)
        let n = Double(r.size)
        return [c.g.reshaped(r.kept).broadcast(to: c[0].shape).map { $0 / n }]
    }
}

public struct Max: ReductionOp {
    public static let info = OpInfo(name: "max", symbol: "max", inputs: [InputSpec("x")], attributes: reduceAttributes,
        gradient: "dx = g / k at the k positions equal to the max, 0 elsewhere", summary: "maximum over axes (torch.amax)")
    public let attributes: Attributes
    public init(attributes: Attributes) { self.attributes = attributes }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        let r = try reduction(s[0])
        guard r.size > 0 else { throw OpError("max: cannot reduce an empty axis of x \(shapeText(s[0]))") }
        return [r.out]
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let r = try reduction(x[0].shape)
        // NaN wins and the first of equal values stays (max(0, -0) is 0), as in PyTorch.
        return [Tensor(shape: r.out, data: r.fold(x[0], -.infinity) { $0.isNaN || $1.isNaN ? .nan : $1 > $0 ? $1 : $0 })]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let r = try! reduction(c[0].shape)
        let m = c.y.reshaped(r.kept).broadcast(to: c[0].shape)
        let hits = Tensor.zip(c[0], m) { $0 == $1 ? 1 : 0 }
        let count = Tensor(shape: r.kept, data: hits.sum(toShape: r.kept).data)
        let share = Tensor.zip(c.g.reshaped(r.kept), count, /)
        return [Tensor.zip(hits, share, *)]
    }
}

public struct LogSumExp: ReductionOp {
    public static let info = OpInfo(name: "logsumexp", symbol: "logΣexp", inputs: [InputSpec("x")], attributes: reduceAttributes,
        gradient: "dx = g * exp(x - y)  (= g * softmax(x))", summary: "log(sum(exp(x))) over axes, computed stably")
    public let attributes: Attributes
    public init(attributes: Attributes) { self.attributes = attributes }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let r = try reduction(x[0].shape)
        var m = r.fold(x[0], -.infinity) { Swift.max($0, $1) }
        for i in m.indices where m[i].isInfinite { m[i] = 0 }  // keeps inf - inf out of the shift
        let shift = Tensor(shape: r.kept, data: m)
        let s = Tensor.zip(x[0], shift) { Foundation.exp($0 - $1) }.sum(toShape: r.kept)
        return [Tensor(shape: r.out, data: zip(s.data, m).map { Foundation.log($0) + $1 })]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let r = try! reduction(c[0].shape)
        let y = c.y.reshaped(r.kept), g = c.g.reshaped(r.kept)
        return [Tensor.zip(Tensor.zip(c[0], y) { Foundation.exp($0 - $1) }, g, *)]
    }
}

/// Calls `body(row, base)` for every row of a tensor seen as [outer, size, inner] rows along
/// the middle axis (row r of outer * inner; its elements at base + j * inner), rows in
/// chunks on the cores.
func forEachRow(outer: Int, size: Int, inner: Int, _ body: (_ row: Int, _ base: Int) -> Void) {
    Parallel.forEach(outer * inner, itemSize: size) { rows in
        for r in rows { body(r, (r / inner) * size * inner + r % inner) }
    }
}

/// Softmax along one axis as [outer, size, inner] rows; `log` gives log-softmax.
func softmaxRows(_ x: Tensor, _ axis: Int, log: Bool) -> Tensor {
    let (outer, size, inner) = around(x.shape, axis)
    let out = [Double](writing: x.count) { out in
        x.data.withUnsafeBufferPointer { src in
            forEachRow(outer: outer, size: size, inner: inner) { _, base in
                var m = -Double.infinity
                for j in 0..<size { m = Swift.max(m, src[base + j * inner]) }
                // A row of -inf gives NaN (0 / 0), a row holding +inf NaN too (inf - inf), as in PyTorch.
                if m == -.infinity { m = 0 }
                var s = 0.0
                for j in 0..<size {
                    let e = Foundation.exp(src[base + j * inner] - m)
                    out[base + j * inner] = e
                    s += e
                }
                if log {
                    let ls = Foundation.log(s)
                    for j in 0..<size { out[base + j * inner] = (src[base + j * inner] - m) - ls }
                } else {
                    for j in 0..<size { out[base + j * inner] /= s }
                }
            }
        }
    }
    return Tensor(shape: x.shape, data: out)
}

/// The backward of `softmaxRows` from its output y: dx = y * (g - Σ g y) for softmax,
/// dx = g - exp(y) * Σ g for log-softmax, the sums along the axis.
func softmaxRowsBackward(_ y: Tensor, _ g: Tensor, _ axis: Int, log: Bool) -> Tensor {
    let (outer, size, inner) = around(y.shape, axis)
    let dx = [Double](writing: y.count) { dx in
        y.data.withUnsafeBufferPointer { Y in
            g.data.withUnsafeBufferPointer { G in
                forEachRow(outer: outer, size: size, inner: inner) { _, base in
                    var s = 0.0
                    for j in 0..<size { let t = base + j * inner; s += log ? G[t] : G[t] * Y[t] }
                    for j in 0..<size {
                        let t = base + j * inner
                        dx[t] = log ? G[t] - Foundation.exp(Y[t]) * s : Y[t] * (G[t] - s)
                    }
                }
            }
        }
    }
    return Tensor(shape: y.shape, data: dx)
}

private let softmaxAxis = [AttrSpec("axis", .axis, default: .int(-1))]

public struct Softmax: Op {
    public static let info = OpInfo(name: "softmax", inputs: [InputSpec("x")], attributes: softmaxAxis,
        gradient: "dx = y * (g - Σ(g * y))  along the axis", summary: "exp(x) / Σ exp(x) along an axis, computed stably")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }
    func axis(_ rank: Int) throws(OpError) -> Int { try normalizeAxis(attributes.int("axis"), rank: rank, op: name) }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { _ = try axis(s[0].count); return [s[0]] }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        x[0].isScalar ? [Tensor(1)] : [softmaxRows(x[0], try axis(x[0].rank), log: false)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        if c[0].isScalar { return [Tensor(0)] }
        return [softmaxRowsBackward(c.y, c.g, try! axis(c[0].rank), log: false)]
    }
}

public struct LogSoftmax: Op {
    public static let info = OpInfo(name: "log_softmax", inputs: [InputSpec("x")], attributes: softmaxAxis,
        gradient: "dx = g - exp(y) * Σ g  along the axis", summary: "x - logsumexp(x) along an axis")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }
    func axis(_ rank: Int) throws(OpError) -> Int { try normalizeAxis(attributes.int("axis"), rank: rank, op: name) }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { _ = try axis(s[0].count); return [s[0]] }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        x[0].isScalar ? [Tensor(0)] : [softmaxRows(x[0], try axis(x[0].rank), log: true)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        if c[0].isScalar { return [Tensor(0)] }
        return [softmaxRowsBackward(c.y, c.g, try! axis(c[0].rank), log: true)]
    }
}
