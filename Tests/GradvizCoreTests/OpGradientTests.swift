import XCTest
@testable import GradvizCore

/// Every op's vjp against central finite differences, on several shapes, with broadcasting,
/// negative axes, keepdims, padding and stride.
final class OpGradientTests: XCTestCase {
    enum Fill { case normal, positive, classes(Int), unit }

    struct Case {
        let op: String
        let attrs: [(String, AttrValue)]
        let shapes: [[Int]]
        var fills: [Fill] = []
    }

    func tensor(_ shape: [Int], _ fill: Fill, _ rng: inout SeededGenerator) -> Tensor {
        let n = Tensor.count(of: shape)
        let data: [Double] = (0..<n).map { _ in
            switch fill {
            case .normal: return rng.normal()
            case .positive: return 0.5 + 2 * rng.unit()
            case .classes(let c): return Double(Int(rng.next() % UInt64(c)))
            case .unit: return rng.unit()
            }
        }
        return Tensor(shape: shape, data: data)
    }

    func run(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = SeededGenerator(seed: 42)
        for c in cases {
            let op = try OpRegistry.make(c.op, c.attrs)
            let inputs = c.shapes.enumerated().map { i, s in tensor(s, i < c.fills.count ? c.fills[i] : .normal, &rng) }
            let expected = try op.outputShapes(c.shapes)
            XCTAssertEqual(try op.forward(inputs).map(\.shape), expected, "\(c.op) \(c.shapes) output shape", file: file, line: line)
            let results = try GradCheck.check(op, inputs: inputs, options: .init(rtol: 1e-6, atol: 1e-8))
            var checkedAny = false
            for (slot, r) in results.enumerated() {
                guard let r else { continue }
                checkedAny = true
                XCTAssertTrue(r.kinks.isEmpty, "\(c.op) \(c.shapes) input \(slot): unexpected kinks at \(r.kinks)", file: file, line: line)
                XCTAssertTrue(r.passed, "\(c.op) \(c.attrs) \(c.shapes) input \(slot): \(r.mismatches.prefix(3)) max rel \(r.maxRelError)", file: file, line: line)
                XCTAssertEqual(r.checked, inputs[slot].count)
            }
            XCTAssertTrue(checkedAny, "\(c.op): nothing checked")
        }
    }

    func testBinaryElementwiseWithBroadcasting() throws {
        var cases: [Case] = []
        for op in ["add", "sub", "mul", "div", "maximum", "minimum"] {
            for shapes in [[[], []], [[3], [3]], [[2, 3], [3]], [[4, 1], [1, 5]], [[2, 1, 3], [4, 1]], [[], [2, 2]]] {
                cases.append(Case(op: op, attrs: [], shapes: shapes, fills: op == "div" ? [.normal, .positive] : []))
            }
        }
        cases.append(Case(op: "pow", attrs: [], shapes: [[2, 3], [3]], fills: [.positive, .normal]))
        cases.append(Case(op: "pow", attrs: [], shapes: [[4], []], fills: [.positive, .normal]))
        try run(cases)
    }

    func testUnaryElementwise() throws {
        var cases: [Case] = []
        for op in ["neg", "exp", "square", "sin", "cos", "tanh", "sigmoid", "softplus", "identity", "abs", "relu"] {
            cases.append(Case(op: op, attrs: [], shapes: [[2, 3]]))
            cases.append(Case(op: op, attrs: [], shapes: [[]]))
        }
        for op in ["log", "sqrt"] { cases.append(Case(op: op, attrs: [], shapes: [[5]], fills: [.positive])) }
        cases.append(Case(op: "leaky_relu", attrs: [("negative_slope", .double(0.2))], shapes: [[3, 4]]))
        cases.append(Case(op: "leaky_relu", attrs: [], shapes: [[6]]))
        cases.append(Case(op: "gelu", attrs: [], shapes: [[3, 3]]))
        cases.append(Case(op: "gelu", attrs: [("approximate", .string("tanh"))], shapes: [[7]]))
        try run(cases)
    }

    func testMatmulAllForms() throws {
        let forms: [[[Int]]] = [
            [[4], [4]], [[3, 4], [4]], [[4], [4, 2]], [[3, 4], [4, 2]],
            [[2, 3, 4], [4, 5]], [[3, 4], [2, 4, 5]], [[2, 1, 3, 4], [5, 4, 2]], [[2, 3, 4], [4]], [[4], [2, 4, 3]],
        ]
        try run(forms.map { Case(op: "matmul", attrs: [], shapes: $0) })
    }

    func testShapeOps() throws {
        try run([
            Case(op: "transpose", attrs: [], shapes: [[2, 3]]),
            Case(op: "transpose", attrs: [("perm", .ints([2, 0, 1]))], shapes: [[2, 3, 4]]),
            Case(op: "transpose", attrs: [("perm", .ints([-1, 0, 1]))], shapes: [[2, 3, 4]]),
            Case(op: "reshape", attrs: [("shape", .ints([4, -1]))], shapes: [[2, 3, 2]]),
            Case(op: "reshape", attrs: [("shape", .ints([]))], shapes: [[1, 1]]),
            Case(op: "concat", attrs: [("axis", .int(0))], shapes: [[2, 3], [1, 3], [4, 3]]),
            Case(op: "concat", attrs: [("axis", .int(-1))], shapes: [[2, 3, 1], [2, 3, 2]]),
            Case(op: "split", attrs: [("axis", .int(1)), ("sizes", .ints([1, 3, 2]))], shapes: [[2, 6]]),
            Case(op: "split", attrs: [("axis", .int(-1)), ("sizes", .ints([2, 2]))], shapes: [[3, 2, 4]]),
            Case(op: "slice", attrs: [("axis", .int(1)), ("start", .int(1)), ("end", .int(5)), ("step", .int(2))], shapes: [[3, 6]]),
            Case(op: "slice", attrs: [("axis", .int(-1)), ("start", .int(-3))], shapes: [[2, 5]]),
            Case(op: "slice", attrs: [("start", .int(0)), ("end", .int(100)), ("step", .int(3))], shapes: [[7, 2]]),
        ])
    }

