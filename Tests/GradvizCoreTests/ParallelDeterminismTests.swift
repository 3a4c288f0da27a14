import XCTest
@testable import GradvizCore

/// Ops give the same bits on one thread as on all cores: matrix products are cut into
/// blocks by their shape alone (`BLAS.Blocks`), elementwise ops, softmax and norm rows and
/// broadcast reductions into chunks by their size alone (`Parallel`), whoever computes them.
/// The shapes are large enough to be cut, with odd sizes so that blocks and chunks end
/// unevenly; and the chunked loops give what a plain loop over the indices gives.
final class ParallelDeterminismTests: XCTestCase {
    var rng = SeededGenerator(seed: 7)

    func random(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, data: (0..<Tensor.count(of: shape)).map { _ in rng.normal() })
    }

    /// The forward results and every input's gradient, as bits.
    func results(_ op: any Op, _ inputs: [Tensor]) throws -> [[UInt64]] {
        let y = try op.forward(inputs)
        let g = y.map { t in Tensor(shape: t.shape, data: (0..<t.count).map { Double($0 % 7) - 2.5 }) }
        let needs = inputs.indices.map { op.info.isDifferentiable(slot: $0) }
        let grads = op.vjp(VJPContext(inputs: inputs, outputs: y, upstream: g, needsGradient: needs))
        return (y + grads.compactMap { $0 }).map { $0.data.map(\.bitPattern) }
    }

    func testSameBitsOnOneThreadAndOnAll() throws {
        let classes = Tensor(shape: [2001], data: (0..<2001).map { Double($0 * 7 % 37) })
        let cases: [(any Op, [Tensor])] = [
            (Matmul(), [random([301, 257]), random([257, 263])]),
            (Matmul(), [random([3, 97, 131]), random([131, 89])]),           // batch folded into rows
            (Matmul(), [random([97, 131]), random([3, 131, 89])]),           // a broadcast over the batch
            (Matmul(), [random([2, 1, 67, 129]), random([3, 129, 71])]),     // both broadcast
            (Matmul(), [random([2, 151, 203]), random([203])]),              // matrix-vector
            (Matmul(), [random([203]), random([203, 151])]),                 // vector-matrix
            (Matmul(), [random([40_003]), random([40_003])]),                // dot product
            (try OpRegistry.make("conv2d", [("padding", .int(1))]), [random([2, 13, 37, 41]), random([33, 13, 3, 3]), random([33])]),
            (try OpRegistry.make("conv2d", [("stride", .int(2)), ("padding", .int(3))]), [random([1, 3, 75, 75]), random([19, 3, 7, 7])]),
            (try OpRegistry.make("conv2d", []), [random([2, 67, 23, 23]), random([71, 67, 1, 1])]),
            (Add(), [random([2, 131, 259]), random([259])]),                 // a bias: summed down 262 rows
            (Mul(), [random([2, 1, 67, 257]), random([3, 1, 257])]),         // both broadcast
            (Div(), [random([211, 347]), random([211, 1])]),
            (Mul(), [random([3, 97, 263]), Tensor(0.25)]),
            (try OpRegistry.make("gelu", []), [random([211, 347])]),
            (try OpRegistry.make("tanh", []), [random([211, 347])]),
            (try OpRegistry.make("softmax", [("axis", .int(-1))]), [random([5, 211, 67])]),
            (try OpRegistry.make("softmax", [("axis", .int(1))]), [random([5, 211, 67])]),
            (try OpRegistry.make("log_softmax", [("axis", .int(-1))]), [random([601, 131])]),
            (try OpRegistry.make("layer_norm", []), [random([3, 97, 263]), random([263]), random([263])]),
            (try OpRegistry.make("batch_norm", []), [random([2, 33, 29, 41]), random([33]), random([33])]),
            (try OpRegistry.make("sum", [("axis", .ints([0, 2]))]), [random([23, 61, 53])]),
            (try OpRegistry.make("mean", [("axis", .int(1))]), [random([23, 61, 53])]),
            (try OpRegistry.make("transpose", [("perm", .ints([2, 0, 1]))]), [random([23, 61, 53])]),
            (try OpRegistry.make("cross_entropy", []), [random([2001, 37]), classes]),
        ]
        defer { Parallel.enabled = true }
        for (op, inputs) in cases {
            Parallel.enabled = false
            let one = try results(op, inputs)
            Parallel.enabled = true
            let all = try results(op, inputs)
            for (r, (a, b)) in zip(one, all).enumerated() {
                let differ = zip(a, b).filter { $0 != $1 }.count
                XCTAssertEqual(differ, 0, "\(op.name) \(inputs.map(\.shape)) result \(r): \(differ) of \(a.count) elements differ between one thread and all")
            }
        }
    }

    /// The offsets of every element of `shape` in tensors of shapes a and b broadcast to it,
    /// from the index of each element alone (no odometer, no chunks).
    func plainOffsets(_ shape: [Int], _ a: [Int], _ b: [Int]) -> [(Int, Int)] {
        let sa = broadcastStrides(a, to: shape), sb = broadcastStrides(b, to: shape)
        return (0..<Tensor.count(of: shape)).map { i in
            var rest = i, oa = 0, ob = 0
            for d in stride(from: shape.count - 1, through: 0, by: -1) {
                let k = rest % shape[d]
                rest /= shape[d]
                oa += k * sa[d]; ob += k * sb[d]
            }
            return (oa, ob)
        }
    }

    func testChunkedLoopsGiveWhatAPlainLoopGives() throws {
        let shape = [3, 5, 173, 41]
        let a = random([3, 1, 173, 41]), b = random([5, 1, 41])
        let offsets = plainOffsets(shape, a.shape, b.shape)
        let y = try Sub().forward([a, b])[0]
        XCTAssertEqual(y.shape, shape)
        XCTAssertEqual(y.data, offsets.map { a.data[$0.0] - b.data[$0.1] })
        XCTAssertEqual(Tensor.zip(a, b, -).data, y.data)
        XCTAssertEqual(a.broadcast(to: shape).data, offsets.map { a.data[$0.0] })

        // The gradients summed back in row-major order, as a plain loop adds them.
        let g = random(shape)
        let grads = Sub().vjp(VJPContext(inputs: [a, b], outputs: [y], upstream: [g], needsGradient: [true, true]))
        var ga = [Double](repeating: 0, count: a.count), gb = [Double](repeating: 0, count: b.count)
        for (i, (oa, ob)) in offsets.enumerated() { ga[oa] += g.data[i]; gb[ob] += -g.data[i] }
        XCTAssertEqual(grads[0]?.data, ga)
        XCTAssertEqual(grads[1]?.data, gb)
        XCTAssertEqual(g.sum(toShape: a.shape).data, ga)

        let t = try OpRegistry.make("transpose", [("perm", .ints([3, 1, 0, 2]))]).forward([g])[0]
        let permuted = [41, 5, 3, 173]
        let st = strides(of: shape)
        XCTAssertEqual(t.data, (0..<g.count).map { i -> Double in
            var rest = i, offset = 0
            for (d, axis) in [3, 1, 0, 2].enumerated().reversed() {
                offset += rest % permuted[d] * st[axis]
                rest /= permuted[d]
            }
            return g.data[offset]
        })
    }
}
