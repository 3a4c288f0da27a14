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

extension LoaderTests {
    /// Ids match byte for byte: String's == would match canonically equivalent spellings
    /// (the Kelvin sign U+212A and K), so a look-alike must be an undefined id, every time,
    /// wherever an id is used.
    func testLookAlikesAreUndefinedIds() {
        let cases = [
            (#"{"inputs": {"K": 1, "b": 2}, "nodes": [{"id": "a", "op": "exp", "inputs": ["\u212A"]}]}"#, "m.json:1:"),
            (#"{"inputs": {"K": 1}, "nodes": [{"id": "a", "expr": "exp(\u212A)"}]}"#, "expr column 5"),
            (#"{"inputs": {"K": 1}, "nodes": [{"id": "a", "op": "exp", "inputs": ["K"]}], "outputs": ["\u212A"]}"#, "\"outputs\": undefined id"),
            (#"{"inputs": {"K": 1}, "nodes": [{"id": "a", "op": "exp", "inputs": ["K"]}], "seed": {"a\u0301": 1}}"#, "is not an output"),
        ]
        for (text, part) in cases {
            for _ in 0..<20 {
                XCTAssertThrowsError(try ModelLoader(file: "m.json").load(text)) { error in
                    let message = "\(error)"
                    XCTAssertTrue(message.contains(part), message)
                }
            }
        }
        XCTAssertThrowsError(try ModelLoader(file: "m.json").load(cases[0].0)) { error in
            XCTAssertTrue("\(error)".contains("U+212A"), "\(error)")
        }
    }
}

/// Functions that call each other several times per level are measured before anything is
/// expanded (issue 13 item 6).
final class ExpansionTests: XCTestCase {
    func functions(levels: Int, calls: Int) -> String {
        var fs = [#""f0": {"params": ["x"], "body": "x * 2"}"#]
        for i in 1...levels {
            let body = (0..<calls).map { _ in "f\(i - 1)(x)" }.joined(separator: " + ")
            fs.append(#""f\#(i)": {"params": ["x"], "body": "\#(body)"}"#)
        }
        return "{" + fs.joined(separator: ", ") + "}"
    }

    /// The size known beforehand is the size expanded, for calls in nodes and in expressions.
    func testSizesAreExact() throws {
        for (levels, calls) in [(1, 1), (3, 2), (4, 3)] {
            for node in [#"{"id": "y", "op": "f\#(levels)", "inputs": ["a"]}"#, #"{"id": "y", "expr": "f\#(levels)(a) * 2 + f0(a)"}"#,
                         #"{"id": "y", "expr": "f\#(levels)(a)"}"#] {
                let text = #"{"inputs": {"a": 1}, "functions": \#(functions(levels: levels, calls: calls)), "nodes": [\#(node)]}"#
                let decoded = try ModelDecoder(file: "m.json").decode(try JSONValue.parse(text))
                let planner = Planner(file: "m.json")
                try planner.read(decoded)
                guard case .expression(let e) = decoded.nodes[0].body else {
                    XCTAssertEqual(planner.table.sizes["f\(levels)"]?.nodes, planner.plan.nodes.count - 1, text)
                    continue
                }
                XCTAssertEqual(planner.table.size(of: try Expr.parse(e.text)), planner.plan.nodes.count - 1, text)
            }
        }
    }

    /// 30 levels of two calls each, in under 2 KB: refused at once, naming the chain.
    func testAnExpansionBombIsRefusedBeforeExpanding() throws {
        let text = #"{"inputs": {"a": 1}, "functions": \#(functions(levels: 30, calls: 2)), "nodes": [{"id": "y", "op": "f30", "inputs": ["a"]}]}"#
        let started = Date()
        XCTAssertThrowsError(try ModelLoader(file: "m.json").load(text)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("m.json:1:"), message)
            XCTAssertTrue(message.contains("node 'y': expands to 5368709118 nodes through function 'f30' (f30 → 2 × f29 → 2 × f28"), message)
            XCTAssertTrue(message.hasSuffix("→ 2 × f0); a model may expand to at most 5000000"), message)
        }
        // Sizes saturate: 64 levels of ten calls overflow Int.
        let huge = #"{"inputs": {"a": 1}, "functions": \#(functions(levels: 60, calls: 10)), "nodes": [{"id": "y", "expr": "f60(a)"}]}"#
        XCTAssertThrowsError(try ModelLoader(file: "m.json").load(huge)) { error in
            XCTAssertTrue("\(error)".contains("expands to more than 9223372036854775807 nodes"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }
}
