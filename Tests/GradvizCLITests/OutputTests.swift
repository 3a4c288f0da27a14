import Foundation
import XCTest
@testable import gradviz

/// Writing output (issue 13, items 1-5): devices and FIFOs are written directly, files are
/// replaced atomically through an exclusive, short-named temporary file that never widens
/// the permissions, the model is never overwritten, and every write error is one line with
/// exit status 1.
final class OutputTests: XCTestCase {
    let model = CLI.packageRoot.appendingPathComponent("samples/neuron.json").path

    /// Runs `script` with /bin/sh, `$G` being gradviz and `$M` the model, in `directory`.
    func shell(_ script: String, in directory: URL) throws -> CLI.Result {
        try CLI.run(in: directory, executable: "/bin/sh", ["-c", script],
                    environment: ["G": CLI.binary.path, "M": model])
    }

    func expectWriteError(_ r: CLI.Result, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "one line: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("gradviz: ") && r.stderr.contains(fragment), r.stderr, file: file, line: line)
    }

    func testDevicesAreWrittenDirectly() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let null = try CLI.run([model, "-o", "/dev/null", "--format", "svg"])
        XCTAssertEqual(null.status, 0, null.stderr)
        var info = stat()
        XCTAssertEqual(stat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
        expectWriteError(try CLI.run([model, "-o", "/dev/full", "--format", "svg"]), "/dev/full: cannot write: No space left on device")
        // /dev/stdout is the stream itself: appended to, not replaced.
        let appended = try shell(#"echo first > out.dot && "$G" "$M" -o /dev/stdout --format dot >> out.dot"#, in: dir)
        XCTAssertEqual(appended.status, 0, appended.stderr)
        let text = try String(contentsOf: dir.appendingPathComponent("out.dot"), encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("first\ndigraph"), text)
    }

    func testAFIFOIsWrittenDirectly() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try shell(#"mkfifo f && { cat f > got & } && "$G" "$M" -o f --format dot && wait && test -p f && head -c 7 got"#, in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.out, "digraph")
    }

    /// `-o -`, `ops` and `check` into a full, closed or broken standard output.
    func testStandardOutputErrorsAreOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for command in [#""$G" "$M" -o - --format dot"#, #""$G" "$M" -o - --format json"#, #""$G" ops"#, #""$G" check "$M""#, #""$G" --help"#] {
            expectWriteError(try shell(command + " > /dev/full", in: dir), "standard output: cannot write: No space left on device")
            expectWriteError(try shell(command + " >&-", in: dir), "standard output: cannot write: Bad file descriptor")
            // The reader is gone before gradviz writes.
            expectWriteError(try shell("{ sleep 0.2; " + command + "; echo $? > status; } | true; exit $(cat status)", in: dir),
                             "standard output: cannot write: Broken pipe")
        }
        // A closed standard output does not make the output file take its place.
        let r = try shell(#""$G" "$M" -o out.svg >&- && head -c 5 out.svg"#, in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.out, "<?xml")
        // Nor does a full standard error crash.
        XCTAssertEqual(try shell(#""$G" missing.json -o x.svg 2> /dev/full"#, in: dir).status, 2)
    }

    /// A result file is written as it is formatted, a megabyte at a time: a write that fails
    /// part way (a file-size limit, a reader that stops) is still one line and exit status 1,
    /// and a file it was to replace is untouched, with no temporary file left.
    func testAResultWrittenInChunksFailsCleanly() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 160,000 values, their gradients (all 1) and the edge's: about 4 MB of result, five chunks.
        try Data(#"{"inputs": {"x": {"shape": [400, 400], "init": "normal", "seed": 1, "grad": true}}, "nodes": [{"id": "L", "op": "sum", "inputs": ["x"]}]}"#.utf8)
            .write(to: dir.appendingPathComponent("big.json"))
        let whole = try shell(#""$G" big.json -o whole.json && "$G" big.json -o - --format json > piped.json && wc -c < whole.json"#, in: dir)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertGreaterThan(Int(whole.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 4_000_000)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("whole.json")), try Data(contentsOf: dir.appendingPathComponent("piped.json")))
        try Data("old\n".utf8).write(to: dir.appendingPathComponent("out.json"))
        // ulimit -f counts 512-byte blocks: 2 MB, reached in the third chunk.
        expectWriteError(try shell(#"ulimit -f 4096 && "$G" big.json -o out.json"#, in: dir), "out.json: cannot write: File too large")
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("out.json"), encoding: .utf8), "old\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }, [])
        expectWriteError(try shell(#""$G" big.json -o /dev/full --format json"#, in: dir), "/dev/full: cannot write: No space left on device")
        // The reader takes 100 bytes and leaves.
        let r = try shell(#"{ "$G" big.json -o - --format json; echo $? > status; } | head -c 100 > /dev/null; exit $(cat status)"#, in: dir)
        expectWriteError(r, "standard output: cannot write: Broken pipe")
    }

    /// The writing thread writes every chunk, in order, whatever its pace against the
    /// caller's (chunks of every size, more of them than buffers); a failed write stops it,
    /// and its errno is what `finish` returns.
    func testChunkWriterWritesInOrderAndStopsAtAFailure() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("chunks").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var expected: [UInt8] = []
        let writer = ChunkWriter(fd: fd, depth: 2)
        for k in 0..<500 {
            let chunk = (0..<(k * 37) % 5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ k) }
            expected += chunk
            XCTAssertTrue(chunk.withUnsafeBytes(writer.write))
        }
        XCTAssertNil(writer.finish())
        close(fd)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), expected)

        let readOnly = open(path, O_RDONLY)
        let failing = ChunkWriter(fd: readOnly)
        var accepted = 0
        for _ in 0..<100 where [UInt8](repeating: 1, count: 1000).withUnsafeBytes(failing.write) { accepted += 1 }
        XCTAssertLessThan(accepted, 100, "chunks are refused once a write has failed")
        XCTAssertEqual(failing.finish(), EBADF)
        close(readOnly)
    }

    func testTheModelIsNeverTheOutput() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try Data(contentsOf: URL(fileURLWithPath: model))
        try original.write(to: dir.appendingPathComponent("m.json"))
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.json").path, withDestinationPath: "m.json")
        try FileManager.default.linkItem(atPath: dir.appendingPathComponent("m.json").path, toPath: dir.appendingPathComponent("hard.json").path)
        for arguments in [["m.json", "-o", "m.json"], ["m.json", "-o", "./m.json"], ["m.json", "-o", "link.json"], ["link.json", "-o", "hard.json"],
                          ["check", "m.json", "-o", "hard.json"]] {
            let r = try CLI.run(arguments, in: dir)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("is the model file"), r.stderr)
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("m.json")), original)
        }
        let empty = try CLI.run(["m.json", "-o", "", "--format", "svg"], in: dir)
        XCTAssertEqual(empty.status, 2, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("the output name is empty"), empty.stderr)
    }

