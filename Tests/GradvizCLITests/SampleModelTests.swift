import Foundation
import XCTest
import GradvizCore
import GradvizModel

/// The samples users learn from: each loads, runs, is finite, and its gradients are
/// the sums of their edges; the worked examples give the documents' numbers.
final class SampleModelTests: XCTestCase {
    var samples: [String] {
        let dir = CLI.packageRoot.appendingPathComponent("samples")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0).path }
    }

    func load(_ name: String) throws -> (Model, Gradients) {
        let model = try ModelLoader.load(path: CLI.packageRoot.appendingPathComponent("samples/\(name).json").path)
        return (model, try model.backward())
    }

    func testEverySampleRunsAndSumsItsEdges() throws {
        XCTAssertGreaterThanOrEqual(samples.count, 13)
        for path in samples {
            let model = try ModelLoader.load(path: path)
            let grads = try model.backward()
            XCTAssertNotNil(model.name, path)
            XCTAssertNotNil(model.description, path)
            for (name, v) in model.namedValues {
                XCTAssertTrue(model.graph.value(v).isFinite, "\(path): \(name) is not finite")
                XCTAssertTrue(grads[v]?.isFinite ?? true, "\(path): gradient of \(name) is not finite")
            }
            // Each value's gradient is the sum of what its uses sent back.
            var sums: [ValueID: Tensor] = [:]
            for n in model.graph.nodes.indices {
                for (slot, v) in model.graph.nodes[n].inputs.enumerated() {
                    guard let g = grads.edge(node: n, slot: slot) else { continue }
                    sums[v] = sums[v].map { $0 + g } ?? g
                }
            }
            for (v, s) in sums {
                let total = try XCTUnwrap(grads[v])
                for (a, b) in zip(total.data, s.data) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(a)), path) }
            }
        }
    }

    func testWorkedExamples() throws {
        let (square, g1) = try load("square")
        XCTAssertEqual(g1[square.value(named: "x")!]?.scalar, 3)
        let (addMul, g2) = try load("add_mul")
        XCTAssertEqual(["x", "y", "z", "q"].map { g2[addMul.value(named: $0)!]!.scalar }, [-4, -4, 3, -4])
        let (multitask, _) = try load("multitask")
        XCTAssertEqual(multitask.outputs.count, 2)
    }
}
