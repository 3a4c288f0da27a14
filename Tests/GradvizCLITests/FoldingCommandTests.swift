import Foundation
import XCTest

/// `--max-nodes` and `--expand` as a user types them: what stderr says, what is refused.
final class FoldingCommandTests: XCTestCase {
    let stack = CLI.packageRoot.appendingPathComponent("samples/folding/stack8.json").path
    let rnn = CLI.packageRoot.appendingPathComponent("samples/folding/rnn12.json").path

    func testFoldingSaysWhatAndTheFlags() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("g.svg").path
        let r = try CLI.run([rnn, "-o", out, "--max-nodes", "80"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("gradviz: the graph has 138 nodes (176 to lay out), more than --max-nodes 80: folded 121 of them by structure into 1 summary node"), r.stderr)
        XCTAssertTrue(r.stderr.contains("draw more with --expand cell, everything with --max-nodes 176, or any part with --focus ID --depth K"), r.stderr)
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(svg.contains("cell ×11"))
        // The flags it names draw more: every call of cell open, nothing folded.
        let all = try CLI.run([rnn, "-o", out, "--max-nodes", "176"])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertFalse(all.stderr.contains("folded"), all.stderr)
        // Every call of cell open: only the loss group can fold, and with less room the
        // drawing is refused rather than drawn past the limit.
        let expanded = try CLI.run([rnn, "-o", out, "--max-nodes", "175", "--expand", "cell"])
        XCTAssertEqual(expanded.status, 0, expanded.stderr)
        XCTAssertTrue(expanded.stderr.contains("into 1 summary node (174 to lay out): group loss (2 nodes); draw more with --expand loss,"), expanded.stderr)
        XCTAssertFalse(try String(contentsOfFile: out, encoding: .utf8).contains("×11"))
        let tight = try CLI.run([rnn, "-o", out, "--max-nodes", "170", "--expand", "cell"])
        XCTAssertEqual(tight.status, 2)
        XCTAssertEqual(tight.stderr, "gradviz: with --expand cell open the drawing would lay out more than --max-nodes 170: expand less, or raise --max-nodes (everything is 176)\n")
    }

    func testAWrongExpandIsOneLineAndWritesNothing() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("g.svg").path
        let r = try CLI.run([stack, "-o", out, "--max-nodes", "40", "--expand", "blok3"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "gradviz: --expand: no group, call or function named 'blok3' (did you mean 'block3'?)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let check = try CLI.run(["check", stack, "-o", out, "--max-nodes", "40", "--expand", "block9/x"])
        XCTAssertEqual(check.status, 2, check.stderr)
        XCTAssertTrue(check.stderr.hasPrefix("gradviz: --expand: no group, call or function named 'block9/x'"), check.stderr)
    }
}
