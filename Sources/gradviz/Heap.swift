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
/// nothing; without glibc (musl), none of this is done.
enum Heap {
    /// Heap bytes per byte of model file, rounded up from 35.
    static let bytesPerModelByte = 40
    /// Below this (a model file under about 800 KiB) growing up front gains nothing measurable.
    static let smallest = 32 << 20
    /// At most 1 GiB: a free block at the top larger than the trim threshold (an Int32)
    /// would be given back at once.
    static let largest = 1 << 30

    /// Sets up the process's (main) heap for a model file of `modelBytes` bytes; returns
    /// whether the model is large enough for `prepareThread` too.
    @discardableResult
    static func prepare(forModelOfSize modelBytes: Int) -> Bool {
        #if canImport(Glibc)
        _ = mallopt(topPad, 64 << 20)
        let bytes = heapBytes(forModelOfSize: modelBytes)
        guard bytes >= smallest else { return false }
        // Memory freed stays in the heap rather than going back to the system: the
        // process ends after this model.
        _ = mallopt(trimThreshold, Int32.max)
        growHeap(by: bytes)
        return true
        #else
        return false
        #endif
    }

    /// Sets up the heap of the calling thread, which glibc keeps apart from the main one
    /// (a thread's "arena", grown in ranges of at most 64 MiB): the loader calls it on the
    /// thread that parses a large file and computes its nodes, after `prepare` said yes.
    static func prepareThread(forModelOfSize modelBytes: Int) {
        #if canImport(Glibc)
        // A third of the model's heap (the parse tree and the graph are built on this
        // thread), within one 64 MiB range.
        growHeap(by: min(heapBytes(forModelOfSize: modelBytes) / 3, 60 << 20))
        #endif
    }

    static func heapBytes(forModelOfSize modelBytes: Int) -> Int {
        min(modelBytes, largest / bytesPerModelByte) * bytesPerModelByte
    }

    #if canImport(Glibc)
    // mallopt(3) parameters, from <malloc.h>.
    private static let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapMax: Int32 = -4
    private static let hugePage = 2 << 20

    /// Grows the calling thread's heap by `bytes` and advises that range for huge pages:
    /// one block taken from the heap (not mmap'd on its own, as blocks this large
    /// otherwise are) and freed leaves its range at the heap's top, where the next
    /// allocations go. Only the block's own range is advised: glibc may still have mmap'd
    /// it on its own (then it is unmapped by now and the advice fails, harmlessly).
    private static func growHeap(by bytes: Int) {
        _ = mallopt(mmapMax, 0)
        let block = malloc(bytes)
        free(block)
        _ = mallopt(mmapMax, 65536)   // glibc's default
        guard let block else { return }
        let start = (Int(bitPattern: block) + hugePage - 1) & ~(hugePage - 1)
        let end = (Int(bitPattern: block) + bytes) & ~(hugePage - 1)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE)
    }

    /// glibc's mallopt(3): <malloc.h> is not part of Swift's Glibc module.
    @_silgen_name("mallopt")
    private static func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
    #endif
}
