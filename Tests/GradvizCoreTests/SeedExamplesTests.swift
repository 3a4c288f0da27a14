import XCTest
@testable import GradvizCore

/// The worked examples of the documents gradviz was created from.
final class SeedExamplesTests: XCTestCase {
    /// u = x² at x = 3: local gradient 6; upstream 0.5 gives downstream 3.
    func testSingleNodeSquare() throws {
        let g = Graph()
        let x = g.input("x", 3)
        let u = square(x)
        XCTAssertEqual(u.tensor.scalar, 9)
        let grads = try g.backward(u, seed: Tensor(0.5))
        XCTAssertEqual(grads[x]!.scalar, 3)
        XCTAssertEqual(grads.edge(node: u.id.node, slot: 0)!.scalar, 3)
    }

    /// L = (x + y)·z at x = -2, y = 5, z = -4: add distributes, mul swaps.
    func testAddMul() throws {
        let g = Graph()
        let x = g.input("x", -2), y = g.input("y", 5), z = g.input("z", -4)
        let q = x + y
        let L = q * z
        XCTAssertEqual(L.tensor.scalar, -12)
        let grads = try g.backward(L)
        XCTAssertEqual(grads[x]!.scalar, -4)
        XCTAssertEqual(grads[y]!.scalar, -4)
        XCTAssertEqual(grads[z]!.scalar, 3)
        XCTAssertEqual(grads[q]!.scalar, -4)
        XCTAssertEqual(grads[L]!.scalar, 1)
    }

    /// A value used by three nodes receives three upstream gradients and sums them.
    func testFanOutSumsThreeContributions() throws {
        let g = Graph()
        let u = g.input("u", 2)
        let a = u * 3.0          // du contribution 3
        let b = square(u)        // 2u = 4
        let c = sin(u)           // cos(2)
        let y = a + b + c
        let grads = try g.backward(y)
        let uses = [a, b, c].map { grads.edge(node: $0.id.node, slot: 0)!.scalar }
        XCTAssertEqual(uses[0], 3)
        XCTAssertEqual(uses[1], 4)
        XCTAssertEqual(uses[2], Foundation.cos(2), accuracy: 1e-15)
        XCTAssertEqual(grads[u]!.scalar, uses.reduce(0, +), accuracy: 1e-15)
    }

    /// y = σ(wᵀx + b), the generalized algorithm's example, against the closed form.
    func testNeuron() throws {
        let g = Graph()
        let x = g.input("x", Tensor([-0.1148, 1.5493, 0.9687]))
        let w = g.input("w", Tensor([0.2228, -1.4186, -1.9128]))
        let b = g.input("b", 1.1867)
        let y = sigmoid(matmul(w, x) + b)
        let grads = try g.backward(y, seed: Tensor(0.5))
        // The reference values PyTorch computes for the same numbers (neuron.json).
        XCTAssertEqual(y.tensor.scalar, 0.0526678888378086, accuracy: 1e-15)
        XCTAssertEqual(grads[b]!.scalar, 0.02494699116158842, accuracy: 1e-15)
        let s = y.tensor.scalar
        for i in 0..<3 {
            XCTAssertEqual(grads[w]!.data[i], 0.5 * s * (1 - s) * x.tensor.data[i], accuracy: 1e-15)
            XCTAssertEqual(grads[x]!.data[i], 0.5 * s * (1 - s) * w.tensor.data[i], accuracy: 1e-15)
        }
    }
}
