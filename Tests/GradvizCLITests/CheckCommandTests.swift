import Foundation
import XCTest
import GradvizCore
import GradvizModel

/// `gradviz check` from the command line, and the same results from Swift.
final class CheckCommandTests: XCTestCase {
    func sample(_ name: String) -> String { CLI.packageRoot.appendingPathComponent("samples/\(name).json").path }

    func testWrongBackwardFailsAndPointsAtTheNode() throws {
        let dir = try CLI.temporaryDirectory()
        let report = dir.appendingPathComponent("report.json").path
        let r = try CLI.run(["check", sample("swish_wrong_backward"), "-o", report])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.out.contains("the backward of 'h' disagrees"), r.out)
        let json = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: report))))
        XCTAssertEqual(json["passed"]?.boolValue, false)
        let failedOps = json["checks"]!.arrayElements!.filter { $0["status"]?.stringValue == "fail" && $0["kind"]?.stringValue == "op" }
        XCTAssertEqual(failedOps.compactMap { $0["node"]?.stringValue }, ["h"])
        XCTAssertEqual(failedOps.first?["op"]?.stringValue, "swish")
    }

    func testCorrectBackwardPasses() throws {
        let r = try CLI.run(["check", sample("swish_fixed_backward")])
        XCTAssertEqual(r.status, 0, r.out + r.stderr)
        XCTAssertTrue(r.out.contains("all pass"), r.out)
    }

    /// Every built-in op of the references passes the checker.
    func testEveryReferencePasses() throws {
        let dir = CLI.packageRoot.appendingPathComponent("Tests/Fixtures/reference")
        let models = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") && !$0.contains("expected") }
        XCTAssertGreaterThanOrEqual(models.count, 8)
        for m in models {
            let r = try CLI.run(["check", dir.appendingPathComponent(m).path, "--samples", "0"])
            XCTAssertEqual(r.status, 0, "\(m): \(r.out)")
        }
    }

    /// The Swift API gives the results the command prints.
    func testSwiftAPIMatchesTheCommand() throws {
        let model = try ModelLoader.load(path: sample("swish_wrong_backward"))
        let items = try GradCheck.check(model.graph, outputs: model.outputs, seeds: model.seeds)
        let failing = items.filter { !$0.passed }.compactMap(\.node).map { model.graph.name(ValueID(node: $0)) }
        XCTAssertEqual(failing, ["h"])
        let r = try CLI.run(["check", sample("swish_wrong_backward")])
        XCTAssertTrue(r.out.contains("\(items.count) checked, \(items.filter { !$0.passed }.count) failed"), r.out)
    }

    func testBroadcastGradientNotSummedBackIsNamed() throws {
        let dir = try CLI.temporaryDirectory()
        let model = dir.appendingPathComponent("m.json")
        try Data(#"{"inputs": {"x": [[1, 2], [3, 4]], "b": [0.5, 1]}, "functions": {"bias": {"params": ["x", "b"], "forward": "x + b", "backward": {"x": "grad", "b": "grad"}}}, "nodes": [{"id": "y", "op": "bias", "inputs": ["x", "b"]}, {"id": "L", "op": "sum", "inputs": ["y"]}]}"#.utf8).write(to: model)
        let r = try CLI.run(["check", model.path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("node 'y'") && r.stderr.contains("backward for 'b' has shape [2, 2]"), r.stderr)
    }

    func testNaNOriginIsFound() throws {
        let model = #"{"inputs": {"x": [1, 0, 2]}, "nodes": [{"id": "s", "expr": "x * 2"}, {"id": "l", "op": "log", "inputs": ["s"]}, {"id": "L", "expr": "sum(l * 0) + sum(x)"}]}"#
        let r = try CLI.run(["check", "-"], stdin: Data(model.utf8))
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.out.contains("non-finite values start at 'l' (log of 's')"), r.out)
        XCTAssertFalse(r.out.contains("disagrees"), "a NaN forward is not a wrong backward: \(r.out)")
    }
}
