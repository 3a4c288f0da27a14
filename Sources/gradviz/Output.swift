import Foundation
import GradvizCore

/// A failure the user can fix (bad input or usage): exit status 2.
struct UserError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Writing failed (the disk is full, standard output is closed, permission denied):
/// exit status 1, one line, and no partial file.
struct OutputError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Refuses, before anything is computed, an output that cannot be written: the model file
/// itself (by any path: the same inode), a directory, a file in a directory that does not
/// exist, an empty name.
func checkOutputTarget(_ output: String, model: String) throws {
    guard !output.isEmpty else { throw UserError("the output name is empty; give a file name, or - for standard output") }
    guard output != "-", standardStream(output) == nil else { return }
    var target = stat()
    guard stat(output, &target) == 0 else {
        let directory = directoryPart(output)
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw UserError("\(output): directory \(directory) does not exist")
        }
        return
    }
    if target.st_mode & S_IFMT == S_IFDIR { throw UserError("\(output): is a directory") }
    var source = stat()
    if model != "-", stat(model, &source) == 0, source.st_dev == target.st_dev, source.st_ino == target.st_ino {
        throw UserError("\(output): is the model file \(model); refusing to overwrite it (choose another output)")
    }
}

/// Writes `bytes` to `path`. "-" (and /dev/stdout, /dev/fd/N) is a stream, written
/// directly. A path that exists and is not a regular file (/dev/null, a FIFO, a terminal)
/// is opened and written, as any Unix tool does. Anything else is replaced atomically: a
/// new file beside it, then rename(2), so readers see the old file or the new one and a
/// failure leaves the old one untouched.
func writeOutput(_ bytes: [UInt8], to path: String) throws {
    try writeOutput(to: path) { fd in bytes.withUnsafeBytes { writeAll($0, to: fd) } }
}

/// What writes an output into a file descriptor: nil when all of it was written, else the
/// errno of the failure. It may throw (a drawing that cannot be made); nothing is left then.
typealias OutputProducer = (Int32) throws -> Int32?

/// `writeOutput` for output written as it is made (a drawing rendered straight into the
/// file, hundreds of megabytes for a large graph, never held in memory).
func writeOutput(to path: String, _ produce: OutputProducer) throws {
    if path == "-" {
        if let failure = try produce(STDOUT_FILENO) { throw OutputError("standard output: cannot write: \(reason(failure))") }
        return
    }
    if let fd = standardStream(path) {
        if let failure = try produce(fd) { throw OutputError("\(path): cannot write: \(reason(failure))") }
        return
    }
    var info = stat()
    if stat(path, &info) == 0 {
        if info.st_mode & S_IFMT == S_IFDIR { throw UserError("\(path): is a directory") }
        if info.st_mode & S_IFMT != S_IFREG { return try writeDirectly(produce, to: path) }
    }
    try replaceAtomically(produce, path: path)
}

/// Standard output, all of it, or an OutputError (a full disk, a closed stream or pipe).
func writeStandardOutput(_ bytes: [UInt8]) throws {
    if let failure = bytes.withUnsafeBytes({ writeAll($0, to: STDOUT_FILENO) }) {
        throw OutputError("standard output: cannot write: \(reason(failure))")
    }
}

func writeStandardOutput(_ text: String) throws {
    try writeStandardOutput(Array(text.utf8))
}

/// A file descriptor named as a path: /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N.
/// Written as the stream it is, so `>> file` appends and a pipe is not reopened.
private func standardStream(_ path: String) -> Int32? {
    switch path {
    case "/dev/stdout": return STDOUT_FILENO
    case "/dev/stderr": return STDERR_FILENO
    default:
        for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
            if let fd = Int32(path.dropFirst(prefix.count)), fd >= 0 { return fd }
        }
        return nil
    }
}

private func writeDirectly(_ produce: OutputProducer, to path: String) throws {
    let fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)
    guard fd >= 0 else { throw OutputError("\(path): cannot open for writing: \(reason(errno))") }
    let failure: Int32?
    do { failure = try produce(fd) } catch { close(fd); throw error }
    let closed = close(fd) == 0 ? nil : errno
    if let failure = failure ?? closed { throw OutputError("\(path): cannot write: \(reason(failure))") }
}

