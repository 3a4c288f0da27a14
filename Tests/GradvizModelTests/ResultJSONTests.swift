import XCTest
import GradvizCore
@testable import GradvizModel

final class ResultJSONTests: XCTestCase {
    /// An expression's intermediates and a composite call's ports and body have generated
    /// ids; the result lists their values and gradients, and every edge names values it lists.
    func testGeneratedIdsAreInValuesAndGrads() throws {
        let model = try ModelLoader(file: "m.json").load("""
            {"gradviz": 1,
             "functions": {"sq_plus": {"params": ["x", "y"], "body": "x * x + y"}},
             "inputs": {"a": 2, "b": 3},
             "nodes": [
               {"id": "f", "expr": "(a + b) * (a - b)"},
               {"id": "s", "op": "sq_plus", "inputs": ["f", "a"]},
               {"id": "L", "expr": "s * 2 + f"}
             ]}
            """)
        let result = try JSONValue.parse(ResultJSON.write(model, try model.backward()))
        let values = try XCTUnwrap(result["values"]?.objectMembers).map(\.key)
        let grads = try XCTUnwrap(result["grads"]?.objectMembers).map(\.key)
        XCTAssertEqual(values, ["a", "b", "f.1", "f.2", "f", "s.x", "s.y", "s.1", "s", "L.1", "L"])
        XCTAssertEqual(grads, values, "every value here is on a path from an input to L")
        XCTAssertEqual(result["values"]?["f.1"]?.doubleValue, 5)
        XCTAssertEqual(result["values"]?["f.2"]?.doubleValue, -1)
        XCTAssertEqual(result["values"]?["s.1"]?.doubleValue, 25)   // x * x with x = f = -5
        // L = 2 s + f: s's port x receives 2 * 2x = -20, and f adds its direct 1.
        XCTAssertEqual(result["grads"]?["s.x"]?.doubleValue, -20)
        XCTAssertEqual(result["grads"]?["f"]?.doubleValue, -19)
        let edges = try XCTUnwrap(result["edges"]?.arrayElements)
        for edge in edges {
            let from = try XCTUnwrap(edge["from"]?.stringValue), to = try XCTUnwrap(edge["to"]?.stringValue)
            XCTAssertTrue(values.contains(from), "edge from '\(from)' names a value the result lists")
            XCTAssertTrue(values.contains(to), "edge to '\(to)' names a value the result lists")
        }
        XCTAssertTrue(edges.contains { $0["from"]?.stringValue == "s.x" && $0["to"]?.stringValue == "s.1" },
                      "the call's internal edges are listed under generated ids")
    }

    /// Negative zero keeps its sign in the result (written -0.0: many readers take -0 for
    /// the integer 0), and so does a value computed from it.
    func testNegativeZeroKeepsItsSign() throws {
        let model = try ModelLoader(file: "m.json").load("""
            {"inputs": {"x": -0.0, "v": [-0.0, 1]}, "nodes": [{"id": "y", "op": "mul", "inputs": ["x", 3]}, {"id": "L", "op": "sum", "inputs": ["v"]}]}
            """)
        let text = String(decoding: ResultJSON.write(model, try model.backward()), as: UTF8.self)
        XCTAssertTrue(text.contains(#""x": -0.0,"#), text)
        XCTAssertTrue(text.contains(#""v": [-0.0, 1]"#), text)
        XCTAssertTrue(text.contains(#""y": -0.0"#), text)
        let parsed = try JSONValue.parse(text)
        XCTAssertEqual(parsed["values"]?["x"]?.doubleValue?.sign, .minus)
    }
}
