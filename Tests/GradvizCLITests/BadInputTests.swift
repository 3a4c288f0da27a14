import Foundation
import XCTest

/// Every mistake a person makes in a model gets one line on stderr naming the file and
/// the place, exit status 2, and no output file (an existing one stays untouched).
final class BadInputTests: XCTestCase {
    let valid = #"{"inputs": {"x": 2, "y": [1, 2, 3]}, "nodes": [{"id": "z", "op": "mul", "inputs": ["x", "y"]}, {"id": "L", "op": "sum", "inputs": ["z"]}]}"#

    /// Runs gradviz on `model` and checks the error contract; returns the message.
    @discardableResult
    func expectError(_ model: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelURL = dir.appendingPathComponent("model.json")
        try Data(model.utf8).write(to: modelURL)
        let fresh = dir.appendingPathComponent("out.json").path
        let existing = dir.appendingPathComponent("old.json").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: existing))
        for output in [fresh, existing] {
            let r = try CLI.run([modelURL.path, "-o", output])
            XCTAssertEqual(r.status, 2, "exit status; stderr: \(r.stderr)", file: file, line: line)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "one line: \(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.stderr.hasPrefix("gradviz: \(modelURL.path):"), "names the file: \(r.stderr)", file: file, line: line)
            for f in fragments { XCTAssertTrue(r.stderr.contains(f), "'\(f)' not in: \(r.stderr)", file: file, line: line) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh), "no output file", file: file, line: line)
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "old", "old output untouched", file: file, line: line)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("tmp") }
        XCTAssertEqual(leftovers, [], "no temporary files left", file: file, line: line)
        return try CLI.run([modelURL.path, "-o", fresh]).stderr
    }

    func testValidModelRuns() throws {
        let dir = try CLI.temporaryDirectory()
        try Data(valid.utf8).write(to: dir.appendingPathComponent("m.json"))
        let r = try CLI.run(["m.json", "-o", "r.json"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.json").path))
    }

    func testMalformedJSONGivesLineAndColumn() throws {
        try expectError("{\n  \"inputs\": {\"x\": 1,}\n}", [":2:", "invalid JSON"])
        try expectError("", ["invalid JSON"])
        try expectError("[1, 2", ["invalid JSON"])
    }

    func testUnknownKeysSuggestTheNearestName() throws {
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}], "ouputs": ["y"]}"#, ["unknown top-level key 'ouputs'", "did you mean 'outputs'"])
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "input": ["x"]}]}"#, ["unknown key 'input'", "did you mean 'inputs'"])
        try expectError(#"{"inputs": {"x": {"value": 1, "grads": false}}, "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}]}"#, ["input 'x'", "'grads'", "did you mean 'grad'"])
    }

    func testUnknownOpAndAttribute() throws {
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "sigmod", "inputs": ["x"]}]}"#, ["node 'y'", "unknown op 'sigmod'", "did you mean 'sigmoid'"])
        try expectError(#"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "y", "op": "sum", "inputs": ["x"], "attrs": {"axes": 0}}]}"#, ["node 'y'", "unknown attribute 'axes'", "did you mean 'axis'"])
        try expectError(#"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "y", "op": "reshape", "inputs": ["x"]}]}"#, ["node 'y'", "needs attribute 'shape'"])
        try expectError(#"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "y", "op": "sum", "inputs": ["x"], "attrs": {"keepdims": 1}}]}"#, ["node 'y'", "'keepdims' must be true or false"])
        try expectError(#"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "y", "op": "gelu", "inputs": ["x"], "attrs": {"approximate": "fast"}}]}"#, ["node 'y'", "one of \"none\", \"tanh\""])
    }

    func testUndefinedForwardAndDuplicateIds() throws {
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "inputs": ["xx"]}]}"#, ["node 'y'", "undefined id 'xx'", "did you mean 'x'"])
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "inputs": ["z"]}, {"id": "z", "op": "exp", "inputs": ["x"]}]}"#, ["node 'y'", "'z' is defined later"])
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "x", "op": "exp", "inputs": ["x"]}]}"#, ["duplicate id 'x'"])
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "2y", "op": "exp", "inputs": ["x"]}]}"#, ["'2y' is not a valid id"])
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "expr": "exp(q) + x"}]}"#, ["node 'y'", "expr column 5", "undefined id 'q'"])
    }

    func testRaggedArraysAndBadValues() throws {
        try expectError(#"{"inputs": {"x": [[1, 2], [3]]}, "nodes": [{"id": "y", "op": "sum", "inputs": ["x"]}]}"#, ["input 'x'", "ragged"])
        try expectError(#"{"inputs": {"x": [1, "a"]}, "nodes": [{"id": "y", "op": "sum", "inputs": ["x"]}]}"#, ["input 'x'", "expected a number"])
        try expectError(#"{"inputs": {"x": {"shape": [2], "init": "gaussian"}}, "nodes": [{"id": "y", "op": "sum", "inputs": ["x"]}]}"#, ["input 'x'", "unknown init"])
    }

    func testWrongArityAndShapeMismatch() throws {
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "add", "inputs": ["x"]}]}"#, ["node 'y'", "add takes 2 inputs", "got 1"])
        try expectError(#"{"inputs": {"a": [[1, 2, 3], [4, 5, 6]], "b": [[1, 2], [3, 4]]}, "nodes": [{"id": "y", "op": "matmul", "inputs": ["a", "b"]}, {"id": "L", "op": "sum", "inputs": ["y"]}]}"#,
                        ["node 'y'", "matmul", "[2, 3]", "[2, 2]"])
        try expectError(#"{"inputs": {"a": [1, 2, 3], "b": [1, 2]}, "nodes": [{"id": "L", "expr": "sum(a * b)"}]}"#, ["node 'L'", "mul: shapes [3] and [2] do not broadcast"])
    }

    func testOutputsAndSeeds() throws {
        try expectError(#"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}]}"#, ["output 'y' has shape [2]", "needs a \"seed\""])
        try expectError(#"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}], "seed": {"y": [1, 2, 3]}}"#, ["seed for 'y' has shape [3]", "[2]"])
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}], "outputs": ["q"]}"#, ["\"outputs\": undefined id 'q'"])
        try expectError(#"{"gradviz": 2, "inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}]}"#, ["version"])
    }

    func testFunctions() throws {
        try expectError(#"{"inputs": {"x": 1}, "functions": {"f": {"params": ["a"], "body": "g(a)"}, "g": {"params": ["a"], "body": "f(a) + 1"}}, "nodes": [{"id": "y", "op": "f", "inputs": ["x"]}]}"#, ["recursive", "→"])
        try expectError(#"{"inputs": {"x": 1}, "functions": {"f": {"params": ["a"], "body": "a * b"}}, "nodes": [{"id": "y", "op": "f", "inputs": ["x"]}]}"#, ["function 'f'", "'b' is not a param"])
        try expectError(#"{"inputs": {"x": 1}, "functions": {"f": {"params": ["a"], "forward": "a * 2"}}, "nodes": [{"id": "y", "op": "f", "inputs": ["x"]}]}"#, ["function 'f'", "needs \"backward\""])
        try expectError(#"{"inputs": {"x": [1, 2], "b": [[1, 2], [3, 4]]}, "functions": {"f": {"params": ["x", "b"], "forward": "x + b", "backward": {"x": "grad", "b": "grad"}}}, "nodes": [{"id": "y", "op": "f", "inputs": ["b", "x"]}, {"id": "L", "op": "sum", "inputs": ["y"]}]}"#,
                        ["node 'y'", "backward for 'b' has shape [2, 2], but 'b' has shape [2]"])
    }

    func testExpressionSyntaxErrorsGiveTheColumn() throws {
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "expr": "x * * 2"}]}"#, ["node 'y'", "expr column 5"])
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "expr": "exp(x"}]}"#, ["node 'y'", "expr column"])
    }

    func testSizesBeyondTheLimitAreRefused() throws {
        try expectError(#"{"inputs": {"x": {"shape": [100000, 100000], "init": "zeros"}}, "nodes": [{"id": "y", "op": "sum", "inputs": ["x"]}]}"#, ["input 'x'", "limit"])
        try expectError(#"{"inputs": {"a": {"shape": [100000, 1], "init": "ones"}, "b": {"shape": [1, 100000], "init": "ones"}}, "nodes": [{"id": "y", "op": "matmul", "inputs": ["a", "b"]}, {"id": "L", "op": "sum", "inputs": ["y"]}]}"#, ["node 'y'", "more than"])
        try expectError(#"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "y", "op": "reshape", "inputs": ["x"], "attrs": {"shape": [1099511627776, 1099511627776, -1]}}]}"#, ["node 'y'", "reshape"])
    }

    func testHostileNestingDoesNotCrash() throws {
        let deep = String(repeating: "[", count: 100_000)
        try expectError(#"{"inputs": {"x": "# + deep + "}", ["invalid JSON"])
        let parens = String(repeating: "(", count: 50_000) + "x" + String(repeating: ")", count: 50_000)
        try expectError(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "expr": ""# + parens + #""}]}"#, ["node 'y'"])
    }

    func testValuesThatOnlyComputingReveals() throws {
        try expectError(#"{"inputs": {"z": [[1, 2, 3]], "t": {"value": [7], "grad": false}}, "nodes": [{"id": "L", "op": "cross_entropy", "inputs": ["z", "t"]}]}"#, ["node 'L'", "not a class index"])
    }

    func testMissingFileAndBadOutput() throws {
        let r = try CLI.run(["/nonexistent/model.json", "-o", "/tmp/x.json"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("/nonexistent/model.json: no such file"), r.stderr)
        let dir = try CLI.temporaryDirectory()
        try Data(valid.utf8).write(to: dir.appendingPathComponent("m.json"))
        let bad = try CLI.run(["m.json", "-o", "nodir/r.json"], in: dir)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("does not exist"), bad.stderr)
        let usage = try CLI.run(["m.json", "--precision", "0"], in: dir)
        XCTAssertEqual(usage.status, 2, usage.stderr)
    }
}
