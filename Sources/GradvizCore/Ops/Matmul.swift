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
        var batchCount: Int { Tensor.count(of: batch) }
        var aBatchCount: Int { Tensor.count(of: aBatch) }
        var bBatchCount: Int { Tensor.count(of: bBatch) }
        /// b is one matrix and a a stack of them: the batch is just more rows of a.
        var foldsIntoRows: Bool { bBatchCount == 1 && aBatchCount == batchCount && batchCount > 1 }
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
        let (n, k, m) = (p.n, p.k, p.m)
        let out = [Double](writing: p.batchCount * n * m) { C in
            x[0].data.withUnsafeBufferPointer { A in
                x[1].data.withUnsafeBufferPointer { B in
                    let a = A.baseAddress!, b = B.baseAddress!
                    if p.foldsIntoRows {
                        // One [batch·n, k] @ [k, m] product instead of one per matrix.
                        BLAS.gemm(m: p.batchCount * n, n: m, k: k, a, lda: k, b, ldb: m, beta: 0, C, ldc: m)
                        return
                    }
                    eachBatch(p, separate: true) { ia, ib, io in
                        BLAS.gemm(m: n, n: m, k: k, a + ia, lda: k, b + ib, ldb: m, beta: 0, C + io, ldc: m)
                    }
                }
            }
        }
        return [Tensor(shape: p.out, data: out)]
    }

    /// da = g @ bᵀ and db = aᵀ @ g per matrix. An input broadcast over batch dimensions
    /// receives the sum over them: its matrix is accumulated into (beta 1), batch by batch
    /// in row-major order, so no gradient of the broadcast shape is ever allocated.
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let p = try! plan(c[0].shape, c[1].shape)
        let (n, k, m) = (p.n, p.k, p.m)
        var da: Tensor?, db: Tensor?
        c[0].data.withUnsafeBufferPointer { A in
            c[1].data.withUnsafeBufferPointer { B in
                c.g.data.withUnsafeBufferPointer { G in
                    let a = A.baseAddress!, b = B.baseAddress!, g = G.baseAddress!
                    if c.needs(0) {
                        let data = matrixGradient(count: A.count, broadcast: p.aBatchCount != p.batchCount) { out, beta in
                            if p.foldsIntoRows {
                                BLAS.gemm(transB: true, m: p.batchCount * n, n: k, k: m, g, lda: m, b, ldb: m, beta: 0, out, ldc: k)
                                return
                            }
                            eachBatch(p, separate: beta == 0) { ia, ib, io in
                                BLAS.gemm(transB: true, m: n, n: k, k: m, g + io, lda: m, b + ib, ldb: m, beta: beta, out + ia, ldc: k)
                            }
                        }
                        da = Tensor(shape: c[0].shape, data: data)
                    }
                    if c.needs(1) {
                        let data = matrixGradient(count: B.count, broadcast: p.bBatchCount != p.batchCount) { out, beta in
                            if p.foldsIntoRows {
                                BLAS.gemm(transA: true, m: k, n: m, k: p.batchCount * n, a, lda: k, g, ldb: m, beta: 0, out, ldc: m)
                                return
                            }
                            eachBatch(p, separate: beta == 0) { ia, ib, io in
                                BLAS.gemm(transA: true, m: k, n: m, k: n, a + ia, lda: k, g + io, ldb: m, beta: beta, out + ib, ldc: m)
                            }
                        }
                        db = Tensor(shape: c[1].shape, data: data)
                    }
                }
            }
        }
        return [da, db]
    }

    /// The gradient of one input: written once per matrix (beta 0) when each of its
    /// matrices meets one batch, summed into zeros (beta 1) when it is broadcast.
    private func matrixGradient(count: Int, broadcast: Bool,
                                _ fill: (UnsafeMutablePointer<Double>, Double) -> Void) -> [Double] {
        if !broadcast { return [Double](writing: count) { fill($0, 0) } }
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { if count > 0 { fill($0.baseAddress!, 1) } }
        return out
    }

    /// Calls `body` with the offsets of a's matrix, b's matrix and the output's matrix for
    /// every batch index. `separate`: every batch writes its own output matrix, so batches
    /// run in chunks on the cores (each product the same whoever computes it); otherwise
    /// they add into shared matrices, one after another in row-major order.
    private func eachBatch(_ p: Plan, separate: Bool, _ body: (Int, Int, Int) -> Void) {
        if p.batch.isEmpty { body(0, 0, 0); return }
        let sa = broadcastStrides(p.aBatch, to: p.batch).map { $0 * p.n * p.k }
        let sb = broadcastStrides(p.bBatch, to: p.batch).map { $0 * p.k * p.m }
        var offsets: [(Int, Int, Int)] = []
        offsets.reserveCapacity(p.batchCount)
        forEachOffset(p.batch, sa, sb) { ia, ib in offsets.append((ia, ib, offsets.count * p.n * p.m)) }
        guard separate else { for (ia, ib, io) in offsets { body(ia, ib, io) }; return }
        // Chunks of at least about a million multiply-adds, as BLAS.Blocks cuts one product.
        let work = Swift.max(1, p.n * p.k * p.m)
        Parallel.forEach(offsets.count, grain: Swift.max(1, (1 << 20) / work)) { batches in
            for b in batches { body(offsets[b].0, offsets[b].1, offsets[b].2) }
        }
    }
}
