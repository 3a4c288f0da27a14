import Foundation
import XCTest

/// What may be given as MODEL: a regular file of sensible size, or standard input; anything
/// else is refused with one line saying what is wrong (issue 13 item 13).
final class ModelInputTests: XCTestCase {
    func testDevicesAndFIFOsAreNotModelFiles() throws {
        let dir = try CLI.temporaryDirectory()
        let fifo = dir.appendingPathComponent("model.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for (path, what) in [("/dev/zero", "is a device, not a regular file"), ("/dev/urandom", "is a device, not a regular file"),
                             (fifo, "is a FIFO, not a regular file")] {
            let r = try CLI.run([path, "-o", dir.appendingPathComponent("r.json").path])
            XCTAssertEqual(r.status, 2, path)
            XCTAssertEqual(r.stderr, "gradviz: \(path): \(what); give a model.json file, or - and the model on standard input\n")
        }
    }

    func testATooLargeFileIsRefusedBeforeReading() throws {
        let dir = try CLI.temporaryDirectory()
        let path = dir.appendingPathComponent("huge.json").path
        // Sparse: 256 MiB + 1 byte of nothing, read by nobody.
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        XCTAssertEqual(truncate(path, off_t((256 << 20) + 1)), 0)
        let r = try CLI.run([path, "-o", dir.appendingPathComponent("r.json").path])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "gradviz: \(path): is 268435457 bytes; a model file may have at most 268435456 bytes (256 MiB)\n")
    }

    /// Endless zeros on standard input: reading stops at the first byte that cannot begin a
    /// model, so this ends at once, in little memory.
    func testEndlessStandardInputStopsAtTheFirstImpossibleByte() throws {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["-", "-o", "-", "--format", "json"]
        process.standardInput = FileHandle(forReadingAtPath: "/dev/zero")
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        let started = Date()
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 2)
        XCTAssertEqual(message, "gradviz: <stdin>:1:1: invalid JSON: expected a value, found 'U+0000'\n")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// A model on standard input that starts well is read whole, and a non-object gets the
    /// same message as from a file.
    func testStandardInputIsReadWholeWhenItCanBeAModel() throws {
        let model = #"{"inputs": {"x": 3}, "nodes": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}]}"#
        let padded = String(repeating: " ", count: 200_000) + model
        let r = try CLI.run(["-", "-o", "-", "--format", "json"], stdin: Data(padded.utf8))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains(#""y": 9"#), r.out)
        let array = try CLI.run(["-", "-o", "-", "--format", "json"], stdin: Data("[1, 2]".utf8))
        XCTAssertEqual(array.stderr, "gradviz: <stdin>:1:1: the model must be a JSON object, got an array\n")
    }
}

/// --max-memory and --max-flops (issue 13 item 7).
final class LimitOptionTests: XCTestCase {
    func testLimitsAreOptionsAndTheMessageSaysWhich() throws {
        let model = CLI.packageRoot.appendingPathComponent("samples/mlp.json").path
        let low = try CLI.run([model, "-o", "-", "--format", "json", "--max-memory", "1kB"])
        XCTAssertEqual(low.status, 2)
        XCTAssertTrue(low.stderr.hasPrefix("gradviz: \(model): computing this model needs about "), low.stderr)
        XCTAssertTrue(low.stderr.contains("more than the limit of 1 kB; --max-memory raises it"), low.stderr)
        let work = try CLI.run(["check", model, "--max-flops", "10"])
        XCTAssertEqual(work.status, 2)
        XCTAssertTrue(work.stderr.contains("more than the limit of 1e1; --max-flops raises it"), work.stderr)
        let ok = try CLI.run([model, "-o", "-", "--format", "json", "--max-memory", "1GiB", "--max-flops", "1e9"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let bad = try CLI.run([model, "-o", "-", "--format", "json", "--max-memory", "lots"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--max-memory must be a size such as 8GB"), bad.stderr)
    }
}
