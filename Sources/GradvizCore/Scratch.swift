import COpenBLAS
import Foundation

/// Keeps the memory that tensors free inside the process for the next ones. By default
/// glibc serves a large block with freshly mapped pages (above a threshold that starts at
/// 128 KiB) and soon gives the free top of the heap back to the system, so the
/// intermediate tensors of every pass are faulted in and zeroed by the kernel page by page
/// (measured on the transformer bench, 7 passes: 203,000 page faults and 0.80 s of system
/// time; with this, 30,000 and 0.08 s, the same peak RSS). Blocks up to 32 MiB (the largest
/// threshold glibc takes) now come from the heap, and up to 1 GiB of freed memory stays in
/// it. A program calls it first thing, as the gradviz command does.
public func keepFreedTensorMemory() { gradviz_keep_freed_memory(32 << 20, 1 << 30) }

/// Scratch memory for the column matrices of convolution. A call takes a buffer and gives
/// it back, so the largest buffer asked for serves every conv2d node of a model in turn
/// (forward and backward), instead of one per node or per image: no memory kept per node,
/// and no fresh pages to fault in for every call.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()

    private let lock = NSLock()
    private var free: [UnsafeMutableBufferPointer<Double>] = []
    /// Buffers kept between calls: one per thread that may compute at the same time.
    private let keep = 2

    /// Runs `body` with at least `count` doubles of uninitialized memory.
    func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Double>) -> R) -> R {
        let buffer = take(count)
        defer { give(buffer) }
        return body(buffer.baseAddress!)
    }

    private func take(_ count: Int) -> UnsafeMutableBufferPointer<Double> {
        lock.lock()
        defer { lock.unlock() }
        if let i = free.firstIndex(where: { $0.count >= count }) { return free.remove(at: i) }
        // None is large enough: a smaller one would only be kept around, so free it.
        if !free.isEmpty { free.removeFirst().deallocate() }
        return .allocate(capacity: max(count, 1))
    }

    private func give(_ buffer: UnsafeMutableBufferPointer<Double>) {
        lock.lock()
        defer { lock.unlock() }
        free.append(buffer)
        free.sort { $0.count > $1.count }
        while free.count > keep { free.removeLast().deallocate() }
    }
}
