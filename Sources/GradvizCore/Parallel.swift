import Dispatch

/// The one way GradvizCore spreads work over the cores: matrix products (`BLAS`), and the
/// elementwise ops, rows of softmax and normalization, and broadcast reductions.
///
/// Same bits whatever the thread count: work is cut into chunks by its size alone, never by
/// the number of cores, and every output element is computed by the same arithmetic in the
/// same order whichever thread runs its chunk. An op whose output element sums over several
/// chunks' inputs cuts along the elements it sums into instead (`Tensor.sum(toShape:)`), so
/// each sum stays in one chunk, in the order of the loop on one thread.
/// (`ParallelDeterminismTests` compares the bits of one thread and of all.)
@usableFromInline
enum Parallel {
    /// false runs the chunks one after another on the calling thread (tests compare it with
    /// the parallel run).
    @usableFromInline nonisolated(unsafe) static var enabled = true

    /// Elements per chunk, at least: an add of 32 K elements takes ~10 µs, a few times what
    /// handing a chunk to another thread costs.
    @usableFromInline static let grain = 1 << 15

    /// At most this many chunks: enough to even out two cores when one is also busy with
    /// something else, few enough that each is worth handing over.
    static let maxChunks = 8

    /// Runs `body(chunk)` for chunk in 0..<count, on the cores when `enabled`.
    @usableFromInline static func run(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 { body(0) }
        else if enabled { DispatchQueue.concurrentPerform(iterations: count, execute: body) }
        else { for chunk in 0..<count { body(chunk) } }
    }

    /// `forEach` over `count` items of `itemSize` elements each (rows of a softmax, groups
    /// of a norm): chunks of at least `grain` elements.
    @usableFromInline static func forEach(_ count: Int, itemSize: Int, _ body: (Range<Int>) -> Void) {
        forEach(count, grain: Swift.max(1, grain / Swift.max(itemSize, 1)), body)
    }

    /// Cuts 0..<count into consecutive ranges of at least `grain` items each (one range when
    /// count < 2 grain; at most `maxChunks`), a function of count and grain alone, and runs
    /// `body` on each.
    @usableFromInline static func forEach(_ count: Int, grain: Int = Parallel.grain, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = Swift.max(1, Swift.min(maxChunks, count / Swift.max(grain, 1)))
        let size = (count + chunks - 1) / chunks
        run((count + size - 1) / size) { chunk in
            body((chunk * size)..<Swift.min(count, (chunk + 1) * size))
        }
    }
}
