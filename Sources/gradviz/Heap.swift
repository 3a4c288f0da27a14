import Foundation

/// glibc's heap, set up for one large model.
///
/// A large model allocates a few hundred bytes per node in small pieces (some 35 bytes of
/// heap per byte of model file), and most of that memory is touched once. By default
/// glibc grows the heap 128 KiB at a time, each growth a system call, and the kernel maps
/// it 4 KiB per page fault: some 49,000 faults for a 100,000-op model, a third of its
/// time. So the heap grows 64 MiB at a time, and for a large file it is grown up front to
/// what the model needs and advised for transparent huge pages (one fault per 2 MiB, as
/// glibc's own `glibc.malloc.hugetlb=1` tunable does). Measured on the 100,000-op model
/// (bench/README.md): 0.19 s -> 0.17 s (64 MiB steps) -> 0.135 s (huge pages, both
/// threads' heaps). Where the kernel has transparent huge pages off, the advice changes
/// nothing; on other systems than glibc's, none of this is done.
enum Heap {
    /// Heap bytes per byte of model file, rounded up from 35.
    static let bytesPerModelByte = 40
    /// Below this (a model file under about 800 KiB) growing up front gains nothing measurable.
    static let smallest = 32 << 20

    /// Sets up the process's (main) heap for a model file of `modelBytes` bytes.
    static func prepare(forModelOfSize modelBytes: Int) {
        #if os(Linux)
        _ = mallopt(topPad, 64 << 20)
        // At most 1 GiB: a free block at the top larger than the trim threshold (an Int32)
        // would be given back at once.
        let bytes = min(modelBytes * bytesPerModelByte, 1 << 30)
        guard bytes >= smallest else { return }
        // Memory freed stays in the heap rather than going back to the system: the
        // process ends after this model.
        _ = mallopt(trimThreshold, Int32.max)
        guard let block = growHeap(by: bytes) else { return }
        // The main heap is one range, from the program's data up to the break.
        adviseHugePages(from: Int(bitPattern: block), to: Int(bitPattern: sbrk(0)))
        #endif
    }

    /// Sets up the heap of the calling thread, which glibc keeps apart from the main
    /// one (a thread's "arena": 64 MiB ranges, grown as used): the loader calls it on
    /// the thread that parses a large file and computes its nodes.
    static func prepareThread(forModelOfSize modelBytes: Int) {
        #if os(Linux)
        // Under `prepare`'s trim threshold (set when the model is this large), and a third
        // of the model's heap: the parse tree and the graph are built on this thread.
        guard modelBytes * bytesPerModelByte >= smallest else { return }
        let bytes = min(modelBytes * bytesPerModelByte / 3, threadHeapRange - (4 << 20))
        guard let block = growHeap(by: bytes) else { return }
        // A thread's heap starts at a multiple of its 64 MiB range (glibc's HEAP_MAX_SIZE);
        // the main heap, if this thread was given it, is below the break.
        let address = Int(bitPattern: block)
        guard address >= Int(bitPattern: sbrk(0)) else { return }
        let start = address & ~(threadHeapRange - 1)
        adviseHugePages(from: start, to: start + threadHeapRange)
        #endif
    }

    #if os(Linux)
    // mallopt(3) parameters, from <malloc.h>.
    private static let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapMax: Int32 = -4
    private static let threadHeapRange = 64 << 20
    private static let hugePage = 2 << 20

    /// Grows the calling thread's heap by `bytes`: one block taken from the heap (not
    /// mmap'd on its own, as blocks this large otherwise are) and freed leaves its range
    /// at the heap's top, where the next allocations go. Returns where it was.
    private static func growHeap(by bytes: Int) -> UnsafeMutableRawPointer? {
        _ = mallopt(mmapMax, 0)
        let block = malloc(bytes)
        free(block)
        _ = mallopt(mmapMax, 65536)   // glibc's default
        return block
    }

    private static func adviseHugePages(from start: Int, to end: Int) {
        let first = (start + hugePage - 1) & ~(hugePage - 1)
        guard end > first else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: first), end - first, MADV_HUGEPAGE)
    }

    /// glibc's mallopt(3): <malloc.h> is not part of Swift's Glibc module.
    @_silgen_name("mallopt")
    private static func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
    #endif
}
