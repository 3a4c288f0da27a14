/// torch.matmul: 1-D·1-D is a dot product, a 1-D operand is promoted to a row (left) or a
/// column (right) and that dimension dropped again, and 3-D and more are batches of
/// matrices whose batch dimensions broadcast.
public struct Matmul: NoAttributes {
    public static let info = OpInfo(name: "matmul", symbol: "@", inputs: [InputSpec("a"), InputSpec("b")],
        gradient: "da = g @ bᵀ;  db = aᵀ @ g  (batch dimensions summed back)",
        summary: "matrix product as torch.matmul")
    public init() {}

    /// The product seen as batches of [n, k] @ [k, m].
    struct Plan {
        var n = 0, k = 0, m = 0
        var batch: [Int] = []
        var aBatch: [Int] = [], bBatch: [Int] = []
        var out: [Int] = []
    }

    func plan(_ a: [Int], _ b: [Int]) throws(OpError) -> Plan {
        guard !a.isEmpty, !b.isEmpty else {
            throw OpError("matmul: both inputs need at least one dimension, got a \(shapeText(a)) and b \(shapeText(b))")
        }
        let a2 = a.count == 1 ? [1, a[0]] : a
        let b2 = b.count == 1 ? [b[0], 1] : b
        var p = Plan()
        p.n = a2[a2.count - 2]; p.k = a2[a2.count - 1]; p.m = b2[b2.count - 1]
        guard b2[b2.count - 2] == p.k else {
            throw OpError("matmul: a \(shapeText(a)) and b \(shapeText(b)) do not fit: a has \(p.k) columns, b has \(b2[b2.count - 2]) rows")
        }
        p.aBatch = Array(a2.dropLast(2)); p.bBatch = Array(b2.dropLast(2))
        guard let batch = broadcastShapes(p.aBatch, p.bBatch) else {
            throw OpError("matmul: batch dimensions of a \(shapeText(a)) and b \(shapeText(b)) do not broadcast")
        }
        p.batch = batch
        p.out = batch + (a.count == 1 ? [] : [p.n]) + (b.count == 1 ? [] : [p.m])
        return p
    }

    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { [try plan(s[0], s[1]).out] }

    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let p = try plan(x[0].shape, x[1].shape)
        var out = [Double](repeating: 0, count: Tensor.count(of: p.batch) * p.n * p.m)
        eachBatch(p) { ia, ib, io in
            gemm(x[0].data, ia, x[1].data, ib, &out, io, p.n, p.k, p.m)
        }
        return [Tensor(shape: p.out, data: out)]
    }

    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let p = try! plan(c[0].shape, c[1].shape)
        let a = c[0], b = c[1], g = c.g.data
        // Gradients are formed at the broadcast batch shape, then summed to each input's.
        var ga: [Double]? = c.needs(0) ? [Double](repeating: 0, count: Tensor.count(of: p.batch) * p.n * p.k) : nil
        var gb: [Double]? = c.needs(1) ? [Double](repeating: 0, count: Tensor.count(of: p.batch) * p.k * p.m) : nil
        var batchIndex = 0
        eachBatch(p) { ia, ib, io in
            if ga != nil { gemmNT(g, io, b.data, ib, &ga!, batchIndex * p.n * p.k, p.n, p.m, p.k) }
            if gb != nil { gemmTN(a.data, ia, g, io, &gb!, batchIndex * p.k * p.m, p.k, p.n, p.m) }
            batchIndex += 1
        }
        let da = ga.map { Tensor(shape: p.batch + [p.n, p.k], data: $0).sum(toShape: p.aBatch + [p.n, p.k]).reshaped(a.shape) }
        let db = gb.map { Tensor(shape: p.batch + [p.k, p.m], data: $0).sum(toShape: p.bBatch + [p.k, p.m]).reshaped(b.shape) }
        return [da, db]
    }

    /// Calls `body` with the offsets of a's matrix, b's matrix and the output's matrix for
    /// every batch index, in row-major order.
    private func eachBatch(_ p: Plan, _ body: (Int, Int, Int) -> Void) {
        let sa = broadcastStrides(p.aBatch, to: p.batch).map { $0 * p.n * p.k }
        let sb = broadcastStrides(p.bBatch, to: p.batch).map { $0 * p.k * p.m }
        var io = 0
        if p.batch.isEmpty { body(0, 0, 0); return }
        forEachOffset(p.batch, sa, sb) { ia, ib in
            body(ia, ib, io)
            io += p.n * p.m
        }
    }
}

/// c[n, m] += a[n, k] · b[k, m]; the i-k-j order keeps the inner loop on contiguous rows.
func gemm(_ a: [Double], _ ao: Int, _ b: [Double], _ bo: Int, _ c: inout [Double], _ co: Int, _ n: Int, _ k: Int, _ m: Int) {
    a.withUnsafeBufferPointer { A in
        b.withUnsafeBufferPointer { B in
            c.withUnsafeMutableBufferPointer { C in
                for i in 0..<n {
                    let crow = co + i * m
                    for p in 0..<k {
                        let aip = A[ao + i * k + p]
                        let brow = bo + p * m
                        for j in 0..<m { C[crow + j] += aip * B[brow + j] }
                    }
                }
            }
        }
    }
}

/// c[n, k] += a[n, m] · b[k, m]ᵀ: each entry is a dot product of two contiguous rows.
func gemmNT(_ a: [Double], _ ao: Int, _ b: [Double], _ bo: Int, _ c: inout [Double], _ co: Int, _ n: Int, _ m: Int, _ k: Int) {
    a.withUnsafeBufferPointer { A in
        b.withUnsafeBufferPointer { B in
            c.withUnsafeMutableBufferPointer { C in
                for i in 0..<n {
                    let arow = ao + i * m
                    for j in 0..<k {
                        let brow = bo + j * m
                        var s = 0.0
                        for p in 0..<m { s += A[arow + p] * B[brow + p] }
                        C[co + i * k + j] += s
                    }
                }
            }
        }
    }
}

/// c[k, m] += a[n, k]ᵀ · b[n, m]: accumulate outer products of rows, contiguous inner loop.
func gemmTN(_ a: [Double], _ ao: Int, _ b: [Double], _ bo: Int, _ c: inout [Double], _ co: Int, _ k: Int, _ n: Int, _ m: Int) {
    a.withUnsafeBufferPointer { A in
        b.withUnsafeBufferPointer { B in
            c.withUnsafeMutableBufferPointer { C in
                for r in 0..<n {
                    let brow = bo + r * m
                    for i in 0..<k {
                        let ari = A[ao + r * k + i]
                        let crow = co + i * m
                        for j in 0..<m { C[crow + j] += ari * B[brow + j] }
                    }
                }
            }
        }
    }
}
