import Foundation
import XCTest
@testable import GradvizCore

/// NaN, infinities and signed zeros as PyTorch has them: every case of
/// Tests/Fixtures/nan/ops.json (written by gen.py from PyTorch float64) through the op's
/// forward and vjp, and, for elementwise ops, through the engine's scalar path element by
/// element. NaN must be NaN; zeros and infinities must match with their signs; other
/// numbers to 1e-12 (PyTorch's vectorized exp, tanh, erf round differently).
final class NaNSemanticsTests: XCTestCase {
    struct Case {
        let name: String
        let op: any Op
        let inputs: [Tensor]
        let needs: [Bool]
        let upstream: [Tensor]
        let outputs: [Tensor]
        let grads: [Tensor?]
    }

    static let fixture: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/nan/ops.json")
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }()

    static func tensor(_ any: Any) -> Tensor {
        let t = any as! [String: Any]
        return Tensor(shape: t["shape"] as! [Int], data: (t["data"] as! [String]).map { Double($0)! })
    }

    static let cases: [Case] = {
        (fixture["cases"] as! [[String: Any]]).map { c in
            let attrs = (c["attrs"] as! [[Any]]).map { a -> (String, AttrValue) in
                let value: AttrValue
                switch a[1] as! String {
                case "int": value = .int(a[2] as! Int)
                case "double": value = .double(a[2] as! Double)
                case "string": value = .string(a[2] as! String)
                case "ints": value = .ints(a[2] as! [Int])
                case "bool": value = .bool(a[2] as! Bool)
                default: value = .null
                }
                return (a[0] as! String, value)
            }
            return Case(name: c["name"] as! String, op: try! OpRegistry.make(c["op"] as! String, attrs),
                        inputs: (c["inputs"] as! [Any]).map(tensor), needs: c["needs"] as! [Bool],
                        upstream: (c["upstream"] as! [Any]).map(tensor), outputs: (c["outputs"] as! [Any]).map(tensor),
                        grads: (c["grads"] as! [Any]).map { $0 is NSNull ? nil : tensor($0) })
        }
    }()

    /// PyTorch's number `expected` and gradviz's `got` agree.
    static func same(_ got: Double, _ expected: Double) -> Bool {
        if expected.isNaN { return got.isNaN }
        if expected == 0 || expected.isInfinite { return got == expected && got.sign == expected.sign }
        return abs(got - expected) <= 1e-12 * abs(expected)
    }

    /// "at [3]: got nan, PyTorch 0.0 (inputs -1.0, upstream inf)" for the first few differences.
    func differences(_ got: Tensor, _ expected: Tensor, _ c: Case, _ what: String) -> String? {
        guard got.shape == expected.shape else { return "\(c.name): \(what) has shape \(got.shape), PyTorch \(expected.shape)" }
        let bad = expected.data.indices.filter { !Self.same(got.data[$0], expected.data[$0]) }
        guard !bad.isEmpty else { return nil }
        let elementwise = c.inputs.allSatisfy { $0.count == expected.count } && c.upstream[0].count == expected.count
        let lines = bad.prefix(6).map { i -> String in
            var line = "at \(i): got \(got.data[i]), PyTorch \(expected.data[i])"
            if elementwise { line += " (inputs \(c.inputs.map { "\($0.data[i])" }.joined(separator: ", ")), upstream \(c.upstream[0].data[i]))" }
            return line
        }
        return "\(c.name): \(what): \(bad.count) of \(expected.count) differ: " + lines.joined(separator: "; ")
    }

    func testFixturesCoverTheSelectingOps() {
        let ops = Set(Self.cases.map(\.op.name))
        for op in ["relu", "leaky_relu", "maximum", "minimum", "max", "abs", "pow", "max_pool2d", "cross_entropy",
                   "dropout", "softplus", "slice", "split"] {
            XCTAssertTrue(ops.contains(op), "no PyTorch fixture for \(op)")
        }
        XCTAssertGreaterThanOrEqual(Self.cases.count, 50)
    }

    func testForwardAndBackwardMatchPyTorch() throws {
        var failures: [String] = []
        for c in Self.cases {
            let y = try c.op.forward(c.inputs)
            for (k, (got, expected)) in zip(y, c.outputs).enumerated() {
                if let d = differences(got, expected, c, "output \(k)") { failures.append(d) }
            }
            let grads = c.op.vjp(VJPContext(inputs: c.inputs, outputs: y, upstream: c.upstream, needsGradient: c.needs))
            for (slot, expected) in c.grads.enumerated() {
                guard let expected else { continue }
                guard slot < grads.count, let got = grads[slot] else { failures.append("\(c.name): no gradient for input \(slot)"); continue }
                if let d = differences(got, expected, c, "gradient of input \(slot)") { failures.append(d) }
            }
        }
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
    }

    /// The engine's scalar path (one-element values) gives the same numbers as PyTorch,
    /// and so the same bits as the vjp on tensors.
    func testScalarPathMatchesPyTorch() throws {
        var failures: [String] = []
        var checked = 0
        for c in Self.cases where (c.op is any UnaryElementwise || c.op is any BinaryElementwise) && c.inputs.allSatisfy({ $0.shape == c.outputs[0].shape })
            && c.inputs.count <= 2 && c.outputs[0].count > 1 {
            for i in 0..<c.outputs[0].count {
                let g = Graph()
                let xs = c.inputs.enumerated().map { k, t in g.input("x\(k)", t.data[i]) }
                let y = try Value.apply(c.op, xs)[0]
                guard Self.same(y.tensor.scalar, c.outputs[0].data[i]) else {
                    failures.append("\(c.name) at \(i): scalar forward \(y.tensor.scalar), PyTorch \(c.outputs[0].data[i])")
                    continue
                }
                let grads = try g.backward(y, seed: Tensor(c.upstream[0].data[i]))
                checked += 1
                for (k, x) in xs.enumerated() {
                    guard let expected = c.grads[k]?.data[i] else { continue }
                    let got = grads[x]?.scalar ?? .nan
                    if !Self.same(got, expected) {
                        failures.append("\(c.name) at \(i): scalar gradient of input \(k) is \(got), PyTorch \(expected) (inputs \(c.inputs.map { "\($0.data[i])" }.joined(separator: ", ")), upstream \(c.upstream[0].data[i]))")
                    }
                }
            }
        }
        XCTAssertTrue(failures.isEmpty, failures.prefix(40).joined(separator: "\n"))
        XCTAssertGreaterThan(checked, 3000)
    }

    /// Whole graphs: the gradient PyTorch gives each input.
    func testGraphsMatchPyTorch() throws {
        let builders: [String: ([String: Value]) -> Value] = [
            "relu(x) * sqrt(relu(x))": { v in
                let r = Value.must("relu", [v["x"]!])
                return r * Value.must("sqrt", [r])
            },
            "maximum(x, 0) * sqrt(maximum(x, 0))": { v in
                let m = Value.must("maximum", [v["x"]!, v["x"]!.constant(0)])
                return m * Value.must("sqrt", [m])
            },
            "sqrt(sum((a - b)^2))": { v in
                Value.must("sqrt", [Value.must("sum", [Value.must("square", [v["a"]! - v["b"]!])])])
            },
        ]
        let graphs = Self.fixture["graphs"] as! [[String: Any]]
        XCTAssertEqual(graphs.count, builders.count)
        for entry in graphs {
            let name = entry["name"] as! String
            let g = Graph()
            let inputs = (entry["inputs"] as! [String: Any]).mapValues(Self.tensor)
            let values = Dictionary(uniqueKeysWithValues: inputs.keys.sorted().map { ($0, g.input($0, inputs[$0]!)) })
            let grads = try g.backward(builders[name]!(values))
            for (id, expected) in (entry["grads"] as! [String: Any]).mapValues(Self.tensor) {
                let got = grads[values[id]!]!
                XCTAssertTrue(zip(got.data, expected.data).allSatisfy { Self.same($0, $1) }, "\(name): d/d\(id) is \(got.data), PyTorch \(expected.data)")
            }
        }
    }
}
