import XCTest
@testable import GradvizModel
import GradvizCore

/// Memory and work are estimated from the plan and refused past the limits before anything
/// is allocated or computed (issue 13 item 7).
final class LimitsTests: XCTestCase {
    func plan(_ text: String) throws -> Plan {
        let planner = Planner(file: "m.json")
        try planner.read(try ModelDecoder(file: "m.json").decode(try JSONValue.parse(text)))
        return planner.plan
    }

    /// 40 elementwise ops on a 2^24-element tensor, a 3 KB file: some 16 GB kept.
    func testManyLargeValuesAreRefusedBeforeComputing() throws {
        var nodes = [#"{"id": "v0", "op": "tanh", "inputs": ["x"]}"#]
        for k in 1..<40 { nodes.append(#"{"id": "v\#(k)", "op": "\#(k % 2 == 0 ? "tanh" : "exp")", "inputs": ["v\#(k - 1)"]}"#) }
        nodes.append(#"{"id": "L", "op": "sum", "inputs": ["v39"]}"#)
        let text = #"{"inputs": {"x": {"shape": [4096, 4096], "init": "zeros"}}, "nodes": [\#(nodes.joined(separator: ", "))]}"#
        let started = Date()
        XCTAssertThrowsError(try ModelLoader(file: "m.json").load(text)) { error in
            XCTAssertEqual("\(error)", "m.json: computing this model needs about 16.5 GB of memory (every value, gradient and edge gradient kept), more than the limit of 8 GB; --max-memory raises it (e.g. --max-memory 17GB)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "refused before allocating")
        let cost = Cost(try plan(text))
        XCTAssertNoThrow(try plan(text).check(Limits(maxMemory: cost.bytes, maxFlops: 1e12)), "a raised limit lets it through")
    }

    /// Three 4096x4096 products: 1.2e12 operations forward and backward.
    func testTooMuchWorkIsRefused() throws {
        let text = #"""
        {"inputs": {"a": {"shape": [4096, 4096], "init": "ones"}},
         "nodes": [{"id": "b", "op": "matmul", "inputs": ["a", "a"]}, {"id": "c", "op": "matmul", "inputs": ["b", "a"]},
                   {"id": "d", "op": "matmul", "inputs": ["c", "a"]}, {"id": "L", "op": "sum", "inputs": ["d"]}]}
        """#
        XCTAssertThrowsError(try ModelLoader(file: "m.json").load(text)) { error in
            XCTAssertEqual("\(error)", "m.json: computing this model takes about 1.2e12 floating-point operations (forward and backward), more than the limit of 1e12; --max-flops raises it (e.g. --max-flops 2e12)")
        }
    }

    /// What the defaults are chosen to let through: a 3000x3000 product, a ResNet-18-shaped
    /// stack of convolutions on one 224x224 image, a 100,000-op scalar graph.
    func testTheBenchmarkModelsPass() throws {
        let matmul = Cost(try plan(#"{"inputs": {"a": {"shape": [3000, 3000], "init": "ones"}, "b": {"shape": [3000, 3000], "init": "ones"}}, "nodes": [{"id": "c", "op": "matmul", "inputs": ["a", "b"]}, {"id": "L", "op": "sum", "inputs": ["c"]}]}"#))
        let product: Double = 2 * 3000 * 3000 * 3000
        XCTAssertEqual(matmul.flops, 3 * (product + 1 + 9e6), accuracy: 1e6)
        XCTAssertLessThan(matmul.bytes, 1e9)
        XCTAssertLessThan(matmul.flops, Limits.default.maxFlops / 5)
        // conv 3->64 7x7 stride 2 on 224x224, then three 64->64 3x3 convs on 112x112.
        let convs = Cost(try plan(#"""
            {"inputs": {"x": {"shape": [1, 3, 224, 224], "init": "ones"}, "w0": {"shape": [64, 3, 7, 7], "init": "ones"}, "w": {"shape": [64, 64, 3, 3], "init": "ones"}},
             "nodes": [{"id": "h0", "op": "conv2d", "inputs": ["x", "w0"], "attrs": {"stride": 2, "padding": 3}},
                       {"id": "h1", "op": "conv2d", "inputs": ["h0", "w"], "attrs": {"padding": 1}},
                       {"id": "h2", "op": "conv2d", "inputs": ["h1", "w"], "attrs": {"padding": 1}},
                       {"id": "L", "op": "sum", "inputs": ["h2"]}]}
            """#))
        let first: Double = 2 * 64 * 112 * 112 * 147, next: Double = 2 * 64 * 112 * 112 * 576, sum: Double = 1 + 64 * 112 * 112
        XCTAssertEqual(convs.flops, 3 * (first + 2 * next + sum), accuracy: 1e6)
        XCTAssertLessThan(convs.bytes, 1e9)
    }
}
