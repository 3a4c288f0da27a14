import Foundation
import XCTest
import GradvizCore
import GradvizModel
@testable import GradvizRender

/// The layered layout, judged from the SVG it gives: every edge runs forward along the
/// ranks, no two nodes overlap, no label overlaps a node, another label or an arrowhead,
/// cluster boxes nest or stay apart and hold whole nodes. On every sample and reference,
/// both directions, and on generated graphs.
final class LayeredLayoutTests: XCTestCase {
    func load(_ url: URL) throws -> (Model, Gradients) {
        let model = try ModelLoader.load(path: url.path)
        return (model, try model.backward())
    }

    func load(json: String) throws -> (Model, Gradients) {
        let model = try ModelLoader(file: "test.json").load(Array(json.utf8))
        return (model, try model.backward())
    }

    func svg(_ m: (Model, Gradients), rankdir: String = "LR", layout: RenderOptions.Layout = .layered, maxNodes: Int = 100_000) throws -> String {
        var options = RenderOptions()
        options.layout = layout
        options.rankdir = rankdir
        options.maxNodes = maxNodes
        return String(decoding: try Renderer.render(m.0, m.1, format: .svg, options: options), as: UTF8.self)
    }

    func checkGeometry(_ svg: String, _ rankdir: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        let found = problems(svg, rankdir)
        XCTAssertTrue(found.isEmpty, "\(name): \(found.count) problems: \(found.prefix(5).joined(separator: "; "))", file: file, line: line)
    }

    /// Every property the layout promises that the SVG breaks, in words.
    func problems(_ svg: String, _ rankdir: String) -> [String] {
        let g = SVGGeometry(svg)
        var found: [String] = []
        if g.nodes.isEmpty { found.append("no nodes") }
        let nodes = g.nodeOrder.compactMap { n in g.nodes[n]?.shape.map { (n, $0) } }
        if nodes.count != g.nodes.count { found.append("a node has no shape") }
        // Ranks: every edge (forward, and gradient edges, declared forward) runs from an
        // earlier rank to a later one.
        for e in g.edges {
            let ends = e.title.components(separatedBy: "->")
            guard ends.count == 2, let t = g.nodes[ends[0]]?.shape, let h = g.nodes[ends[1]]?.shape else {
                found.append("edge \(e.title) has no ends"); continue
            }
            let forward = switch rankdir {
                case "TB": t.y1 <= h.y0 + 0.5
                case "BT": t.y0 >= h.y1 - 0.5
                case "RL": t.x0 >= h.x1 - 0.5
                default: t.x1 <= h.x0 + 0.5
            }
            if !forward { found.append("edge \(e.title) does not run forward") }
        }
        for i in nodes.indices {
            for j in nodes.indices where j > i && nodes[i].1.overlaps(nodes[j].1) {
                found.append("nodes \(nodes[i].0) and \(nodes[j].0) overlap")
            }
        }
        let labels = g.edgeLabels
        let arrows = g.edges.flatMap(\.arrows)
        for (k, l) in labels.enumerated() {
            for (n, box) in nodes where l.rect.overlaps(box) {
                found.append("label '\(l.text)' of \(g.edges[l.owner].title) overlaps node \(n)")
            }
            for other in labels[(k + 1)...] where other.owner != l.owner && l.rect.overlaps(other.rect) {
                found.append("labels '\(l.text)' and '\(other.text)' overlap")
            }
            for a in arrows where l.rect.overlaps(a) { found.append("label '\(l.text)' overlaps an arrowhead") }
        }
        // Cluster boxes: nested or apart, and a node is wholly inside a box or outside it.
        let boxes = g.clusters.compactMap(\.shape)
        for i in boxes.indices {
            for j in boxes.indices where j > i && boxes[i].overlaps(boxes[j]) && !boxes[i].contains(boxes[j]) && !boxes[j].contains(boxes[i]) {
                found.append("clusters \(g.clusters[i].title) and \(g.clusters[j].title) cross")
            }
            for (n, box) in nodes where box.overlaps(boxes[i]) && !boxes[i].contains(box) {
                found.append("node \(n) straddles cluster \(g.clusters[i].title)")
            }
        }
        return found
    }

    func testSamplesAndReferencesBothWays() throws {
        let files = RenderTests.jsonFiles(in: RenderTests.referenceDirectory)
            + RenderTests.jsonFiles(in: RenderTests.packageRoot.appendingPathComponent("samples"))
        XCTAssertGreaterThanOrEqual(files.count, 8)
        for file in files {
            let m = try load(file)
            for rankdir in ["LR", "TB"] {
                checkGeometry(try svg(m, rankdir: rankdir), rankdir, "\(file.lastPathComponent) \(rankdir)")
            }
        }
    }

