import Foundation
import XCTest
@testable import GradvizModel
import GradvizCore

/// The loader's own behaviour beyond single messages: what it builds.
final class LoaderTests: XCTestCase {
    /// The same op on scalars and on tensors, one after the other: each node gets its own
    /// shapes.
    func testEachNodeGetsItsOwnShapes() throws {
        let text = #"""
        {"inputs": {"x": 2, "v": [1, 2, 3], "m": [[1, 2], [3, 4]]},
         "nodes": [{"id": "a", "op": "mul", "inputs": ["x", "x"]},
                   {"id": "b", "op": "mul", "inputs": ["v", "a"]},
                   {"id": "c", "op": "mul", "inputs": ["a", 3]},
                   {"id": "d", "op": "add", "inputs": ["m", "c"]},
                   {"id": "e", "op": "sum", "inputs": ["d"]},
                   {"id": "f", "op": "sum", "inputs": ["b"]},
                   {"id": "g", "op": "mul", "inputs": ["e", "f"]}]}
        """#
        let model = try ModelLoader(file: "m.json").load(text)
        let shapes = ["a", "b", "c", "d", "e", "g"].map { model.graph.value(model.value(named: $0)!).shape }
        XCTAssertEqual(shapes, [[], [3], [], [2, 2], [], []])
    }

    /// Generated ids (expression intermediates, composite ports) avoid every id of the file,
    /// also ids declared after the node that generates them.
    func testGeneratedIdsAvoidIdsDeclaredLater() throws {
        let text = #"""
        {"inputs": {"x": 2, "y": 3},
         "functions": {"sq": {"params": ["u"], "body": "u * u + u"}},
         "nodes": [{"id": "f", "expr": "x * y + exp(x)"},
                   {"id": "g", "op": "sq", "inputs": ["f"]},
                   {"id": "f.1", "op": "exp", "inputs": ["g"]},
                   {"id": "g.u", "op": "neg", "inputs": ["f.1"]},
                   {"id": "L", "op": "add", "inputs": ["g.u", "f"]}]}
        """#
        let model = try ModelLoader(file: "m.json").load(text)
        let names = model.namedValues.map(\.name)
        XCTAssertEqual(names.count, Set(names).count, "a generated id repeats one of the file's: \(names)")
    }
}
