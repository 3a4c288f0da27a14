/// A dense float64 tensor in row-major order. A scalar has shape `[]` and one element.
///
/// Tensors are values: copying one shares storage until one of the copies is written
/// (Swift's copy-on-write arrays), so passing them between ops costs nothing.
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
    public var shape: [Int]
    public var data: [Double]

    public init(shape: [Int], data: [Double]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(Tensor.count(of: shape) == data.count,
                     "shape \(shape) holds \(Tensor.count(of: shape)) elements, data has \(data.count)")
        self.shape = shape
        self.data = data
    }

    public init(_ scalar: Double) {
        self.shape = []
        self.data = [scalar]
    }

    /// A 1-D tensor.
    public init(_ values: [Double]) {
        self.shape = [values.count]
        self.data = values
    }

    /// A 2-D tensor from rows of equal length.
    public init(rows: [[Double]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "ragged rows")
        self.shape = [rows.count, columns]
        self.data = rows.flatMap { $0 }
    }

    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }
    public static func full(_ shape: [Int], _ value: Double) -> Tensor {
        Tensor(shape: shape, data: [Double](repeating: value, count: count(of: shape)))
    }

    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Element count of `shape`, or nil when it overflows (shapes a user wrote).
    public static func checkedCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            let (r, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = r
        }
        return n
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    public var isScalar: Bool { shape.isEmpty }
    /// The single element of a one-element tensor.
    public var scalar: Double { precondition(data.count == 1); return data[0] }
    public var isFinite: Bool { data.allSatisfy { $0.isFinite } }

    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, data: data) }

    /// Applies `f` to every element; a large tensor in chunks on the cores (`Parallel`), so
    /// `f` must not keep state.
    @inlinable
    public func map(_ f: (Double) -> Double) -> Tensor {
        // A plain loop into uninitialized storage: Array.map appends element by element,
        // with a capacity check each time, which keeps the loop from being vectorized.
        let out = [Double](writing: count) { out in
            data.withUnsafeBufferPointer { src in
                Parallel.forEach(src.count) { range in for i in range { out[i] = f(src[i]) } }
            }
        }
        return Tensor(shape: shape, data: out)
    }

    public var description: String {
        if isScalar { return "\(data[0])" }
        let preview = data.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(data.count > 8 ? ", ..." : "")])"
    }
}

// MARK: - Shapes

/// Row-major strides of `shape`.
@inlinable
func strides(of shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        s[i] = acc
        acc *= shape[i]
    }
    return s
}

/// NumPy/PyTorch broadcasting of two shapes, or nil when they do not broadcast.
public func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int]? {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da == db || db == 1 { out[i] = da }
        else if da == 1 { out[i] = db }
        else { return nil }
    }
    return out
}

/// Strides for reading a tensor of `shape` as if it had the (broadcast) shape `target`:
/// broadcast dimensions get stride 0.
@inlinable
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = strides(of: shape)
    let offset = target.count - shape.count
    var out = [Int](repeating: 0, count: target.count)
    for i in 0..<shape.count where shape[i] != 1 || target[i + offset] == 1 {
        out[i + offset] = shape[i] == 1 ? 0 : own[i]
    }
    return out
}

/// Walks every index of `shape` in row-major order and calls `body(a, b)` with the
/// offsets given by two stride vectors, starting from offsets a0 and b0. The innermost
/// dimension is a plain loop, so the cost per element is an add, not an index computation.
@inlinable @inline(__always)
func forEachOffset(_ shape: [Int], _ sa: [Int], _ sb: [Int], from a0: Int = 0, _ b0: Int = 0, _ body: (Int, Int) -> Void) {
    forEachOffset(shape, sa, sb, rows: 0..<rowCount(shape), from: a0, b0) { _, a, b in body(a, b) }
}

/// `forEachOffset` over the rows `rows` of `shape` (a row: one index of all dimensions but
/// the last; a shape [] is one row of one element), `body(i, a, b)` with i the row-major
/// index of the element.
@inlinable @inline(__always)
func forEachOffset(_ shape: [Int], _ sa: [Int], _ sb: [Int], rows: Range<Int>, from a0: Int = 0, _ b0: Int = 0,
                   _ body: (Int, Int, Int) -> Void) {
    let rank = shape.count
    if rank == 0 { if !rows.isEmpty { body(0, a0, b0) }; return }
    let inner = shape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1]
    if inner == 0 || rows.isEmpty { return }
    // The index and offsets of the first row.
    var index = [Int](repeating: 0, count: rank)
    var oa = a0, ob = b0, r = rows.lowerBound
    for d in stride(from: rank - 2, through: 0, by: -1) {
        index[d] = r % shape[d]
        r /= shape[d]
        oa += index[d] * sa[d]; ob += index[d] * sb[d]
    }
    var i = rows.lowerBound * inner
    for _ in rows {
        var a = oa, b = ob
        for _ in 0..<inner {
            body(i, a, b)
            i += 1; a += ia; b += ib
        }
        // Advance the odometer over the outer dimensions.
        var d = rank - 2
        while d >= 0 {
            index[d] += 1
            oa += sa[d]; ob += sb[d]
            if index[d] < shape[d] { break }
            oa -= sa[d] * shape[d]; ob -= sb[d] * shape[d]
            index[d] = 0
            d -= 1
        }
    }
}