/// The new file is created the way mkstemp does (a random name, O_EXCL, so a file or
/// symlink planted under that name is never opened), readable by its owner only while it
/// is written, then given the old file's permissions (and owner and group where allowed),
/// or for a new file what the umask leaves of 0666. Its name is short whatever the
/// output's: a 255-byte output name still leaves room. A symlink to a regular file keeps
/// pointing at the new file.
private func replaceAtomically(_ produce: OutputProducer, path requested: String) throws {
    var path = requested
    var link = stat()
    if lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK, let resolved = realpath(path, nil) {
        path = String(cString: resolved)
        free(resolved)
    }
    let directory = directoryPart(path)
    var existing = stat()
    let exists = stat(path, &existing) == 0
    var mode = exists ? existing.st_mode & 0o777 : 0o666 & ~currentUmask()
    let (fd, temporary) = try createTemporaryFile(in: directory, for: requested)
    var failure: Int32?
    do {
        failure = try produce(fd)
    } catch {
        close(fd)
        unlink(temporary)
        throw error
    }
    if failure == nil, exists, fchown(fd, existing.st_uid, existing.st_gid) != 0, fchown(fd, uid_t.max, existing.st_gid) != 0 {
        // Another group would get the group's permissions: give no group any.
        mode &= ~0o070
    }
    if failure == nil, fchmod(fd, mode) != 0 { failure = errno }
    if close(fd) != 0, failure == nil { failure = errno }
    if let failure {
        unlink(temporary)
        throw OutputError("\(requested): cannot write: \(reason(failure))")
    }
    if rename(temporary, path) != 0 {
        let failure = errno
        unlink(temporary)
        throw OutputError("\(requested): cannot replace the file: \(reason(failure))")
    }
}

/// `.gvXXXXXXXXXX.tmp` in `directory` (ten random letters and digits), created
/// exclusively with mode 0600; `names` stands in for the random part in tests.
func createTemporaryFile(in directory: String, for path: String, names: (() -> String)? = nil) throws -> (Int32, String) {
    let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<100 {
        let name = names?() ?? String((0..<10).map { _ in letters.randomElement(using: &generator)! })
        let temporary = directory + "/.gv" + name + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 { return (fd, temporary) }
        if errno != EEXIST { throw OutputError("\(path): cannot write in \(directory): \(reason(errno))") }
    }
    throw OutputError("\(path): cannot create a temporary file in \(directory)")
}

private func directoryPart(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

private func currentUmask() -> mode_t {
    let mask = umask(0o022)
    umask(mask)
    return mask
}

/// Writes all of `buffer` to `fd`; the errno of a failure, nil when every byte was written.
/// Straight from the buffer: no Data copy of a result that can be tens of megabytes.
func writeAll(_ buffer: UnsafeRawBufferPointer, to fd: Int32) -> Int32? {
    guard let base = buffer.baseAddress else { return nil }
    var done = 0
    while done < buffer.count {
        let n = write(fd, base + done, buffer.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        if n == 0 { return EIO }
        done += n
    }
    return nil
}

private func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

/// Keeps standard input, output and error open for the whole run: a closed one gets
/// /dev/null, read-only, in its place. Otherwise the first file gradviz opens would take
/// its number and `-o -` or a message would land in that file; this way writing to a
/// closed stream fails (EBADF) and is reported. SIGPIPE is ignored, so a closed pipe is
/// a write error (EPIPE) with a message, not a silent death; so is SIGXFSZ, so a file past
/// the file-size limit (`ulimit -f`) is a write error (EFBIG), and the temporary file is
/// removed rather than left behind by a killed process.
func guardStandardStreams() {
    for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
        let opened = open("/dev/null", O_RDONLY)
        if opened >= 0 && opened != fd { dup2(opened, fd); close(opened) }
    }
    signal(SIGPIPE, SIG_IGN)
    signal(SIGXFSZ, SIG_IGN)
}

/// One line on stderr. Text from a model is quoted where a message embeds it; whatever
/// slipped through unquoted (a Graphviz message, an option's value) still cannot split the
/// line or reach the terminal as a control sequence.
func printError(_ message: String) {
    // Not FileHandle, which traps on a full or closed stream; if stderr fails there is
    // nowhere left to say so, and the exit status still does.
    let line = Array("gradviz: \(visibleText(message))\n".utf8)
    _ = line.withUnsafeBytes { writeAll($0, to: STDERR_FILENO) }
}

/// Phase timings on stderr when GRADVIZ_TIMING is set: where a slow run spends its time.
final class PhaseClock {
    let enabled = ProcessInfo.processInfo.environment["GRADVIZ_TIMING"] != nil
    var last = DispatchTime.now().uptimeNanoseconds

    func lap(_ phase: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        printError(String(format: "%@ %.1f ms", phase, Double(now - last) / 1e6))
        last = now
    }

    /// A line of detail (only when timing).
    func note(_ text: @autoclosure () -> String) {
        if enabled { printError(text()) }
    }
}
