import XCTest
@testable import GradvizCore

/// matmul and conv2d give the same bits on one thread as on all cores: a product is cut
/// into blocks by its shape alone (`BLAS.Blocks`), whoever computes them. The shapes are
/// large enough to be cut, with odd sizes so that blocks end unevenly.
final class BLASDeterminismTests: XCTestCase {
    func results(_ op: any Op, _ inputs: [Tensor]) throws -> [[UInt64]] {
        let y = try op.forward(inputs)
        let g = y.map { t in Tensor(shape: t.shape, data: (0..<t.count).map { Double($0 % 7) - 2.5 }) }
        let grads = op.vjp(VJPContext(inputs: inputs, outputs: y, upstream: g, needsGradient: inputs.map { _ in true }))
        return (y + grads.compactMap { $0 }).map { $0.data.map(\.bitPattern) }
    }

    func testSameBitsOnOneThreadAndOnAll() throws {
        var rng = SeededGenerator(seed: 7)
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, data: (0..<Tensor.count(of: shape)).map { _ in rng.normal() })
        }
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
        ]
        defer { BLAS.parallel = true }
        for (op, inputs) in cases {
            BLAS.parallel = false
            let one = try results(op, inputs)
            BLAS.parallel = true
            let four = try results(op, inputs)
            for (r, (a, b)) in zip(one, four).enumerated() {
                let differ = zip(a, b).filter { $0 != $1 }.count
                XCTAssertEqual(differ, 0, "\(op.name) \(inputs.map(\.shape)) result \(r): \(differ) of \(a.count) elements differ between one thread and all")
            }
        }
    }
}
