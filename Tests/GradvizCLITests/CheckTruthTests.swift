import Foundation
import XCTest

/// `gradviz check` tells the truth about NaN gradients, infinite derivatives and models
/// with nothing to check.
final class CheckTruthTests: XCTestCase {
    func check(_ model: String, _ arguments: [String] = []) throws -> CLI.Result {
        try CLI.run(["check", "-"] + arguments, stdin: Data(model.utf8))
    }

    func testBackwardOnlyNaNSaysWhereItStarts() throws {
        let r = try check(#"{"inputs": {"a": [1, 2], "b": [1, 2]}, "nodes": [{"id": "d", "expr": "sqrt(sum(square(a - b)))"}]}"#)
        XCTAssertEqual(r.status, 1, r.out)
        XCTAssertTrue(r.out.contains("7 checked, 2 with a NaN or infinite gradient"), r.out)
        let inputRow = r.out.split(separator: "\n").first { $0.contains("input 'a'") }!
        XCTAssertTrue(inputRow.contains("NaN grad") && !inputRow.contains("ok"), String(inputRow))
        XCTAssertTrue(r.out.contains("non-finite gradients start at 'd' (sqrt of 'd.3'): from a finite upstream gradient its backward gives inf, where its derivative is infinite"), r.out)
        let sqrtRow = r.out.split(separator: "\n").first { $0.contains("(sqrt)") }!
        XCTAssertTrue(sqrtRow.contains("inf slope") && sqrtRow.contains("not a wrong backward"), String(sqrtRow))
        XCTAssertFalse(r.out.contains("FAIL"), r.out)
        XCTAssertTrue(r.out.contains("every backward agrees with finite differences"), r.out)
    }

    func testInfiniteDerivativeIsNotAFailure() throws {
        let r = try check(#"{"inputs": {"x": 0}, "nodes": [{"id": "y", "expr": "sqrt(x)"}]}"#)
        XCTAssertEqual(r.status, 0, r.out)
        XCTAssertTrue(r.out.contains("2 checked, all pass; 2 at a point where the derivative is infinite"), r.out)
    }

    func testJSONReportNamesTheNewStatuses() throws {
        let dir = try CLI.temporaryDirectory()
        let report = dir.appendingPathComponent("r.json").path
        let r = try check(#"{"inputs": {"a": [1, 2], "b": [1, 2]}, "nodes": [{"id": "d", "expr": "sqrt(sum(square(a - b)))"}]}"#, ["-o", report])
        XCTAssertEqual(r.status, 1)
        let text = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(text.contains(#""status": "nonfinite_gradient""#), text)
        XCTAssertTrue(text.contains(#""infiniteDerivative": [[]]"#), text)
    }

    /// The explorer's check report says the same: NaN gradients are not ok, ops whose
    /// inputs are not finite are not checked (and not failed).
    func testExplorerReportTellsTheSameTruth() throws {
        let dir = try CLI.temporaryDirectory()
        let page = dir.appendingPathComponent("r.html")
        let r = try check(#"{"inputs": {"a": [1, 2], "b": [1, 2]}, "nodes": [{"id": "d", "expr": "sqrt(sum(square(a - b)))"}]}"#, ["-o", page.path])
        XCTAssertEqual(r.status, 1)
        let html = String(decoding: try Data(contentsOf: page), as: UTF8.self)
        XCTAssertTrue(html.contains("Not ok: the gradient is NaN at [0] and 1 more element"), html.suffix(3000).description)
        XCTAssertTrue(html.contains("the derivative is infinite"))
        let nan = try check(#"{"inputs": {"x": [1, 0, 2]}, "nodes": [{"id": "l", "op": "log", "inputs": ["x"]}, {"id": "L", "expr": "sum(l * 0) + sum(x)"}]}"#, ["-o", page.path])
        XCTAssertEqual(nan.status, 1)
        let html2 = String(decoding: try Data(contentsOf: page), as: UTF8.self)
        XCTAssertTrue(html2.contains(#""status":"unchecked""#) && html2.contains("Not checked: the op's output is NaN or infinite"))
        XCTAssertFalse(html2.contains(#""status":"fail""#))
    }

    func testNothingToCheckIsAnError() throws {
        let none = try check(#"{"inputs": {"a": {"value": [1, 2], "grad": false}}, "nodes": [{"id": "d", "expr": "sum(a * 2)"}]}"#)
        XCTAssertEqual(none.status, 2)
        XCTAssertEqual(none.stderr, "gradviz: <stdin>: nothing to check: no input has a gradient (every input is \"grad\": false)\n")
        XCTAssertEqual(none.out, "")
        let unused = try check(#"{"inputs": {"a": {"value": [1, 2], "grad": false}, "w": 3}, "nodes": [{"id": "d", "expr": "sum(a * 2)"}]}"#)
        XCTAssertEqual(unused.status, 2)
        XCTAssertEqual(unused.stderr, "gradviz: <stdin>: nothing to check: no gradient-enabled input reaches an output\n")
    }

    func testFailuresOnly() throws {
        let model = CLI.packageRoot.appendingPathComponent("samples/swish_wrong_backward.json").path
        let all = try CLI.run(["check", model])
        let failures = try CLI.run(["check", model, "--failures-only"])
        XCTAssertEqual(failures.status, 1)
        let rows = failures.out.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.contains("elements") }
        XCTAssertEqual(rows.count, 3, failures.out)
        XCTAssertTrue(rows.allSatisfy { $0.contains("FAIL") }, failures.out)
        XCTAssertEqual(all.out.split(separator: "\n").first, failures.out.split(separator: "\n").first)
    }
}
