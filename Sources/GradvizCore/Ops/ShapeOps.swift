// Ops that move values without computing on them; each backward moves the gradient back.

/// Permutes the axes of `t` (out axis i is input axis perm[i]).
func permute(_ t: Tensor, _ perm: [Int]) -> Tensor {
    let outShape = perm.map { t.shape[$0] }
    let inStrides = strides(of: t.shape)
    return t.gathered(outShape, perm.map { inStrides[$0] })
}

public struct Transpose: Op {
    public static let info = OpInfo(name: "transpose", symbol: "ᵀ", inputs: [InputSpec("x")],
        attributes: [AttrSpec("perm", .ints, default: .null, "axis order; default reverses the axes")],
        gradient: "dx = transpose(g, inverse(perm))", summary: "permute axes")
    public let attributes: Attributes
    let perm: [Int]?
    public init(_ attributes: Attributes) throws(OpError) {
        self.attributes = attributes
        if case .ints(let p)? = attributes["perm"] { perm = p } else { perm = nil }
    }
    func resolvedPerm(_ rank: Int) throws(OpError) -> [Int] {
        guard let perm else { return Array((0..<rank).reversed()) }
        guard perm.count == rank else {
            throw OpError("transpose: perm \(perm) has \(perm.count) axes, the input has rank \(rank)")
        }
        var p: [Int] = []
        for a in perm { p.append(try normalizeAxis(a, rank: rank, op: "transpose")) }
        guard Set(p).count == rank else { throw OpError("transpose: perm \(perm) is not a permutation of the axes") }
        return p
    }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { [try resolvedPerm(s[0].count).map { s[0][$0] }] }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] { [permute(x[0], try resolvedPerm(x[0].rank))] }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let p = try! resolvedPerm(c[0].rank)
        var inverse = [Int](repeating: 0, count: p.count)
        for (i, a) in p.enumerated() { inverse[a] = i }
        return [permute(c.g, inverse)]
    }
}

public struct Reshape: Op {
    public static let info = OpInfo(name: "reshape", inputs: [InputSpec("x")],
        attributes: [AttrSpec("shape", .ints, default: nil, "new shape, row-major; one -1 is inferred")],
        gradient: "dx = reshape(g, shape of x)", summary: "same values, new shape")
    public let attributes: Attributes
    let shape: [Int]
    public init(_ attributes: Attributes) throws(OpError) {
        self.attributes = attributes
        shape = attributes.ints("shape")
    }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        let count = Tensor.count(of: s[0])
        guard shape.filter({ $0 == -1 }).count <= 1, shape.allSatisfy({ $0 >= -1 }) else {
            throw OpError("reshape: shape \(shape) may hold one -1 and otherwise sizes ≥ 0")
        }
        var out = shape
        guard let known = Tensor.checkedCount(shape.filter { $0 != -1 }) else {
            throw OpError("reshape: shape \(shape) has too many elements")
        }
        if let i = shape.firstIndex(of: -1) {
            guard known > 0, count % known == 0 else {
                throw OpError("reshape: cannot reshape \(shapeText(s[0])) (\(count) elements) to \(shape)")
            }
            out[i] = count / known
        }
        guard Tensor.checkedCount(out) == count else {
            throw OpError("reshape: cannot reshape \(shapeText(s[0])) (\(count) elements) to \(shapeText(shape)) (\(Tensor.count(of: out)) elements)")
        }
        return [out]
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] { [x[0].reshaped(try outputShapes([x[0].shape])[0])] }
    public func vjp(_ c: VJPContext) -> [Tensor?] { [c.g.reshaped(c[0].shape)] }
}

