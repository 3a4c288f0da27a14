import Foundation

/// A failure the user can fix (bad input or usage): exit status 2.
struct UserError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then rename(2), so
/// readers see the old file or the new one and a failure leaves the old one untouched.
/// "-" is standard output.
func writeOutput(_ bytes: [UInt8], to path: String) throws {
    if path == "-" {
        FileHandle.standardOutput.write(Data(bytes))
        return
    }
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw UserError("\(path): directory \(directory) does not exist")
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw UserError("\(path): is a directory")
    }
    let temporary = directory + "/." + url.lastPathComponent + ".gradviz-\(getpid()).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
        throw UserError("\(path): cannot write in \(directory): \(String(cString: strerror(errno)))")
    }
    // Straight from the buffer: no Data copy of a result that can be tens of megabytes.
    let failure: Int32? = bytes.withUnsafeBytes { buffer in
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
    }
    if close(fd) != 0 || failure != nil {
        let reason = String(cString: strerror(failure ?? errno))
        unlink(temporary)
        throw UserError("\(path): cannot write: \(reason)")
    }
    if rename(temporary, path) != 0 {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw UserError("\(path): cannot replace the file: \(reason)")
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("gradviz: \(message)\n".utf8))
}

/// Phase timings on stderr when GRADVIZ_TIMING is set: where a slow run spends its time.
final class PhaseClock {
    let enabled = ProcessInfo.processInfo.environment["GRADVIZ_TIMING"] != nil
    var last = DispatchTime.now().uptimeNanoseconds

    func lap(_ phase: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        FileHandle.standardError.write(Data(String(format: "gradviz: %@ %.1f ms\n", phase, Double(now - last) / 1e6).utf8))
        last = now
    }
}

/// Sets up glibc's heap for a model file of `modelBytes` bytes.
///
/// A large model allocates a few hundred bytes per node in small pieces (about 35 bytes
/// of heap per byte of model file). glibc grows the heap 128 KiB at a time by default,
/// each growth a system call; here it grows 64 MiB at a time (address space only: pages
/// are used as touched): 0.19 -> 0.17 s for a 100,000-op model. Then the page faults
/// remain, one per 4 KiB touched, some 49,000 for that model and a third of its time. So
/// for a large file the heap is grown once, up front, to what the model will need, and
/// that range is advised for transparent huge pages (2 MiB a fault, as glibc's own
/// `glibc.malloc.hugetlb=1` tunable does): 0.18 -> 0.13 s. Where the kernel has
/// transparent huge pages off, the advice changes nothing.
func prepareHeap(forModelOfSize modelBytes: Int) {
    #if os(Linux)
    // mallopt(3) parameters, from <malloc.h>.
    let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapMax: Int32 = -4
    _ = glibcMallopt(topPad, 64 << 20)
    // Small models gain nothing measurable; 1 GiB stays under the trim threshold below.
    let heapBytes = min(modelBytes * 40, 1 << 30)
    guard heapBytes >= 32 << 20 else { return }
    // Freed memory stays in the heap rather than going back to the system: the process
    // ends after this model.
    _ = glibcMallopt(trimThreshold, Int32.max)
    // One block taken from the heap (not mmap'd on its own) and freed grows the heap by
    // its size; its range is then the heap's top, where the model's allocations go.
    _ = glibcMallopt(mmapMax, 0)
    let block = malloc(heapBytes)
    free(block)
    _ = glibcMallopt(mmapMax, 65536)   // glibc's default
    guard let block else { return }
    let hugePage = 2 << 20
    let start = (Int(bitPattern: block) + hugePage - 1) & ~(hugePage - 1)
    let end = Int(bitPattern: sbrk(0))
    if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
    #endif
}

/// The size of a model file, 0 for standard input or when it cannot be told.
func modelFileSize(_ path: String) -> Int {
    var info = stat()
    return path != "-" && stat(path, &info) == 0 ? Int(info.st_size) : 0
}

#if os(Linux)
/// glibc's mallopt(3): <malloc.h> is not part of Swift's Glibc module.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
