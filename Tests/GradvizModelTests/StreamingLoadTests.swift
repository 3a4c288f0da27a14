import Foundation
import XCTest
@testable import GradvizModel
import GradvizCore

/// A large file is read while another thread parses it (`ModelLoader.loadStreaming`). That
/// reading must be invisible: the same model and result bytes, and for a broken model the
/// same one-line message, as reading the parsed document in order.
final class StreamingLoadTests: XCTestCase {
    /// The result bytes of `bytes` loaded and computed, or the error; streamed when the
    /// file is at least `streamingFrom` bytes (0: always, Int.max: never).
    static func load(_ bytes: [UInt8], streamingFrom: Int) -> Result<[UInt8], ModelError> {
        do {
            let model = try ModelLoader(file: "m.json", streamingFrom: streamingFrom).load(bytes)
            return .success(ResultJSON.write(model, try model.backward()))
        } catch let error as ModelError {
            return .failure(error)
        } catch {
            return .failure(ModelError(file: "m.json", position: nil, message: "backward: \(error)"))
        }
    }

    /// Loads `bytes` in order and streamed; both must agree, on the result or on the error.
    func assertSameLoad(_ bytes: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        switch (Self.load(bytes, streamingFrom: Int.max), Self.load(bytes, streamingFrom: 0)) {
        case (.success(let a), .success(let b)):
            XCTAssertTrue(a == b, "\(what): streamed result differs", file: file, line: line)
        case (.failure(let a), .failure(let b)):
            XCTAssertEqual(a.description, b.description, "\(what): streamed error differs", file: file, line: line)
        case (let a, let b):
            XCTFail("\(what): in order \(a), streamed \(b)", file: file, line: line)
        }
    }

    func assertSameLoad(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        assertSameLoad(Array(text.utf8), text, file: file, line: line)
    }

    func testSamplesAndReferencesLoadTheSameStreamed() throws {
        let paths = SamplesTests.samplePaths + Fixtures.referenceNames.map { Fixtures.path("reference/\($0).json") }
        XCTAssertGreaterThan(paths.count, 15)
        for path in paths {
            assertSameLoad(Array(try Data(contentsOf: URL(fileURLWithPath: path))), path)
        }
    }

    func testAStreamedModelIsTheModel() throws {
        let text = #"{"inputs": {"x": 2, "y": 3}, "nodes": [{"id": "z", "op": "mul", "inputs": ["x", "y"]}, {"id": "L", "op": "add", "inputs": ["z", "x"]}]}"#
        let model = try ModelLoader(file: "m.json", streamingFrom: 0).load(Array(text.utf8))
        let grads = try model.backward()
        XCTAssertEqual(grads[model.value(named: "x")!]?.scalar, 4)   // dL/dx = y + 1
        XCTAssertEqual(grads[model.value(named: "y")!]?.scalar, 2)
    }

