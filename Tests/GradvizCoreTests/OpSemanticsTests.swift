import XCTest
@testable import GradvizCore

/// Forward values and the PyTorch conventions at ties and kinks, with exact expectations.
final class OpSemanticsTests: XCTestCase {
    func grads(_ op: String, _ attrs: [(String, AttrValue)] = [], _ inputs: [Tensor], upstream: Tensor? = nil) throws -> [Tensor?] {
        let o = try OpRegistry.make(op, attrs)
        let y = try o.forward(inputs)
        return o.vjp(VJPContext(inputs: inputs, outputs: y, upstream: [upstream ?? Tensor.ones(y[0].shape)],
                                needsGradient: inputs.map { _ in true }))
    }

    func testTiesSplitEvenly() throws {
        let m = try grads("maximum", [], [Tensor([1, 2, 3]), Tensor([1, 5, 0])])
        XCTAssertEqual(m[0]!.data, [0.5, 0, 1])
        XCTAssertEqual(m[1]!.data, [0.5, 1, 0])
        let n = try grads("minimum", [], [Tensor([2]), Tensor([2])])
        XCTAssertEqual(n[0]!.data, [0.5])
        let r = try grads("max", [("axis", .int(1))], [Tensor(rows: [[3, 1, 3], [0, 2, 1]])])
        XCTAssertEqual(r[0]!.data, [0.5, 0, 0.5, 0, 1, 0])
        let all = try grads("max", [], [Tensor([4, 4, 4, 1])])
        XCTAssertEqual(all[0]!.data, [1.0 / 3, 1.0 / 3, 1.0 / 3, 0])
    }

    func testKinksFollowPyTorch() throws {
        XCTAssertEqual(try grads("relu", [], [Tensor([-1, 0, 2])])[0]!.data, [0, 0, 1])
        XCTAssertEqual(try grads("abs", [], [Tensor([-1, 0, 2])])[0]!.data, [-1, 0, 1])
        XCTAssertEqual(try grads("leaky_relu", [], [Tensor([-1, 0, 2])])[0]!.data, [0.01, 0.01, 1])
        // 0^0: no NaN in either gradient.
        let p = try grads("pow", [], [Tensor([0, 0, 2]), Tensor([0, 2, 3])])
        XCTAssertEqual(p[0]!.data, [0, 0, 12])
        XCTAssertEqual(Array(p[1]!.data[0 ..< 2]), [0, 0])
        // max pooling sends the gradient to the first maximum of a window.
        let x = Tensor(shape: [1, 1, 2, 2], data: [0, 0, 0, 0])
        XCTAssertEqual(try grads("max_pool2d", [("kernel_size", .int(2))], [x])[0]!.data, [1, 0, 0, 0])
    }

    func testMatmulShapes() throws {
        func shape(_ a: [Int], _ b: [Int]) throws -> [Int] { try Matmul().outputShapes([a, b])[0] }
        XCTAssertEqual(try shape([3], [3]), [])
        XCTAssertEqual(try shape([2, 3], [3]), [2])
        XCTAssertEqual(try shape([3], [3, 4]), [4])
        XCTAssertEqual(try shape([5, 1, 2, 3], [4, 3, 6]), [5, 4, 2, 6])
        XCTAssertThrowsError(try shape([2, 3], [4, 5])) { error in
            XCTAssertEqual("\(error)", "matmul: a [2, 3] and b [4, 5] do not fit: a has 3 columns, b has 4 rows")
        }
        let y = try Matmul().forward([Tensor(rows: [[1, 2], [3, 4]]), Tensor([1, 1])])[0]
        XCTAssertEqual(y.data, [3, 7])
    }

    func testSliceFollowsPython() throws {
        let x = Tensor((0..<10).map(Double.init))
        func s(_ start: Int, _ end: Int?, _ step: Int) throws -> [Double] {
            try OpRegistry.make("slice", [("start", .int(start)), ("end", end.map { .int($0) } ?? .null), ("step", .int(step))]).forward([x])[0].data
        }
        XCTAssertEqual(try s(-3, nil, 1), [7, 8, 9])      // x[-3:]
        XCTAssertEqual(try s(1, -1, 3), [1, 4, 7])        // x[1:-1:3]
        XCTAssertEqual(try s(8, 2, 1), [])                // empty
        XCTAssertEqual(try s(-100, 100, 4), [0, 4, 8])
        XCTAssertThrowsError(try OpRegistry.make("slice", [("step", .int(0))]))
    }

