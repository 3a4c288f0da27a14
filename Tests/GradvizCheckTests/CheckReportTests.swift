import Foundation
import XCTest
import GradvizCheck
import GradvizCore
import GradvizModel
import GradvizRender

/// gradviz check's report, in process: the table, the JSON report and the drawing's marks.
final class CheckReportTests: XCTestCase {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples")

    func report(_ sample: String) throws -> CheckReport {
        let model = try ModelLoader.load(path: Self.samples.appendingPathComponent(sample + ".json").path)
        return try CheckReport.run(model, options: GradCheck.Options(), ops: .all)
    }

    func testWrongBackwardIsPinnedToItsNode() throws {
        let r = try report("swish_wrong_backward")
        XCTAssertFalse(r.passed)
        let table = r.table()
        XCTAssertTrue(table.contains(": 7 checked, 3 failed"), table)
        XCTAssertTrue(table.contains("the backward of 'h' disagrees with finite differences"), table)
        let failing = table.split(separator: "\n").filter { $0.contains("FAIL") }
        XCTAssertEqual(failing.count, 3)
        XCTAssertTrue(failing.contains { $0.contains("node 'h' (swish) ← x = 'z'") })
        XCTAssertTrue(r.table(failuresOnly: true).split(separator: "\n").allSatisfy { !$0.contains(" ok") })

        // The drawing's marks: h failed, with the numbers on its edge; the other ops passed.
        let marks = r.marks()
        let h = r.model.value(named: "h")!.node
        XCTAssertEqual(marks[h]?.passed, false)
        XCTAssertTrue(marks[h]?.slots[0]?.contains("random upstream gradient: backward ") == true, "without the model's gradients, the op check's own numbers")
        XCTAssertEqual(marks.filter { !$0.value.passed }.map(\.key), [h])

        let json = try JSONSerialization.jsonObject(with: Data(r.json(options: GradCheck.Options()))) as! [String: Any]
        XCTAssertEqual(json["passed"] as? Bool, false)
        let checks = json["checks"] as! [[String: Any]]
        XCTAssertEqual(checks.count, 7)
        XCTAssertEqual(checks.filter { $0["status"] as? String == "fail" }.count, 3)
        XCTAssertEqual(checks.first { $0["node"] as? String == "h" }?["status"] as? String, "fail")

        // The report file in each format draws from the same marks.
        let svg = String(decoding: try r.file(.svg, check: GradCheck.Options(), drawing: RenderOptions()), as: UTF8.self)
        XCTAssertTrue(svg.contains("op&#45;swish custom check&#45;failed"), "the SVG marks h failed")
        XCTAssertEqual(try r.file(.json, check: GradCheck.Options(), drawing: RenderOptions()), r.json(options: GradCheck.Options()))
    }

    func testFixedBackwardPasses() throws {
        let r = try report("swish_fixed_backward")
        XCTAssertTrue(r.passed)
        XCTAssertTrue(r.table().contains("all pass"))
        XCTAssertTrue(r.marks().values.allSatisfy(\.passed))
        XCTAssertNil(r.nothingToCheck)
    }

    func testNothingToCheckSaysWhy() throws {
        let model = try ModelLoader(file: "m.json").load(Array(#"{"inputs": {"x": {"value": 2, "grad": false}}, "nodes": [{"id": "y", "expr": "x * x"}]}"#.utf8))
        let r = try CheckReport.run(model, options: GradCheck.Options(), ops: .all)
        XCTAssertEqual(r.nothingToCheck, "no input has a gradient (every input is \"grad\": false)")
    }
}
