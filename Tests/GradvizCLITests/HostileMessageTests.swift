import Foundation
import XCTest

/// A message that embeds text from the model stays one line: a newline or an escape
/// sequence in an op name, id, key or string cannot split it, forge a second
/// `gradviz: file:1:1:` line or reach the terminal (issue 13, item 12).
final class HostileMessageTests: XCTestCase {
    /// The JSON text of a string holding a newline, a forged message and a terminal escape.
    static let evil = #"a\ngradviz: other.json:1:1: forged\u001b[2J\u001b]0;title\u0007\u202e\u0085"#

    func expectOneCleanLine(_ model: String, _ fragment: String, showsEvil: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.json").path
        try Data(model.utf8).write(to: URL(fileURLWithPath: path))
        for arguments in [[path, "-o", dir.appendingPathComponent("o.svg").path], ["check", path]] {
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 2, r.stderr, file: file, line: line)
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "one line: \(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.stderr.hasPrefix("gradviz: \(path):"), r.stderr, file: file, line: line)
            XCTAssertFalse(r.stderr.dropLast().unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{202E}" },
                           "no control characters: \(r.stderr.debugDescription)", file: file, line: line)
            XCTAssertTrue(!showsEvil || r.stderr.contains("U+000Agradviz: other.json:1:1: forgedU+001B[2JU+001B]0;titleU+0007U+202EU+0085"),
                          r.stderr, file: file, line: line)
            XCTAssertTrue(r.stderr.contains(fragment), "'\(fragment)' not in \(r.stderr)", file: file, line: line)
        }
    }

    func testOpNames() throws {
        try expectOneCleanLine(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "\#(Self.evil)", "inputs": ["x"]}]}"#, "unknown op 'a")
        try expectOneCleanLine(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "expr": "sin(x) + \#(Self.evil)(x)"}]}"#, "expr column", showsEvil: false)
        try expectOneCleanLine(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "expr": "sin(x) + \u001b[2J\u0085(x)"}]}"#, "unknown character 'U+001B'", showsEvil: false)
    }

    func testIdsKeysAndStrings() throws {
        try expectOneCleanLine(#"{"inputs": {"\#(Self.evil)": 1}, "nodes": []}"#, "is not a valid id")
        try expectOneCleanLine(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "inputs": ["\#(Self.evil)"]}]}"#, "undefined id 'a")
        try expectOneCleanLine(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "inputs": ["x"], "\#(Self.evil)": 1}]}"#, "unknown key 'a")
        try expectOneCleanLine(#"{"\#(Self.evil)": 1, "inputs": {"x": 1}, "nodes": []}"#, "unknown top-level key 'a")
        try expectOneCleanLine(#"{"inputs": {"x": {"shape": [2], "init": "\#(Self.evil)"}}, "nodes": []}"#, "unknown init 'a")
        try expectOneCleanLine(#"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "y", "op": "gelu", "inputs": ["x"], "attrs": {"approximate": "\#(Self.evil)"}}]}"#, "got \"a")
        try expectOneCleanLine(#"{"inputs": {"x": 1}, "functions": {"\#(Self.evil)": {"params": ["x"], "body": "x"}}, "nodes": []}"#, "is not a valid name")
    }

    /// A model file whose name holds an escape sequence: messages and the check table show
    /// it escaped too.
    func testFileNamesAreShownEscaped() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let name = "m\u{1b}[2J\n.json"
        try Data(#"{"inputs": {"x": 2}, "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}]}"#.utf8).write(to: dir.appendingPathComponent(name))
        let table = try CLI.run(["check", name], in: dir)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.out.hasPrefix("gradient check of mU+001B[2JU+000A.json:"), table.out)
        try Data("{".utf8).write(to: dir.appendingPathComponent(name))
        let error = try CLI.run([name, "-o", "o.svg"], in: dir)
        XCTAssertEqual(error.status, 2)
        XCTAssertTrue(error.stderr.hasPrefix("gradviz: mU+001B[2JU+000A.json:1:"), error.stderr)
    }
}