    func testNumericallyStable() throws {
        let lse = try OpRegistry.make("logsumexp").forward([Tensor([1000, 1000])])[0].scalar
        XCTAssertEqual(lse, 1000 + Foundation.log(2), accuracy: 1e-12)
        let sm = try OpRegistry.make("softmax").forward([Tensor([1000, 0])])[0].data
        XCTAssertEqual(sm, [1, 0])
        let bce = try OpRegistry.make("bce_with_logits", [("reduction", .string("none"))]).forward([Tensor([-800, 800]), Tensor([0, 1])])[0].data
        XCTAssertEqual(bce, [0, 0])
        XCTAssertEqual(try OpRegistry.make("softplus").forward([Tensor([30])])[0].data, [30])
        XCTAssertEqual(try OpRegistry.make("sigmoid").forward([Tensor([-800])])[0].data, [0])
    }

    func testCrossEntropyIgnoreIndexAndRangeCheck() throws {
        let z = Tensor(rows: [[1, 2, 3], [1, 1, 1]])
        let ce = try OpRegistry.make("cross_entropy")
        let both = try ce.forward([z, Tensor([2, 0])])[0].scalar
        let first = try ce.forward([z, Tensor([2, -100])])[0].scalar
        XCTAssertEqual(first, -Foundation.log(Foundation.exp(3) / (Foundation.exp(1) + Foundation.exp(2) + Foundation.exp(3))), accuracy: 1e-12)
        XCTAssertNotEqual(both, first)
        XCTAssertThrowsError(try ce.forward([z, Tensor([3, 0])])) { XCTAssertTrue("\($0)".contains("not a class index in 0..<3"), "\($0)") }
        XCTAssertThrowsError(try ce.forward([z, Tensor([0.5, 0])]))
    }

    func testDropoutMaskDependsOnSeedAndShapeOnly() throws {
        let d = try OpRegistry.make("dropout", [("p", .double(0.5)), ("seed", .int(11))])
        let a = try d.forward([Tensor.ones([100])])[0]
        let b = try d.forward([Tensor.full([100], 3)])[0]
        XCTAssertEqual(a.data.map { $0 == 0 }, b.data.map { $0 == 0 })
        XCTAssertTrue(a.data.allSatisfy { $0 == 0 || $0 == 2 })
        let kept = a.data.filter { $0 != 0 }.count
        XCTAssertTrue(kept > 30 && kept < 70, "\(kept)")
        let other = try OpRegistry.make("dropout", [("p", .double(0.5)), ("seed", .int(12))]).forward([Tensor.ones([100])])[0]
        XCTAssertNotEqual(a, other)
    }

    func testAttributeErrorsNameTheProblem() throws {
        XCTAssertThrowsError(try OpRegistry.make("sum", [("axsi", .int(0))])) {
            XCTAssertEqual("\($0)", "unknown attribute 'axsi' for op 'sum' (did you mean 'axis'?)")
        }
        XCTAssertThrowsError(try OpRegistry.make("reshape")) {
            XCTAssertEqual("\($0)", "op 'reshape' needs attribute 'shape' (a list of integers)")
        }
        XCTAssertThrowsError(try OpRegistry.make("gelu", [("approximate", .string("fast"))])) {
            XCTAssertTrue("\($0)".contains("one of \"none\", \"tanh\""), "\($0)")
        }
        XCTAssertThrowsError(try OpRegistry.make("sigmod")) {
            XCTAssertEqual("\($0)", "unknown op 'sigmod' (did you mean 'sigmoid'?)")
        }
        XCTAssertThrowsError(try Add().outputShapes([[2, 3], [4]])) {
            XCTAssertEqual("\($0)", "add: shapes [2, 3] and [4] do not broadcast")
        }
        XCTAssertThrowsError(try OpRegistry.make("sum", [("axis", .int(2))]).outputShapes([[2, 3]])) {
            XCTAssertEqual("\($0)", "sum: axis 2 is out of range for a tensor of rank 2")
        }
        XCTAssertThrowsError(try OpRegistry.make("conv2d").outputShapes([[1, 3, 5, 5], [2, 4, 3, 3]])) {
            XCTAssertEqual("\($0)", "conv2d: x [1, 3, 5, 5] has 3 channels, w [2, 4, 3, 3] expects 4")
        }
    }
}
