import Foundation
import XCTest
import GradvizCheck
import GradvizCore
import GradvizModel
import GradvizRender

/// The check drawing's marks tell the truth: only an op whose backward disagrees is
/// failed, ops that could not be checked say so neutrally, a failed edge shows numbers
/// that belong together, and the legend explains every mark.
final class CheckMarksTests: XCTestCase {
    func load(_ text: String) throws -> CheckReport {
        let model = try ModelLoader(file: "m.json").load(Array(text.utf8))
        return try CheckReport.run(model, options: GradCheck.Options(), ops: .all)
    }

    func svg(_ r: CheckReport) throws -> String {
        String(decoding: try r.file(.svg, check: GradCheck.Options(), drawing: RenderOptions()), as: UTF8.self)
    }

    func testForwardNaNFailsNoOp() throws {
        let r = try load(#"{"inputs": {"x": [1, 0, 2]}, "nodes": [{"id": "s", "expr": "x * 2"}, {"id": "l", "op": "log", "inputs": ["s"]}, {"id": "m", "expr": "l * 3"}, {"id": "L", "expr": "sum(m) + sum(x)"}]}"#)
        let marks = r.marks(try r.model.backward())
        let node = { (id: String) in r.model.value(named: id)!.node }
        XCTAssertEqual(marks[node("s")]?.verdict, .passed)
        for id in ["l", "m", "L"] { XCTAssertEqual(marks[node(id)]?.verdict, .unchecked, id) }
        XCTAssertFalse(marks.values.contains(where: \.failed))
        let drawing = try svg(r)
        XCTAssertFalse(drawing.contains("FAILED"))
        XCTAssertFalse(drawing.contains("check&#45;failed"))
        XCTAssertTrue(drawing.contains("check&#45;unchecked"))
        XCTAssertTrue(drawing.contains("– not checked: its output is NaN/Inf at these inputs (not blamed)"), "legend")
        XCTAssertTrue(drawing.contains("⚠ red outline: first NaN/Inf"), "legend")
        XCTAssertTrue(drawing.contains("⚠ first NaN/Inf &#160;– not checked"), "the log that made the NaN")
    }

    func testFailedEdgeShowsTheFiniteDifferencesOfItsOwnGradient() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples/swish_wrong_backward.json")
        let r = try CheckReport.run(try ModelLoader.load(path: url.path), options: GradCheck.Options(), ops: .all)
        let grads = try r.model.backward()
        let h = r.model.value(named: "h")!.node
        let mark = try XCTUnwrap(r.marks(grads)[h])
        XCTAssertEqual(mark.verdict, .failed)
        // What the drawn ∇ should be: finite differences of swish alone for the same upstream.
        let expected = try XCTUnwrap(mark.expected[0])
        let z = r.model.graph.value(r.model.graph.nodes[h].inputs[0]).data
        let g = grads[ValueID(node: h)]!.data
        for i in 0..<3 {
            let s = 1 / (1 + Foundation.exp(-z[i]))
            XCTAssertEqual(expected.data[i], g[i] * (s + z[i] * s * (1 - s)), accuracy: 1e-6)
        }
        XCTAssertNotEqual(grads.edge(node: h, slot: 0)!.data[0], expected.data[0], accuracy: 1e-3)
        let drawing = try svg(r)
        XCTAssertTrue(drawing.contains("✗ finite differences: [1.7, 1.672, 2.669]"), "on the edge, beside its ∇")
        XCTAssertTrue(drawing.contains("(the op alone, same upstream gradient)"))
        XCTAssertTrue(drawing.contains("✗ red outline: op check failed"), "legend")
        XCTAssertTrue(drawing.contains("✓ op check passed"), "legend")
    }

    func testZeroUpstreamFallsBackToTheOpChecksOwnNumbers() throws {
        // The model sends a zero gradient into the wrong backward: with it, nothing shows.
        let r = try load(#"{"inputs": {"x": [0.5, 1]}, "functions": {"bad": {"params": ["x"], "forward": "x * x", "backward": {"x": "grad * x"}}}, "nodes": [{"id": "y", "op": "bad", "inputs": ["x"]}, {"id": "L", "expr": "sum(y * 0)"}]}"#)
        let y = r.model.value(named: "y")!.node
        let mark = try XCTUnwrap(r.marks(try r.model.backward())[y])
        XCTAssertEqual(mark.verdict, .failed)
        XCTAssertNil(mark.expected[0])
        XCTAssertTrue(mark.slots[0]?.hasPrefix("✗ op check, random upstream gradient: backward ") == true, mark.slots[0] ?? "")
    }
}
