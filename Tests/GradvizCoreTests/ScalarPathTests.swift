import XCTest
@testable import GradvizCore

/// The built-in elementwise ops take a scalar path on one-element values (`ScalarPath`):
/// it must give the same bits as the general path (`forward` and `vjp` on tensors) for every
/// such op, values and gradients, at ordinary and at special inputs.
final class ScalarPathTests: XCTestCase {
    static let points: [Double] = [-2.5, -1, -0.0, 0, 0.5, 1, 3, 1e-310, -7e300, .infinity, -.infinity, .nan]
    static let upstream: [Double] = [1, -0.0, 2.5, -3, .infinity, .nan]

    func same(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    func testEveryElementwiseOpGivesTheSameBitsBothWays() throws {
        var unary = 0, binary = 0
        for type in OpRegistry.all {
            guard let op = try? OpRegistry.make(type.info.name) else { continue }
            if let u = op as? any UnaryElementwise {
                unary += 1
                for x in Self.points {
                    let y = try op.forward([Tensor(x)])[0]
                    XCTAssertTrue(same(ScalarPath.Kernel(op, arity: 1)!.value(x, 0), y.scalar), "\(op.name)(\(x))")
                    for g in Self.upstream {
                        let general = op.vjp(VJPContext(inputs: [Tensor(x)], outputs: [y], upstream: [Tensor(g)], needsGradient: [true]))[0]!
                        let fast = ScalarPath.Kernel(op, arity: 1)!.downstream(g, x, 0, y.scalar).0
                        XCTAssertTrue(same(fast, general.scalar), "\(op.name)'(\(x)) with g = \(g): \(fast) vs \(general.scalar)")
                    }
                }
                _ = u
            } else if op is any BinaryElementwise {
                binary += 1
                for a in Self.points {
                    for b in Self.points {
                        let y = try op.forward([Tensor(a), Tensor(b)])[0]
                        XCTAssertTrue(same(ScalarPath.Kernel(op, arity: 2)!.value(a, b), y.scalar), "\(op.name)(\(a), \(b))")
                        for g in Self.upstream {
                            let general = op.vjp(VJPContext(inputs: [Tensor(a), Tensor(b)], outputs: [y], upstream: [Tensor(g)],
                                                             needsGradient: [true, true]))
                            let fast = ScalarPath.Kernel(op, arity: 2)!.downstream(g, a, b, y.scalar)
                            XCTAssertTrue(same(fast.0, general[0]!.scalar) && same(fast.1, general[1]!.scalar),
                                          "\(op.name)'(\(a), \(b)) with g = \(g): \(fast) vs \(general[0]!.scalar), \(general[1]!.scalar)")
                        }
                    }
                }
            } else {
                XCTAssertNil(ScalarPath.Kernel(op, arity: 1), op.name)
                XCTAssertNil(ScalarPath.Kernel(op, arity: 2), op.name)
            }
        }
        XCTAssertGreaterThan(unary, 10)
        XCTAssertGreaterThanOrEqual(binary, 4)
    }

    /// Through the engine: a scalar graph (the scalar path) and the same graph on [1, 1]
    /// tensors (the general path) give the same values and gradients.
    func testTheEngineTakesTheSamePathResults() throws {
        func run(_ shape: [Int]) throws -> [Double] {
            let g = Graph()
            let x = g.addInput("x", Tensor(shape: shape, data: [0.7])), y = g.addInput("y", Tensor(shape: shape, data: [-1.3]))
            var v = x
            for name in ["mul", "tanh", "add", "sigmoid", "div", "exp", "sub", "relu"] {
                let op = try OpRegistry.make(name)
                v = try g.apply(op, op.info.arity.contains(2) ? [v, y] : [v])[0]
            }
            let s = try g.apply(try OpRegistry.make("sum"), [v])[0]
            let grads = try g.backward(s)
            return [g.value(s).scalar, grads[x]!.data[0], grads[y]!.data[0]] + g.nodes.flatMap { $0.values.flatMap(\.data) }
        }
        let scalar = try run([]), tensor = try run([1, 1])
        XCTAssertEqual(scalar.map(\.bitPattern), tensor.map(\.bitPattern))
    }
}
