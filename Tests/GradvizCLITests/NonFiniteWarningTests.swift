import Foundation
import XCTest

/// A NaN or infinite objective (or input gradient) does not stop a drawing or a result
/// file, but one line on stderr says so and where it started.
final class NonFiniteWarningTests: XCTestCase {
    func write(_ text: String) throws -> (dir: URL, model: String) {
        let dir = try CLI.temporaryDirectory()
        let model = dir.appendingPathComponent("m.json")
        try Data(text.utf8).write(to: model)
        return (dir, model.path)
    }

    func testNonFiniteObjectiveIsReportedWithItsOrigin() throws {
        let (dir, model) = try write("""
            {"inputs": {"x": [1, 0, 2]},
             "nodes": [
               {"id": "s", "expr": "x * 2"},
               {"id": "l", "op": "log", "inputs": ["s"]},
               {"id": "L", "expr": "sum(l) + sum(x)"}]}
            """)
        for out in ["r.json", "g.svg"] {
            let r = try CLI.run([model, "-o", dir.appendingPathComponent(out).path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stderr, "gradviz: \(model):4: the objective is -inf: non-finite values start at 'l' (log of 's')\n")
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(out).path))
        }
    }

    func testNaNGradientOfAFiniteObjectiveIsReported() throws {
        let (dir, model) = try write(#"{"inputs": {"a": [1, 2], "b": [1, 2]}, "nodes": [{"id": "d", "expr": "sqrt(sum(square(a - b)))"}]}"#)
        let r = try CLI.run([model, "-o", dir.appendingPathComponent("r.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "gradviz: \(model):1: the gradients of 'a', 'b' are NaN or infinite though the objective is finite (0): "
            + "non-finite gradients start at 'd' (sqrt), whose backward gives inf from a finite upstream gradient\n")
    }

    func testFiniteModelsSayNothing() throws {
        let r = try CLI.run([CLI.packageRoot.appendingPathComponent("samples/mlp.json").path, "-o", "-", "--format", "json"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stderr, "")
    }
}
