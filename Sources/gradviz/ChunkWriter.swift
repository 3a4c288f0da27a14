import Foundation

/// Writes a stream of chunks to a file descriptor on a thread of its own, in the order
/// they came.
///
/// Why a thread: a result file is about a gigabyte (1.4 GB for bench/tensor's ResNet-18),
/// and its time goes to two things of about the same size: formatting the numbers (user
/// time, on the calling thread) and write(2) copying them into the page cache (kernel
/// time). One after the other they add up; with the writes on a second thread, the next
/// chunk is formatted while the last one is copied, and on two cores they overlap.
///
/// How: `write` copies the chunk into one of at most `depth` buffers (waiting while all of
/// them are queued), and the thread writes the queue oldest first, then hands the buffer
/// back. Memory stays at `depth` chunks. Which bytes and in which order is the caller's
/// alone, so the output is the same whatever the scheduling. The first failed write stops
/// the writing: `write` refuses every chunk after it, and `finish` returns its errno.
final class ChunkWriter {
    private let fd: Int32
    private let depth: Int
    /// Guards everything below; both sides wait on it (for a chunk, for a free buffer, for
    /// the end), so every change is broadcast.
    private let condition = NSCondition()
    /// Chunks to write, oldest first.
    private var queued: [[UInt8]] = []
    /// Written buffers, ready for the next chunks.
    private var spare: [[UInt8]] = []
    private var allocated = 0
    /// No more chunks will come (`finish`).
    private var closed = false
    /// The thread has written (or dropped) every chunk and ended.
    private var ended = false
    /// The errno of the first failed write.
    private var failure: Int32?
    /// For GRADVIZ_TIMING: the writing thread's CPU time, and the seconds the caller waited
    /// for a free buffer (the writes are the slower side when this is large).
    private(set) var writerCPU = 0.0, callerWaited = 0.0

    init(fd: Int32, depth: Int = 4) {
        precondition(depth > 0, "depth must be positive")
        self.fd = fd
        self.depth = depth
        Thread { [self] in run() }.start()
    }

    /// Queues a copy of `chunk`; false once a write has failed (nothing more is written).
    func write(_ chunk: UnsafeRawBufferPointer) -> Bool {
        condition.lock()
        if failure == nil && spare.isEmpty && allocated == depth {
            let start = DispatchTime.now().uptimeNanoseconds
            while failure == nil && spare.isEmpty && allocated == depth { condition.wait() }
            callerWaited += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        guard failure == nil else {
            condition.unlock()
            return false
        }
        var buffer: [UInt8]
        if let reused = spare.popLast() {
            buffer = reused
        } else {
            allocated += 1
            buffer = []
        }
        condition.unlock()
        // The copy (a megabyte into a buffer already in memory) is outside the lock.
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: chunk.assumingMemoryBound(to: UInt8.self))
        condition.lock()
        queued.append(buffer)
        condition.broadcast()
        condition.unlock()
        return true
    }

    /// Waits until every queued chunk is written; the errno of the first failed write, nil
    /// when all of them went out. Call it once, after the last `write`.
    func finish() -> Int32? {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while !ended { condition.wait() }
        return failure
    }

    /// The thread's loop: write the oldest chunk, return its buffer, until `finish` and an
    /// empty queue. After a failure the rest is dropped unwritten.
    private func run() {
        condition.lock()
        while true {
            while queued.isEmpty && !closed { condition.wait() }
            if queued.isEmpty { break }
            let buffer = queued.removeFirst()
            let write = failure == nil
            condition.unlock()
            let result = write ? buffer.withUnsafeBytes { writeAll($0, to: fd) } : nil
            condition.lock()
            if let result { failure = result }
            spare.append(buffer)
            condition.broadcast()
        }
        var cpu = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu)
        writerCPU = Double(cpu.tv_sec) + Double(cpu.tv_nsec) / 1e9
        ended = true
        condition.broadcast()
        condition.unlock()
    }
}
