import COpenBLAS

/// The one place GradvizCore calls OpenBLAS: matrix products for matmul and convolution.
///
/// Same bits whatever the thread count. OpenBLAS's own threads change results (measured:
/// with 4 threads instead of 1, some thousand elements of a 301×257 @ 257×263 product
/// differ in the last bits, as the threads' blocks meet the kernels' edge cases
/// differently). So OpenBLAS runs single-threaded, and gradviz divides a large product
/// itself: the rows (or columns) of C are cut into blocks whose sizes depend only on the
/// shapes, each block is one single-threaded dgemm, and the blocks are spread over the
/// cores (`Parallel`). How many cores run them changes when a block is computed, never
/// what it holds (`ParallelDeterminismTests` compares the bits computed on one thread and on all).
/// gradviz calls no other BLAS routine.
enum BLAS {
    /// OpenBLAS's own threading is turned off once, before the first product, or earlier
    /// (`singleThreadedBLAS()`).
    static let singleThreaded: Void = gradviz_openblas_single_threaded()

    /// C[m, n] = op(A) · op(B) + beta · C, row-major, where op(A) is [m, k] (A itself, or
    /// Aᵀ when `transA`) and op(B) is [k, n]. beta is 0 (C is written, its old contents
    /// ignored, NaN included) or 1 (added into C).
    static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                     _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int,
                     beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // An empty sum: BLAS would refuse the leading dimensions of empty matrices.
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        _ = singleThreaded
        let blocks = Blocks(m: m, n: n, k: k)
        let one = { (block: Int) in
            let start = block * blocks.size, count = Swift.min(blocks.size, blocks.length - start)
            // Rows start..<start+count of C take those rows of op(A); columns, those of op(B).
            let (bm, bn) = blocks.alongRows ? (count, n) : (m, count)
            let a0 = blocks.alongRows ? a + (transA ? start : start * lda) : a
            let b0 = blocks.alongRows ? b : b + (transB ? start * ldb : start)
            let c0 = c + (blocks.alongRows ? start * ldc : start)
            cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(bm), Int32(bn), Int32(k), 1, a0, Int32(lda), b0, Int32(ldb), beta, c0, Int32(ldc))
        }
        Parallel.run(blocks.count, one)
    }

    /// How a product is cut: along the longer of C's two sides, into at most 8 blocks of a
    /// multiple of 8 rows or columns (OpenBLAS's kernels work in 4 and 8), each worth
    /// at least about a million multiply-adds. A function of the shape alone.
    struct Blocks {
        let alongRows: Bool, length: Int, size: Int, count: Int

        init(m: Int, n: Int, k: Int) {
            alongRows = m >= n
            length = alongRows ? m : n
            let work = m.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: k)
            let parts = Swift.min(8, work.overflow ? 8 : work.partialValue >> 20, length / 8)
            if parts <= 1 { size = length; count = 1; return }
            size = ((length + parts - 1) / parts + 7) / 8 * 8
            count = (length + size - 1) / size
        }
    }
}

/// Makes OpenBLAS single-threaded now and stops the worker threads it started when it was
/// loaded, which otherwise spin idle for about 0.1 s of CPU (measured: 0.10 s of a 0.6 s
/// run of a 100,000-op scalar model, which never calls OpenBLAS). A program calls it first
/// thing, as the gradviz command does; without it this happens before the first product.
public func singleThreadedBLAS() { _ = BLAS.singleThreaded }

extension Array where Element == Double {
    /// An array of `count` elements that `body` must write in full (a product with beta 0,
    /// a copy) before anyone reads them: no zero-filling of memory about to be overwritten.
    @inlinable
    init(writing count: Int, _ body: (UnsafeMutablePointer<Double>) -> Void) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { body(buffer.baseAddress!) }
            initialized = count
        }
    }
}