    func testTheTemporaryFileNeitherWidensPermissionsNorLengthensTheName() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func mode(_ name: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        XCTAssertEqual(try shell(#"umask 077 && "$G" "$M" -o private.svg"#, in: dir).status, 0)
        XCTAssertEqual(try mode("private.svg"), 0o600)
        XCTAssertEqual(try shell(#"umask 022 && "$G" "$M" -o shared.svg"#, in: dir).status, 0)
        XCTAssertEqual(try mode("shared.svg"), 0o644)
        // An existing file keeps its mode, narrower or wider than the umask's.
        for kept in [0o600, 0o640, 0o664] {
            try FileManager.default.setAttributes([.posixPermissions: kept], ofItemAtPath: dir.appendingPathComponent("shared.svg").path)
            XCTAssertEqual(try shell(#"umask 022 && "$G" "$M" -o shared.svg"#, in: dir).status, 0)
            XCTAssertEqual(try mode("shared.svg"), kept)
        }
        // A symlink to the output still points at it afterwards.
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.svg").path, withDestinationPath: "shared.svg")
        XCTAssertEqual(try CLI.run([model, "-o", "link.svg"], in: dir).status, 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("link.svg").path), "shared.svg")
        // The longest name a file may have.
        let long = String(repeating: "n", count: 251) + ".svg"
        let r = try CLI.run([model, "-o", long], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(long).path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }, [])
    }

    /// The old temporary name was predictable (`.out.svg.gradviz-PID.tmp`) and opened
    /// without O_EXCL: a symlink planted there was followed. The new one is random, and a
    /// name that exists, as a file or a symlink, is never opened: the next name is tried.
    func testTemporaryFilesAreRandomAndExclusive() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = dir.appendingPathComponent("victim.txt")
        try Data("precious".utf8).write(to: victim)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent(".gvplanted.tmp").path, withDestinationPath: victim.path)
        var names = ["planted", "fresh"].makeIterator()
        let (fd, path) = try createTemporaryFile(in: dir.path, for: "out.svg", names: { names.next()! })
        XCTAssertEqual(path, dir.path + "/.gvfresh.tmp")
        XCTAssertEqual(write(fd, "x", 1), 1)
        var info = stat()
        XCTAssertEqual(fstat(fd, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600, "owner only while written")
        close(fd)
        XCTAssertEqual(try String(contentsOf: victim, encoding: .utf8), "precious")
        let a = try createTemporaryFile(in: dir.path, for: "out.svg"), b = try createTemporaryFile(in: dir.path, for: "out.svg")
        close(a.0); close(b.0)
        XCTAssertNotEqual(a.1, b.1)
        XCTAssertEqual(a.1.count, dir.path.count + "/.gv0123456789.tmp".count, "short whatever the output's name")
    }
}
