import XCTest
@testable import GradvizCore

final class EngineTests: XCTestCase {
    /// A random scalar DAG with heavy fan-out: totals equal the sum of their edges, and
    /// every gradient matches finite differences of the whole graph.
    func testRandomDAGTotalsAreSumsOfEdgesAndMatchFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 3)
        let g = Graph()
        var values = (0..<5).map { g.input("x\($0)", rng.normal()) }
        for _ in 0..<200 {
            let a = values[values.count - 1 - Int(rng.next() % UInt64(min(values.count, 8)))]
            let b = values[values.count - 1 - Int(rng.next() % UInt64(min(values.count, 8)))]
            switch rng.next() % 4 {
            case 0: values.append(a + b)
            case 1: values.append(a * b * 0.5)
            case 2: values.append(tanh(a) - b)
            default: values.append(sin(a) + sigmoid(b))
            }
        }
        let out = values.last!
        let grads = try g.backward(out)
        var sums = [ValueID: Double]()
        for (n, node) in g.nodes.enumerated() {
            for (slot, v) in node.inputs.enumerated() {
                if let e = grads.edge(node: n, slot: slot) { sums[v, default: 0] += e.scalar }
            }
        }
        for (v, s) in sums { XCTAssertEqual(grads[v]!.scalar, s, accuracy: 1e-12 * max(1, abs(s))) }
        for x in values.prefix(5) {
            guard let analytic = grads[x] else { continue }
            let r = GradCheck.compare(at: x.tensor, analytic: analytic) { t in
                try? g.objective(g.replay([x.id.node: t]), outputs: [out.id])
            }
            XCTAssertTrue(r.passed, "\(x): \(r.mismatches)")
        }
    }

    func testValueUsedTwiceBySameOpGetsTwoEdges() throws {
        let g = Graph()
        let x = g.input("x", 3)
        let y = x * x
        let grads = try g.backward(y)
        XCTAssertEqual(grads.edge(node: y.id.node, slot: 0)!.scalar, 3)
        XCTAssertEqual(grads.edge(node: y.id.node, slot: 1)!.scalar, 3)
        XCTAssertEqual(grads[x]!.scalar, 6)
    }

    func testVisitsOnlyNodesBetweenGradientInputsAndOutputs() throws {
        let g = Graph()
        let data = g.input("data", Tensor([1, 2]), requiresGradient: false)
        let w = g.input("w", Tensor([3, 4]))
        let scaled = data * 2.0              // depends on data only: no gradient
        let unused = exp(w)                  // does not reach the output
        let L = sum(scaled * w)
        let grads = try g.backward(L)
        XCTAssertNil(grads[data])
        XCTAssertNil(grads[scaled])
        XCTAssertNil(grads[unused])
        XCTAssertEqual(grads[w]!.data, [2, 4])
        XCTAssertNil(grads.edge(node: unused.id.node, slot: 0))
    }

    func testNonDifferentiableSlotCarriesNoGradient() throws {
        let g = Graph()
        let logits = g.input("z", Tensor(rows: [[1, 2, 3], [0, 1, 0]]))
        let target = g.input("t", Tensor([2, 0]))   // gradient-enabled by mistake
        let L = crossEntropy(logits, target)
        let grads = try g.backward(L)
        XCTAssertNil(grads[target])
        XCTAssertNotNil(grads[logits])
    }

    func testSeveralOutputsAddAndSeedsScale() throws {
        let g = Graph()
        let x = g.input("x", Tensor([1, 2, 3]))
        let a = x * 2.0
        let b = sum(square(x))
        let grads = try g.backward([a.id, b.id], seeds: [a.id: Tensor([1, 0, -1])])
        XCTAssertEqual(grads[x]!.data, [2 + 2, 0 + 4, -2 + 6])
        XCTAssertThrowsError(try g.backward(a)) { XCTAssertTrue("\($0)".contains("needs a seed"), "\($0)") }
        XCTAssertThrowsError(try g.backward(a, seed: Tensor([1, 2]))) { XCTAssertTrue("\($0)".contains("[2]"), "\($0)") }
    }

    func testSplitWithAnUnusedOutput() throws {
        let g = Graph()
        let x = g.input("x", Tensor([1, 2, 3, 4, 5]))
        let parts = split(x, sizes: [2, 3])
        let L = sum(parts[1] * parts[1])
        let grads = try g.backward(L)
        XCTAssertEqual(grads[x]!.data, [0, 0, 6, 8, 10])
        XCTAssertNil(grads[parts[0]])
    }

    /// No recursion on depth: a chain of a million nodes.
    /// A chain far deeper than any recursion survives (8 MB of stack): the order and the
    /// backward pass are loops.
    func testQuarterMillionNodeChain() throws {
        let g = Graph()
        let x = g.input("x", 0.5)
        var v = x.id
        let one = g.addConstant(Tensor(1e-6))
        let add = Add()
        for _ in 0..<250_000 { v = try g.apply(add, [v, one])[0] }
        let grads = try g.backward(v)
        XCTAssertEqual(grads[x]!.scalar, 1)
        XCTAssertEqual(g.value(v).scalar, 0.75, accuracy: 1e-6)
    }

    /// An MLP on tensors against finite differences of the whole graph.
    func testTensorMLPAgainstFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 9)
        func random(_ shape: [Int]) -> Tensor { Tensor(shape: shape, data: (0..<Tensor.count(of: shape)).map { _ in rng.normal() }) }
        let g = Graph()
        let X = g.input("X", random([4, 3]), requiresGradient: false)
        let W1 = g.input("W1", random([3, 5])), b1 = g.input("b1", random([5]))
        let W2 = g.input("W2", random([5, 2])), b2 = g.input("b2", random([2]))
        let T = g.input("T", random([4, 2]), requiresGradient: false)
        let h = tanh(matmul(X, W1) + b1)
        let L = mseLoss(matmul(h, W2) + b2, T)
        let grads = try g.backward(L)
        for p in [W1, b1, W2, b2] {
            let r = GradCheck.compare(at: p.tensor, analytic: grads[p]!) { t in
                try? g.objective(g.replay([p.id.node: t]), outputs: [L.id])
            }
            XCTAssertTrue(r.passed, "\(p): \(r.mismatches)")
            XCTAssertEqual(r.checked, p.tensor.count)
        }
    }
}

final class NonFiniteTests: XCTestCase {
    func testFindsTheOpThatCreatesNaNAndWhatInheritsIt() throws {
        let g = Graph()
        let x = g.input("x", Tensor([1, 0, 2]))
        let s = x * 2.0                    // finite
        let l = log(s)                     // log(0) = -inf: the origin
        let y = l * 0.0                    // -inf * 0 = NaN: inherited
        let z = sum(y) + sum(x)            // inherited
        let o = try XCTUnwrap(g.nonFiniteOrigin())
        XCTAssertEqual(o.node, l.id.node)
        XCTAssertEqual(o.slots, [0])
        XCTAssertTrue(o.inherited.contains(y.id.node))
        XCTAssertTrue(o.inherited.contains(z.id.node))
        XCTAssertFalse(o.inherited.contains(s.id.node))
    }

    func testAllFiniteHasNoOrigin() {
        let g = Graph()
        let x = g.input("x", 2)
        _ = exp(x)
        XCTAssertNil(g.nonFiniteOrigin())
    }
}
