import Foundation
import XCTest

/// Usage mistakes: one line on stderr that says what is wrong, exit status 2, nothing written.
final class UsageTests: XCTestCase {
    let model = CLI.packageRoot.appendingPathComponent("samples/neuron.json").path

    func usageError(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(arguments, in: dir)
        XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr, "gradviz: \(expected)\n", "\(arguments)", file: file, line: line)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "\(arguments) wrote a file", file: file, line: line)
    }

    func testUnknownCommandGetsADidYouMean() throws {
        try usageError(["chek", model], "unknown command 'chek' (did you mean 'check'?)")
        try usageError(["rendr", model, "-o", "x.svg"], "unknown command 'rendr' (did you mean 'render'?)")
        try usageError(["frobnicate", model], "unknown command 'frobnicate' (the commands are render, check and ops; gradviz MODEL renders)")
    }

    func testNegativeNumbersGetTheRealMessage() throws {
        try usageError([model, "--focus", "u", "--depth", "-1", "-o", "x.svg"], "--depth must be ≥ 0, got -1")
        try usageError([model, "--precision", "-3", "-o", "x.svg"], "--precision must be between 1 and 17, got -3")
        try usageError(["check", model, "--eps", "-1e-6"], "--eps must be in (0, 1), got -1e-06")
    }

    func testFocusAndDepth() throws {
        try usageError([model, "--focus", "zz", "-o", "x.svg"], "--focus: no value named 'zz' (the values are 'x', 'w', 'b', 'u', 'v', 'y')")
        try usageError([model, "--focus", "uu", "-o", "x.svg"], "--focus: no value named 'uu' (did you mean 'u'?)")
        try usageError([model, "--depth", "1", "-o", "x.svg"], "--depth needs --focus ID: it counts edges away from that value")
        let r = try CLI.run([model, "--focus", "u", "--depth", "0", "-o", "-", "--format", "dot"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testExtensionAndFormatMustAgree() throws {
        try usageError([model, "-o", "x.svg", "--format", "png"], "x.svg: the extension says svg, --format says png; make them agree")
        try usageError(["check", model, "-o", "r.json", "--format", "svg"], "r.json: the extension says json, --format says svg; make them agree")
        let dir = try CLI.temporaryDirectory()
        XCTAssertEqual(try CLI.run([model, "-o", "x.svg", "--format", "svg"], in: dir).status, 0)
    }

    func testRankdirTakesAllFourDirectionsInAnyCase() throws {
        for (given, drawn) in [("RL", "RL"), ("bt", "BT"), ("Tb", "TB"), ("lr", "LR")] {
            let r = try CLI.run([model, "--rankdir", given, "-o", "-", "--format", "dot"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.out.contains("rankdir=\(drawn)"), "\(given): \(r.out.prefix(300))")
        }
        try usageError([model, "--rankdir", "up", "-o", "x.svg"], "--rankdir must be LR, RL, TB or BT, got 'up'")
    }

    /// ArgumentParser's man page generator drops every non-ASCII character (make install
    /// builds gradviz.1 from --help), so the help says everything in ASCII.
    func testHelpIsASCIISoTheManPageKeepsIt() throws {
        for command in [[], ["render"], ["check"], ["ops"]] {
            let r = try CLI.run(command + ["--help"])
            XCTAssertEqual(r.status, 0)
            let lines = r.out.split(separator: "\n").filter { !$0.allSatisfy(\.isASCII) }
            XCTAssertEqual(lines, [], "gradviz \(command.joined()) --help")
        }
    }

    func testArgumentParserErrorsAreOneLine() throws {
        try usageError([model, "--bogus"], "Unknown option '--bogus'. Did you mean '--focus'?")
        try usageError([model, "--precision"], "Missing value for '--precision <precision>'")
    }
}