    func testReductions() throws {
        var cases: [Case] = []
        for op in ["sum", "mean", "max", "logsumexp"] {
            cases.append(Case(op: op, attrs: [], shapes: [[3, 4]]))
            cases.append(Case(op: op, attrs: [("axis", .int(-1))], shapes: [[3, 4]]))
            cases.append(Case(op: op, attrs: [("axis", .int(0)), ("keepdims", .bool(true))], shapes: [[3, 4]]))
            cases.append(Case(op: op, attrs: [("axis", .ints([0, 2])), ("keepdims", .bool(true))], shapes: [[2, 3, 4]]))
            cases.append(Case(op: op, attrs: [("axis", .ints([-1, 0]))], shapes: [[2, 3, 4]]))
            cases.append(Case(op: op, attrs: [], shapes: [[]]))
        }
        for op in ["softmax", "log_softmax"] {
            cases.append(Case(op: op, attrs: [], shapes: [[3, 5]]))
            cases.append(Case(op: op, attrs: [("axis", .int(0))], shapes: [[3, 5]]))
            cases.append(Case(op: op, attrs: [("axis", .int(1))], shapes: [[2, 3, 4]]))
            cases.append(Case(op: op, attrs: [], shapes: [[6]]))
        }
        try run(cases)
    }

    func testLosses() throws {
        var cases: [Case] = []
        for reduction in ["mean", "sum", "none"] {
            let r = [("reduction", AttrValue.string(reduction))]
            cases.append(Case(op: "mse_loss", attrs: r, shapes: [[3, 4], [3, 4]]))
            cases.append(Case(op: "mse_loss", attrs: r, shapes: [[3, 4], [4]]))
            cases.append(Case(op: "cross_entropy", attrs: r, shapes: [[4, 5], [4]], fills: [.normal, .classes(5)]))
            cases.append(Case(op: "cross_entropy", attrs: r, shapes: [[2, 3, 4], [2, 4]], fills: [.normal, .classes(3)]))
            cases.append(Case(op: "bce_with_logits", attrs: r, shapes: [[3, 2], [3, 2]], fills: [.normal, .unit]))
        }
        cases.append(Case(op: "cross_entropy", attrs: [], shapes: [[5], []], fills: [.normal, .classes(5)]))
        try run(cases)
    }

    func testNormalizationAndDropout() throws {
        try run([
            Case(op: "layer_norm", attrs: [], shapes: [[3, 5]]),
            Case(op: "layer_norm", attrs: [("eps", .double(1e-3))], shapes: [[2, 3, 4], [4], [4]]),
            Case(op: "layer_norm", attrs: [], shapes: [[6], [6]]),
            Case(op: "batch_norm", attrs: [], shapes: [[4, 3]]),
            Case(op: "batch_norm", attrs: [], shapes: [[2, 3, 2, 2], [3], [3]]),
            Case(op: "batch_norm", attrs: [("eps", .double(0.1))], shapes: [[3, 2, 5], [2]]),
            Case(op: "dropout", attrs: [("p", .double(0.3)), ("seed", .int(7))], shapes: [[4, 5]]),
            Case(op: "dropout", attrs: [("p", .double(0))], shapes: [[3]]),
        ])
    }

    func testConvolutionAndPooling() throws {
        try run([
            Case(op: "conv2d", attrs: [], shapes: [[2, 3, 5, 5], [4, 3, 3, 3], [4]]),
            Case(op: "conv2d", attrs: [("stride", .int(2)), ("padding", .int(1))], shapes: [[1, 2, 6, 5], [3, 2, 3, 2]]),
            Case(op: "conv2d", attrs: [("stride", .ints([1, 2])), ("padding", .ints([2, 0]))], shapes: [[2, 1, 4, 7], [2, 1, 2, 3], [2]]),
            Case(op: "max_pool2d", attrs: [("kernel_size", .int(2))], shapes: [[2, 3, 4, 4]]),
            Case(op: "max_pool2d", attrs: [("kernel_size", .int(3)), ("stride", .int(2)), ("padding", .int(1))], shapes: [[1, 2, 5, 6]]),
            Case(op: "max_pool2d", attrs: [("kernel_size", .ints([2, 3])), ("stride", .ints([1, 2]))], shapes: [[1, 1, 4, 7]]),
            Case(op: "avg_pool2d", attrs: [("kernel_size", .int(2))], shapes: [[2, 2, 4, 4]]),
            Case(op: "avg_pool2d", attrs: [("kernel_size", .int(3)), ("stride", .int(2)), ("padding", .int(1))], shapes: [[1, 2, 5, 6]]),
        ])
    }

    /// Every registered op appears in at least one case above.
    func testEveryOpIsCovered() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        for name in OpRegistry.names {
            XCTAssertTrue(source.contains("\"\(name)\""), "op \(name) has no finite-difference case")
        }
    }
}