/// Views a shape as [outer, axis, inner] around `axis`.
func around(_ shape: [Int], _ axis: Int) -> (outer: Int, size: Int, inner: Int) {
    (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
}

public struct Concat: Op {
    public static let info = OpInfo(name: "concat", symbol: "concat", inputs: [InputSpec("x", variadic: true)],
        attributes: [AttrSpec("axis", .axis, default: .int(0))],
        gradient: "dxi = the slice of g where xi was placed", summary: "join tensors along an axis")
    public let attributes: Attributes
    let axis: Int
    public init(_ attributes: Attributes) throws(OpError) {
        self.attributes = attributes
        axis = attributes.int("axis")
    }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        let first = s[0]
        guard !first.isEmpty else { throw OpError("concat: scalars cannot be concatenated (x1 has shape [])") }
        let ax = try normalizeAxis(axis, rank: first.count, op: "concat")
        var total = 0
        for (i, t) in s.enumerated() {
            var a = t, b = first
            guard a.count == b.count else {
                throw OpError("concat: x\(i + 1) has shape \(shapeText(t)), x1 has \(shapeText(first)): ranks differ")
            }
            total += t[ax]
            a[ax] = 0; b[ax] = 0
            guard a == b else {
                throw OpError("concat: x\(i + 1) has shape \(shapeText(t)), x1 has \(shapeText(first)): only axis \(axis) may differ")
            }
        }
        var out = first
        out[ax] = total
        return [out]
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let shape = try outputShapes(x.map(\.shape))[0]
        let ax = try normalizeAxis(axis, rank: shape.count, op: "concat")
        let (outer, _, inner) = around(shape, ax)
        var out = [Double]()
        out.reserveCapacity(Tensor.count(of: shape))
        for o in 0..<outer {
            for t in x {
                let block = t.shape[ax] * inner
                out.append(contentsOf: t.data[(o * block)..<((o + 1) * block)])
            }
        }
        return [Tensor(shape: shape, data: out)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let ax = try! normalizeAxis(axis, rank: c.y.rank, op: "concat")
        return splitAlong(c.g, ax, c.inputs.map { $0.shape[ax] }).enumerated().map { c.needs($0) ? $1 : nil }
    }
}

/// Cuts `t` along `axis` into pieces of the given sizes.
func splitAlong(_ t: Tensor, _ axis: Int, _ sizes: [Int]) -> [Tensor] {
    let (outer, total, inner) = around(t.shape, axis)
    var pieces = sizes.map { _ in [Double]() }
    for i in pieces.indices { pieces[i].reserveCapacity(outer * sizes[i] * inner) }
    for o in 0..<outer {
        var start = o * total * inner
        for (i, s) in sizes.enumerated() {
            pieces[i].append(contentsOf: t.data[start..<(start + s * inner)])
            start += s * inner
        }
    }
    return zip(sizes, pieces).map { size, data in
        var shape = t.shape
        shape[axis] = size
        return Tensor(shape: shape, data: data)
    }
}

public struct Split: Op {
    public static let info = OpInfo(name: "split", symbol: "split", inputs: [InputSpec("x")],
        attributes: [AttrSpec("axis", .axis, default: .int(0)),
                     AttrSpec("sizes", .ints, default: nil, "size of each piece; they must add up to the axis")],
        gradient: "dx = concat(g1, g2, ...)  (zeros for unused pieces)", summary: "cut a tensor into pieces (several outputs)",
        outputCount: nil)
    public let attributes: Attributes
    let axis: Int
    let sizes: [Int]
    public init(_ attributes: Attributes) throws(OpError) {
        self.attributes = attributes
        axis = attributes.int("axis")
        sizes = attributes.ints("sizes")
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 0 }) else {
            throw OpError("split: sizes must be a non-empty list of sizes ≥ 0, got \(sizes)")
        }
    }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        guard !s[0].isEmpty else { throw OpError("split: a scalar cannot be split") }
        let ax = try normalizeAxis(axis, rank: s[0].count, op: "split")
        guard sizes.reduce(0, +) == s[0][ax] else {
            throw OpError("split: sizes \(sizes) add up to \(sizes.reduce(0, +)), but axis \(axis) of x \(shapeText(s[0])) has \(s[0][ax])")
        }
        return sizes.map { var t = s[0]; t[ax] = $0; return t }
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        splitAlong(x[0], try normalizeAxis(axis, rank: x[0].rank, op: "split"), sizes)
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let ax = try! normalizeAxis(axis, rank: c[0].rank, op: "split")
        return [try! Concat(Attributes(validating: [("axis", .int(ax))], for: Concat.info)).forward(c.upstream)[0]]
    }
}

public struct Slice: Op {
    public static let info = OpInfo(name: "slice", symbol: "[:]", inputs: [InputSpec("x")],
        attributes: [AttrSpec("axis", .axis, default: .int(0)), AttrSpec("start", .int, default: .int(0)),
                     AttrSpec("end", .int, default: .null, "default: the size of the axis"), AttrSpec("step", .int, default: .int(1))],
        gradient: "dx = g scattered back into zeros at the sliced positions", summary: "x[start:end:step] along an axis (Python semantics)")
    public let attributes: Attributes
    let axis: Int, start: Int, end: Int?, step: Int
    public init(_ attributes: Attributes) throws(OpError) {
        self.attributes = attributes
        axis = attributes.int("axis")
        start = attributes.int("start")
        if case .int(let e)? = attributes["end"] { end = e } else { end = nil }
        step = attributes.int("step")
        guard step > 0 else { throw OpError("slice: step must be > 0, got \(step)") }
    }
    /// Python's slice.indices for a positive step: (first index, count).
    func range(_ size: Int) -> (Int, Int) {
        func clamp(_ i: Int) -> Int { i < 0 ? Swift.max(0, i + size) : Swift.min(i, size) }
        let s = clamp(start), e = clamp(end ?? size)
        return (s, e > s ? (e - s + step - 1) / step : 0)
    }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        guard !s[0].isEmpty else { throw OpError("slice: a scalar cannot be sliced") }
        let ax = try normalizeAxis(axis, rank: s[0].count, op: "slice")
        var out = s[0]
        out[ax] = range(s[0][ax]).1
        return [out]
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let t = x[0]
        let ax = try normalizeAxis(axis, rank: t.rank, op: "slice")
        let (outer, size, inner) = around(t.shape, ax)
        let (first, count) = range(size)
        var out = [Double]()
        out.reserveCapacity(outer * count * inner)
        for o in 0..<outer {
            for j in 0..<count {
                let base = (o * size + first + j * step) * inner
                out.append(contentsOf: t.data[base..<(base + inner)])
            }
        }
        var shape = t.shape
        shape[ax] = count
        return [Tensor(shape: shape, data: out)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let ax = try! normalizeAxis(axis, rank: c[0].rank, op: "slice")
        let (outer, size, inner) = around(c[0].shape, ax)
        let (first, count) = range(size)
        var dx = [Double](repeating: 0, count: c[0].count)
        var k = 0
        for o in 0..<outer {
            for j in 0..<count {
                let base = (o * size + first + j * step) * inner
                for i in 0..<inner { dx[base + i] = c.g.data[k]; k += 1 }
            }
        }
        return [Tensor(shape: c[0].shape, data: dx)]
    }
}
