import Foundation
import GradvizCore

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

/// One line on stderr. Text from a model is quoted where a message embeds it; whatever
/// slipped through unquoted (a Graphviz message, an option's value) still cannot split the
/// line or reach the terminal as a control sequence.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("gradviz: \(visibleText(message))\n".utf8))
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