    /// Every kind of mistake, wherever it sits relative to the nodes the streamed reading
    /// has already read: the message is the in-order reading's.
    func testBrokenModelsGiveTheSameMessageStreamed() {
        let node = #"{"id": "a", "op": "exp", "inputs": ["x"]}"#
        let cases = [
            // Not JSON, early and after the nodes have been read.
            #"{"inputs": {"x": 1}, "nodes": [{"id": "a", "op": "exp", "inputs": ["x"]}, oops]}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node)], "outputs": ["a"]"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node)] "#,
            "",
            // Duplicate and invalid ids after a node that uses an undefined id: in order, the ids come first.
            #"{"inputs": {"x": 1}, "nodes": [{"id": "b", "op": "exp", "inputs": ["nope"]}, \#(node), \#(node)]}"#,
            #"{"inputs": {"x": 1}, "nodes": [{"id": "b", "op": "exp", "inputs": ["nope"]}, {"id": "9a", "op": "exp", "inputs": ["x"]}]}"#,
            #"{"inputs": {"x": 1}, "nodes": [{"id": "b", "op": "exp", "inputs": ["a"]}, \#(node)]}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node), 3]}"#,
            // Sections out of the usual order, and top-level mistakes after the nodes.
            #"{"nodes": [\#(node)], "inputs": {"x": 1}}"#,
            #"{"inputs": {"x": 1}, "nodes": [{"id": "a", "op": "sq", "inputs": ["x"]}], "functions": {"sq": {"params": ["u"], "body": "u * u"}}}"#,
            #"{"inputs": {"x": 1}, "nodes": [{"id": "a", "op": "sq", "inputs": ["x"]}], "functions": {"sq": {"params": ["u"], "body": "u * v"}}}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node)], "ouputs": ["a"]}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node)], "gradviz": 2}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node)], "outputs": ["b"]}"#,
            #"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "a", "op": "exp", "inputs": ["x"]}]}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node)], "seed": {"a": [1, 2]}}"#,
            #"{"inputs": {"x": 1}, "nodes": []}"#,
            #"{"inputs": {"x": 1}}"#,
            #"{"inputs": 1, "nodes": [\#(node)]}"#,
            // Mistakes inside nodes, expressions and inputs.
            #"{"inputs": {"x": 1}, "nodes": [\#(node), {"id": "c", "expr": "a * ("}]}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node), {"id": "c", "op": "matmul", "inputs": ["a", "x"]}]}"#,
            #"{"inputs": {"x": {"shape": [2], "init": "normall"}}, "nodes": [\#(node)]}"#,
            // Ids a streamed node declares as it defines them: its own id used, an id twice.
            #"{"inputs": {"x": 1}, "nodes": [{"id": "a", "op": "exp", "inputs": ["a"]}]}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node), {"id": "x", "op": "exp", "inputs": ["a"]}]}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node), {"outputs": ["b", "b"], "op": "split", "inputs": ["a"], "attrs": {"sizes": [1, 1]}}]}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node), {"id": 7, "op": "exp", "inputs": ["a"]}]}"#,
            #"{"inputs": {"x": 1}, "nodes": [\#(node), {"id": "b.", "op": "exp", "inputs": ["a"]}, {"id": "b.", "op": "exp", "inputs": ["b."]}]}"#,
            // A look-alike of an id (Kelvin sign for K) is undefined, the same way every time.
            #"{"inputs": {"K": 1, "b": 2}, "nodes": [{"id": "a", "op": "exp", "inputs": ["\u212A"]}]}"#,
            #"{"inputs": {"K": 1}, "nodes": [{"id": "a", "op": "exp", "inputs": ["K"]}], "outputs": ["a\u0301"]}"#,
            // Output shapes remembered for all-scalar inputs must not stand for other shapes.
            #"{"inputs": {"x": 1, "v": [1, 2]}, "nodes": [{"id": "a", "op": "matmul", "inputs": ["x", "x"]}]}"#,
            #"{"inputs": {"x": 1, "v": [1, 2]}, "nodes": [{"id": "a", "op": "mul", "inputs": ["x", "x"]}, {"id": "b", "op": "mul", "inputs": ["v", "a"]}, {"id": "c", "op": "matmul", "inputs": ["b", "a"]}]}"#,
            // Found only when computing (a class index out of range): alone, it is the error;
            // with a mistake later in the file, that mistake is (the plan is checked first).
            #"{"inputs": {"z": [[1, 2, 3]], "t": {"value": [7], "grad": false}}, "nodes": [{"id": "L", "op": "cross_entropy", "inputs": ["z", "t"]}]}"#,
            #"{"inputs": {"z": [[1, 2, 3]], "t": {"value": [7], "grad": false}}, "nodes": [{"id": "L", "op": "cross_entropy", "inputs": ["z", "t"]}, {"id": "M", "op": "matmul", "inputs": ["z", "z"]}]}"#,
        ]
        for text in cases { assertSameLoad(text) }
    }

    /// The same op on scalars and on tensors, one after the other: each node gets its own
    /// shapes (scalar ones are remembered per op and input count).
    func testScalarShapesAreRememberedOnlyForScalars() throws {
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
        assertSameLoad(text)
        let model = try ModelLoader(file: "m.json", streamingFrom: 0).load(Array(text.utf8))
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
        assertSameLoad(text)
        let model = try ModelLoader(file: "m.json", streamingFrom: 0).load(Array(text.utf8))
        let names = model.namedValues.map(\.name)
        XCTAssertEqual(names.count, Set(names).count, "a generated id repeats one of the file's: \(names)")
    }

    /// Long enough for the parser to hand the nodes over in several batches, with expressions
    /// and multi-output nodes among plain ones.
    func testALongModelLoadsTheSameStreamed() {
        var nodes = [#"{"id": "v0", "op": "add", "inputs": ["x", "y"]}"#]
        for k in 1..<3000 {
            switch k % 7 {
            case 0: nodes.append(#"{"id": "v\#(k)", "expr": "v\#(k - 1) * 0.5 + tanh(v\#(k / 2))"}"#)
            case 3: nodes.append(#"{"outputs": ["v\#(k)", "w\#(k)"], "op": "split", "inputs": ["p"], "attrs": {"sizes": [1, 1]}}"#)
            default: nodes.append(#"{"id": "v\#(k)", "op": "mul", "inputs": ["v\#(k - 1)", "v\#(k / 3)"], "label": "step \#(k)"}"#)
            }
        }
        nodes.append(#"{"id": "L", "op": "sum", "inputs": ["v2999"]}"#)
        let text = #"{"inputs": {"x": 0.3, "y": -0.2, "p": [0.1, 0.2]}, "nodes": [\#(nodes.joined(separator: ",\n"))]}"#
        assertSameLoad(text)
    }
}