    /// A random scalar DAG of `n` ops (add/mul/tanh, each reading the previous ~8 values),
    /// optionally in nested groups: every value and gradient drawn.
    static func dag(_ n: Int, groups: Bool = false, seed: UInt64 = 1) -> String {
        var rng = SeededGenerator(seed: seed)
        var names = ["p0", "p1", "p2", "p3"]
        var nodes: [String] = []
        for i in 0..<n {
            let window = names.suffix(8)
            let a = window.randomElement(using: &rng)!, b = window.randomElement(using: &rng)!
            let op = ["add", "mul", "tanh", "mul"].randomElement(using: &rng)!
            let inputs = op == "tanh" ? "\"\(a)\"" : "\"\(a)\", \"\(b)\""
            let group = groups ? ", \"group\": \"block\(i / 12)/\(i % 12 < 6 ? "attn" : "mlp")\"" : ""
            nodes.append("{\"id\": \"v\(i)\", \"op\": \"\(op)\", \"inputs\": [\(inputs)]\(group)}")
            names.append("v\(i)")
        }
        nodes.append("{\"id\": \"L\", \"expr\": \"\(names.suffix(3).joined(separator: " + "))\"}")
        return """
            {"inputs": {"p0": 0.5, "p1": -0.25, "p2": 0.75, "p3": 1.5}, "nodes": [\(nodes.joined(separator: ",\n"))], "outputs": ["L"]}
            """
    }

    func testGeneratedGraphs() throws {
        let plain = try load(json: Self.dag(250))
        let lr = try svg(plain)
        checkGeometry(lr, "LR", "dag 250 LR")
        // The check sees what it checks: a box per node, an arrowhead per edge, and a
        // label on every edge but the Σ totals.
        let g = SVGGeometry(lr)
        XCTAssertGreaterThan(g.nodes.count, 250)
        XCTAssertEqual(g.edges.flatMap(\.arrows).count, g.edges.count)
        XCTAssertEqual(Set(g.edgeLabels.map(\.owner)).count, g.edges.filter { !$0.classes.contains("sum-total") }.count)
        checkGeometry(try svg(plain, rankdir: "TB"), "TB", "dag 250 TB")
        checkGeometry(try svg(plain, rankdir: "RL"), "RL", "dag 250 RL")
        let grouped = try load(json: Self.dag(120, groups: true, seed: 7))
        let text = try svg(grouped)
        XCTAssertGreaterThan(SVGGeometry(text).clusters.count, 10)
        checkGeometry(text, "LR", "grouped dag 120 LR")
        checkGeometry(try svg(grouped, rankdir: "TB"), "TB", "grouped dag 120 TB")
        checkGeometry(try svg(grouped, rankdir: "BT"), "BT", "grouped dag 120 BT")
        // One input read at every step of a chain: far uses drawn from copies.
        var chain = ["{\"id\": \"v0\", \"expr\": \"x * x\"}"]
        for i in 1..<80 { chain.append("{\"id\": \"v\(i)\", \"expr\": \"v\(i - 1) * x\"}") }
        let shared = try load(json: "{\"inputs\": {\"x\": 1.01}, \"nodes\": [\(chain.joined(separator: ","))], \"outputs\": [\"v79\"]}")
        checkGeometry(try svg(shared), "LR", "shared-input chain 80")
    }

    func testTheCheckerFindsOverlaps() throws {
        // The same drawing with one label moved onto a node must fail the check.
        let m = try load(json: Self.dag(30))
        let text = try svg(m)
        let g = SVGGeometry(text)
        let node = try XCTUnwrap(g.nodes[g.nodeOrder[5]]?.shape)
        let label = try XCTUnwrap(text.range(of: "<text text-anchor=\"middle\" x=\"", options: .backwards))
        let line = text[label.lowerBound...].prefix { $0 != "\n" }
        let moved = line.replacingOccurrences(of: #"x="[-0-9.]+" y="[-0-9.]+""#, with: "x=\"\(node.center.x)\" y=\"\(node.center.y)\"", options: .regularExpression)
        let broken = text.replacingCharacters(in: line.startIndex..<line.endIndex, with: moved)
        XCTAssertTrue(problems(text, "LR").isEmpty)
        XCTAssertTrue(problems(broken, "LR").contains { $0.contains("overlaps node \(g.nodeOrder[5])") },
                      "a label moved onto a node is found")
    }

    func testSameBytesEveryTime() throws {
        let m = try load(json: Self.dag(150, groups: true))
        XCTAssertEqual(try svg(m), try svg(m))
    }

    func testAutoKeepsDotForSmallGraphsAndTakesLayeredForLargeOnes() throws {
        let small = try load(json: Self.dag(40))
        XCTAssertEqual(try svg(small, layout: .auto), try svg(small, layout: .dot))
        let large = try load(json: Self.dag(900))
        let auto = try svg(large, layout: .auto)
        XCTAssertEqual(auto, try svg(large, layout: .layered))
    }
}