/// How many rows `forEachOffset` sees in `shape` (0 when it has no elements).
@inlinable
func rowCount(_ shape: [Int]) -> Int {
    shape.isEmpty ? 1 : Tensor.count(of: shape) / Swift.max(shape[shape.count - 1], 1)
}

/// The rows of `shape` in chunks on the cores (`Parallel`): `body(rows)` walks them with
/// `forEachOffset(shape, ..., rows: rows) { i, a, b in ... }`. Write the work of an element
/// as that closure, inside `body`: a closure passed in from outside would be called per
/// element, not inlined into the loop.
@inlinable
func forEachRowChunk(_ shape: [Int], _ body: (Range<Int>) -> Void) {
    let inner = shape.last ?? 1
    Parallel.forEach(rowCount(shape), itemSize: inner, body)
}

extension Tensor {
    /// `self` broadcast to `target` (which must be a broadcast of `shape`), materialized.
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        return gathered(target, broadcastStrides(shape, to: target))
    }

    /// The tensor of shape `target` whose element i is this one's at the offset that
    /// `readStrides` give i's index (a broadcast, a permutation of the axes).
    func gathered(_ target: [Int], _ readStrides: [Int]) -> Tensor {
        let out = [Double](writing: Tensor.count(of: target)) { dst in
            data.withUnsafeBufferPointer { src in
                forEachRowChunk(target) { rows in
                    forEachOffset(target, readStrides, readStrides, rows: rows) { i, a, _ in dst[i] = src[a] }
                }
            }
        }
        return Tensor(shape: target, data: out)
    }

    /// Sums a gradient of a broadcast shape back to `target`, the shape of the input that
    /// was broadcast: the vector-Jacobian product of broadcasting. Every sum adds its terms
    /// in row-major order; on the cores the work is cut along the longest axis that is kept,
    /// so each sum is in one chunk and the bits are those of the loop on one thread.
    public func sum(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        var out = [Double](repeating: 0, count: Tensor.count(of: target))
        let s = broadcastStrides(target, to: shape)
        let own = strides(of: shape)
        let axis = shape.indices.filter { s[$0] != 0 }.max { shape[$0] < shape[$1] }
        out.withUnsafeMutableBufferPointer { dst in
            data.withUnsafeBufferPointer { src in
                guard let axis else {
                    forEachOffset(shape, own, s) { a, b in dst[b] += src[a] }
                    return
                }
                Parallel.forEach(shape[axis], grain: Swift.max(1, Parallel.grain * shape[axis] / Swift.max(src.count, 1))) { range in
                    var part = shape
                    part[axis] = range.count
                    forEachOffset(part, own, s, from: range.lowerBound * own[axis], range.lowerBound * s[axis]) { a, b in dst[b] += src[a] }
                }
            }
        }
        return Tensor(shape: target, data: out)
    }

    /// Elementwise combination of two broadcastable tensors; a large one in chunks on the
    /// cores (`Parallel`), so `f` must not keep state.
    @inlinable
    public static func zip(_ a: Tensor, _ b: Tensor, _ f: (Double, Double) -> Double) -> Tensor {
        if a.shape == b.shape {
            let out = [Double](writing: a.count) { out in
                a.data.withUnsafeBufferPointer { x in
                    b.data.withUnsafeBufferPointer { y in
                        Parallel.forEach(x.count) { range in for i in range { out[i] = f(x[i], y[i]) } }
                    }
                }
            }
            return Tensor(shape: a.shape, data: out)
        }
        guard let shape = broadcastShapes(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
        let out = [Double](writing: Tensor.count(of: shape)) { dst in
            a.data.withUnsafeBufferPointer { x in
                b.data.withUnsafeBufferPointer { y in
                    forEachRowChunk(shape) { rows in
                        forEachOffset(shape, sa, sb, rows: rows) { i, oa, ob in dst[i] = f(x[oa], y[ob]) }
                    }
                }
            }
        }
        return Tensor(shape: shape, data: out)
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { zip(a, b, +) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { zip(a, b, -) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { zip(a, b, *) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { zip(a, b, /) }
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }
    public static func * (a: Tensor, s: Double) -> Tensor { a.map { $0 * s } }

    /// In-place accumulation of a same-shape tensor (gradient summation at fan-out).
    public static func += (a: inout Tensor, b: Tensor) {
        precondition(a.shape == b.shape, "accumulating \(b.shape) into \(a.shape)")
        a.data.withUnsafeMutableBufferPointer { x in
            b.data.withUnsafeBufferPointer { y in
                Parallel.forEach(x.count) { range in for i in range { x[i] += y[i] } }
            }
        }
    }

    /// Sum of all elements.
    public func sum() -> Double { data.reduce(0, +) }
}
