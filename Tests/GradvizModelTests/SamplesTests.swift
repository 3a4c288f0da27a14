import Foundation
import XCTest
@testable import GradvizModel
import GradvizCore

/// The samples in samples/ are what users learn from (the README draws them): every one
/// loads, runs forward and backward with finite numbers, and its gradients are the sums of
/// the contributions its edges carry; the worked examples give the documents' numbers.
final class SamplesTests: XCTestCase {
    /// Tests/GradvizModelTests/SamplesTests.swift -> the package root.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samplesDirectory = packageRoot.appendingPathComponent("samples")

    static var samplePaths: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: samplesDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { samplesDirectory.appendingPathComponent($0).path }
    }

    func load(_ name: String) throws -> (Model, Gradients) {
        let model = try ModelLoader.load(path: Self.samplesDirectory.appendingPathComponent("\(name).json").path)
        return (model, try model.backward())
    }

    func testTheSamplesAreThere() {
        XCTAssertGreaterThanOrEqual(Self.samplePaths.count, 13)
        let names = Set(Self.samplePaths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent })
        for expected in ["square", "add_mul", "neuron", "mlp", "residual", "attention", "inception",
                         "dense_block", "multitask", "lstm", "custom_op", "expr", "split"] {
            XCTAssertTrue(names.contains(expected), "samples/\(expected).json is missing")
        }
    }

    func testEverySampleLoadsRunsAndIsFinite() throws {
        for path in Self.samplePaths {
            let model: Model
            do { model = try ModelLoader.load(path: path) } catch {
                XCTFail("\(path): \(error)"); continue
            }
            XCTAssertFalse((model.name ?? "").isEmpty, "\(path): no name")
            XCTAssertFalse((model.description ?? "").isEmpty, "\(path): no description")
            let grads = try model.backward()
            for (name, v) in model.namedValues {
                XCTAssertTrue(model.graph.value(v).isFinite, "\(path): the value of \(name) is not finite")
                if let g = grads[v] {
                    XCTAssertTrue(g.isFinite, "\(path): the gradient of \(name) is not finite")
                    XCTAssertEqual(g.shape, model.graph.value(v).shape, "\(path): the gradient of \(name) has the wrong shape")
                }
            }
            for n in model.graph.nodes.indices {
                for v in model.graph.nodes[n].values { XCTAssertTrue(v.isFinite, "\(path): node \(n) has a non-finite value") }
            }
            for edge in ResultJSON.edges(model, grads) {
                XCTAssertTrue(edge.grad.isFinite, "\(path): the gradient on \(edge.from) -> \(edge.to) is not finite")
            }
            // Some gradient reaches a parameter: the drawing has something to show.
            XCTAssertFalse(ResultJSON.edges(model, grads).isEmpty, "\(path): no edge carries a gradient")
        }
    }

    /// The total gradient of each value is the sum of what its uses sent back along the
    /// edges (plus its seed when it is an output): the Σ nodes of the drawing.
    func testEveryGradientIsTheSumOfItsEdges() throws {
        for path in Self.samplePaths {
            let model = try ModelLoader.load(path: path)
            let grads = try model.backward()
            var sums: [ValueID: Tensor] = [:]
            var names: [ValueID: String] = [:]
            for edge in ResultJSON.edges(model, grads) {
                let v = model.graph.nodes[edge.node].inputs[edge.graphSlot]
                names[v] = edge.from
                if let named = model.value(named: edge.from) {
                    XCTAssertEqual(named, v, "\(path): edge \(edge.from) -> \(edge.to) does not start at \(edge.from)")
                }
                sums[v] = sums[v].map { $0 + edge.grad } ?? edge.grad
            }
            for v in model.outputs {
                let value = model.graph.value(v)
                let seed = model.seeds[v] ?? Tensor(shape: value.shape, data: Array(repeating: 1, count: value.data.count))
                sums[v] = sums[v].map { $0 + seed } ?? seed
            }
            XCTAssertFalse(sums.isEmpty, path)
            // Every edge of the graph that carries a gradient is one of those edges, so the
            // sums cover all of each value's uses.
            var carried = 0
            for n in model.graph.nodes.indices {
                for slot in model.graph.nodes[n].inputs.indices where grads.edge(node: n, slot: slot) != nil { carried += 1 }
            }
            XCTAssertEqual(ResultJSON.edges(model, grads).count, carried, "\(path): an edge that carries a gradient is not reported")
            for (v, sum) in sums {
                let name = names[v] ?? model.graph.name(v)
                guard let total = grads[v] else { XCTFail("\(path): \(name) has edge gradients but no total"); continue }
                XCTAssertEqual(total.shape, sum.shape, "\(path): \(name)")
                for (a, b) in zip(total.data, sum.data) {
                    XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(a)), "\(path): the gradient of \(name) is not the sum of its edges")
                }
            }
        }
    }

    /// u = x² at x = 3 with a seed of 0.5 on u: downstream 0.5 · 2x = 3.
    func testSquareIsTheWorkedExample() throws {
        let (model, grads) = try load("square")
        let x = try XCTUnwrap(model.value(named: "x")), u = try XCTUnwrap(model.value(named: "u"))
        XCTAssertEqual(model.graph.value(u).scalar, 9)
        XCTAssertEqual(grads[u]?.scalar, 0.5)
        XCTAssertEqual(grads[x]?.scalar, 3)
        XCTAssertEqual(model.graph.nodes.filter { !$0.isLeaf }.count, 1, "square is a single node")
    }

    /// L = (x + y)·z at x = -2, y = 5, z = -4: q = 3, L = -12, grads -4, -4, 3 and -4 at q.
    func testAddMulIsTheWorkedExample() throws {
        let (model, grads) = try load("add_mul")
        let ids = try ["x", "y", "z", "q", "L"].map { try XCTUnwrap(model.value(named: $0), $0) }
        XCTAssertEqual(ids.map { model.graph.value($0).scalar }, [-2, 5, -4, 3, -12])
        XCTAssertEqual(ids.map { grads[$0]?.scalar }, [-4, -4, 3, -4, 1])
    }

    func testMultitaskHasTwoLossesWhoseGradientsAddAtTheTrunk() throws {
        let (model, grads) = try load("multitask")
        XCTAssertEqual(model.outputs.count, 2)
        XCTAssertEqual(model.outputs.map { model.graph.name($0) }, ["ce", "mse"])
        let h = try XCTUnwrap(model.value(named: "h"))
        let uses = ResultJSON.edges(model, grads).filter { $0.from == "h" }
        XCTAssertEqual(Set(uses.map(\.to)), ["logits", "r"], "h feeds both heads")
        // Each loss alone gives part of the gradient at h; together they add.
        let ce = try model.graph.backward([model.outputs[0]], seeds: model.seeds.filter { $0.key == model.outputs[0] })
        let mse = try model.graph.backward([model.outputs[1]], seeds: model.seeds.filter { $0.key == model.outputs[1] })
        let total = try XCTUnwrap(grads[h]), a = try XCTUnwrap(ce[h]), b = try XCTUnwrap(mse[h])
        for i in total.data.indices { XCTAssertEqual(total.data[i], a.data[i] + b.data[i], accuracy: 1e-12) }
    }

    /// Fan-out samples: the value named in the description is used several times.
    func testFanOutSamplesUseTheirInputSeveralTimes() throws {
        for (sample, value, uses) in [("residual", "x", 2), ("attention", "X", 3), ("inception", "x", 3),
                                      ("dense_block", "x0", 3), ("dense_block", "h1", 2), ("lstm", "W", 3),
                                      ("lstm", "b", 3), ("expr", "x", 3), ("expr", "y", 2)] {
            let (model, grads) = try load(sample)
            let edges = ResultJSON.edges(model, grads).filter { $0.from == value }
            XCTAssertEqual(edges.count, uses, "\(sample): \(value)")
        }
    }

    /// The custom primitive's hand-written backward agrees with the derivative of its forward.
    func testCustomOpBackwardIsCorrect() throws {
        let (model, grads) = try load("custom_op")
        XCTAssertNotNil(model.functions["swish"])
        XCTAssertNotNil(model.functions["softsign"])
        // L = sum(softsign(w ⊙ swish(x))): ∂L/∂w = swish(x) / (1 + |w·swish(x)|)².
        let x = try XCTUnwrap(model.value(named: "x")), w = try XCTUnwrap(model.value(named: "w"))
        let xs = model.graph.value(x).data, ws = model.graph.value(w).data
        let dw = try XCTUnwrap(grads[w]).data
        for i in xs.indices {
            let a = xs[i] / (1 + exp(-xs[i]))
            let z = ws[i] * a
            XCTAssertEqual(dw[i], a / ((1 + abs(z)) * (1 + abs(z))), accuracy: 1e-12)
        }
    }
}
