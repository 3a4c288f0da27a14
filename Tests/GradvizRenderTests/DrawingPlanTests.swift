import XCTest
import GradvizCore
import GradvizModel
import GradvizRender

/// The drawing plan, without Graphviz: what is drawn, each element's role, classes and
/// label data.
final class DrawingPlanTests: XCTestCase {
    func plan(_ json: String, _ options: RenderOptions = RenderOptions()) throws -> DrawingPlan {
        let model = try ModelLoader(file: "test.json").load(Array(json.utf8))
        return try DrawingPlan(model: model, gradients: try model.backward(), options: options)
    }

    func reference(_ name: String, _ options: RenderOptions = RenderOptions()) throws -> DrawingPlan {
        let url = RenderTests.referenceDirectory.appendingPathComponent(name + ".json")
        let model = try ModelLoader.load(path: url.path)
        return try DrawingPlan(model: model, gradients: try model.backward(), options: options)
    }

    func testFanOutHasASumWithOneTermPerUse() throws {
        let p = try reference("fanout_scalar")
        XCTAssertEqual(p.nodes.map(\.name), ["x", "y", "a", "b", "c", "d", "f", "out:f", "sum:x", "sum:y"])
        XCTAssertEqual(p.nodes[0].role, .input(requiresGradient: true))
        XCTAssertEqual(p.nodes[0].classes, ["input", "param"])
        XCTAssertEqual(p.nodes[2].classes, ["op", "op-mul"])
        let sum = p.nodes[p.node(named: "sum:x")!]
        XCTAssertEqual(sum.role, .sum)
        XCTAssertEqual(sum.id, "sum-x")
        // x is read by a, b and d: three terms, and they add up to its gradient.
        let terms = p.sumTerms(sum.value!)
        XCTAssertEqual(terms.map(\.label), ["a", "b", "d"])
        XCTAssertEqual(terms.map { $0.gradient.data[0] }.reduce(0, +), p.gradients[sum.value!]!.data[0], accuracy: 1e-12)
        // One forward and one backward edge per use, the output's two, one Σ total per Σ.
        let roles = p.edges.map(\.role)
        XCTAssertEqual(roles.filter { $0 == .forward }.count, 9)
        XCTAssertEqual(roles.filter { $0 == .backward }.count, 9)
        XCTAssertEqual(roles.filter { $0 == .sumTotal }.count, 2)
        XCTAssertEqual(p.edges.filter { $0.role == .output || $0.role == .seed }.map(\.id), ["f-out-f", "b-out-f"])
        // Backward edges of a summed value start at its Σ.
        for e in p.edges where e.role == .backward && e.value.node == 0 { XCTAssertEqual(p.nodes[e.tail].name, "sum:x") }
        let labels = DrawingLabels(p)
        XCTAssertNil(labels.text(edge: p.edges.firstIndex { $0.role == .sumTotal }!))
        guard case .html(let html) = labels.label(p.node(named: "sum:x")!) else { return XCTFail("Σ label is HTML") }
        XCTAssertTrue(html.contains("Σ "))
    }

    func testViewsAndClusters() throws {
        var options = RenderOptions()
        options.view = .forward
        let p = try plan(#"{"inputs": {"x": 2}, "nodes": [{"id": "h", "expr": "x * x", "group": "enc/layer"}, {"id": "y", "op": "tanh", "inputs": ["h"]}]}"#, options)
        XCTAssertTrue(p.edges.allSatisfy { $0.role == .forward || $0.role == .output })
        XCTAssertFalse(p.nodes.contains { $0.role == .sum })
        XCTAssertEqual(p.clusters.map(\.label), ["enc", "layer"])
        XCTAssertEqual(p.clusters[1].parent, 0)
        XCTAssertEqual(p.nodes[p.node(named: "h")!].cluster, 1)
        XCTAssertEqual(p.model.annotations(1).group, "enc/layer")
        XCTAssertEqual(p.model.annotations(1).expr, "x * x")
    }

    func testFarUsesAreReferencesAndFoldingIsASummary() throws {
        var nodes = [#"{"id": "v0", "op": "mul", "inputs": ["x", "x"]}"#]
        for i in 1..<40 { nodes.append("{\"id\": \"v\(i)\", \"op\": \"mul\", \"inputs\": [\"v\(i - 1)\", \"x\"]}") }
        let json = #"{"inputs": {"x": 1.01}, "nodes": ["# + nodes.joined(separator: ",") + "]}"
        let p = try plan(json)
        XCTAssertTrue(p.hasReferences)
        let refs = p.nodes.filter { $0.role == .reference }
        XCTAssertEqual(refs.count, 37)
        XCTAssertEqual(refs[0].name, "ref:x@v3.1")
        XCTAssertEqual(refs[0].classes, ["ref", "param"])
        XCTAssertTrue(p.edges.filter { $0.fromReference }.allSatisfy { p.nodes[$0.tail].role == .reference })

        var options = RenderOptions()
        options.maxNodes = 20
        let folded = try plan(json, options)
        XCTAssertGreaterThan(folded.folded, 0)
        XCTAssertEqual(folded.nodes.filter { $0.role == .summary }.count, 1)
        XCTAssertEqual(folded.messages.count, 1)
        XCTAssertTrue(folded.messages[0].contains("folding \(folded.folded) into one summary node"))
    }

    /// A network run on several examples reads each weight once per example, at the same
    /// ranks: in a large drawing the first use reads the weight itself, the others copies.
    func testSharedParametersAreReadFromCopiesInLargeDrawings() throws {
        func model(examples: Int, depth: Int) -> String {
            var inputs = [#""w": 0.5"#], nodes: [String] = [], losses: [String] = []
            for e in 0..<examples {
                inputs.append("\"x\(e)\": {\"value\": \(Double(e) / 4), \"grad\": false}")
                nodes.append("{\"id\": \"a\(e)_0\", \"op\": \"mul\", \"inputs\": [\"w\", \"x\(e)\"]}")
                for d in 1..<depth { nodes.append("{\"id\": \"a\(e)_\(d)\", \"op\": \"tanh\", \"inputs\": [\"a\(e)_\(d - 1)\"]}") }
                losses.append("a\(e)_\(depth - 1)")
            }
            nodes.append("{\"id\": \"L\", \"expr\": \"\(losses.joined(separator: " + "))\"}")
            return "{\"inputs\": {\(inputs.joined(separator: ", "))}, \"nodes\": [\(nodes.joined(separator: ", "))], \"outputs\": [\"L\"]}"
        }
        let large = try plan(model(examples: 4, depth: 40))
        let refs = large.nodes.filter { $0.role == .reference }
        XCTAssertEqual(refs.map(\.name), ["ref:w@a1_0.0", "ref:w@a2_0.0", "ref:w@a3_0.0"])
        // w keeps its first use, its Σ adds all four, and no data input is copied.
        XCTAssertEqual(large.sumTerms(large.nodes[large.node(named: "sum:w")!].value!).count, 4)
        XCTAssertFalse(large.nodes.contains { $0.role == .reference && $0.name.hasPrefix("ref:x") })
        // Small drawings read it directly.
        XCTAssertFalse(try plan(model(examples: 4, depth: 3)).hasReferences)
    }

    /// 120 steps that each concatenate every earlier value: 241 graph nodes, but 7,367
    /// nodes to lay out (a reference per far use, Σ nodes) on which dot never finishes.
    /// The limit counts what is laid out: the drawing folds until it fits, and a focus
    /// that would not fit is refused.
    func testNodeLimitCountsEveryNodeLaidOut() throws {
        var nodes: [String] = []
        var previous = ["\"x\""]
        for i in 0..<120 {
            nodes.append("{\"id\": \"c\(i)\", \"op\": \"concat\", \"inputs\": [\(previous.joined(separator: ", "))]}")
            nodes.append("{\"id\": \"s\(i)\", \"op\": \"sum\", \"inputs\": [\"c\(i)\"], \"attrs\": {\"keepdims\": true}}")
            previous.append("\"s\(i)\"")
        }
        let json = #"{"inputs": {"x": [0.5]}, "outputs": ["s119"], "nodes": ["# + nodes.joined(separator: ",\n") + "]}"
        XCTAssertGreaterThan(json.utf8.count, 60_000)
        var unlimited = RenderOptions()
        unlimited.maxNodes = 1_000_000
        XCTAssertGreaterThan(try plan(json, unlimited).nodes.count, 7_000)

        var limited = RenderOptions()
        limited.maxNodes = 1500
        let p = try plan(json, limited)
        XCTAssertLessThanOrEqual(p.nodes.count, 1500)
        XCTAssertGreaterThan(p.folded, 0)
        XCTAssertEqual(p.nodes.filter { $0.role == .summary }.count, 1)
        XCTAssertTrue(p.messages.first?.contains("folding \(p.folded) into one summary node") == true, "\(p.messages)")
        let dot = try Renderer.render(p, format: .dot)
        XCTAssertTrue(String(decoding: dot, as: UTF8.self).hasPrefix("digraph"))

        var focus = limited
        focus.focus = "c119"
        focus.depth = 3
        XCTAssertThrowsError(try plan(json, focus)) { error in
            XCTAssertTrue("\(error)".contains("more than --max-nodes 1500: use a smaller --depth"), "\(error)")
        }
        focus.depth = 1
        XCTAssertLessThanOrEqual(try plan(json, focus).nodes.count, 1500)
    }

    /// micrograd's example: with variables a and b, the edge from b into `b - a` read
    /// "a: 2". The position shows where order matters, never a name and a colon.
    func testSlotsAreShownByPositionNotAsAssignments() throws {
        let p = try plan(#"{"inputs": {"a": 3, "b": 2}, "nodes": [{"id": "d", "op": "sub", "inputs": ["b", "a"]}, {"id": "e", "op": "mul", "inputs": ["d", "a"]}]}"#)
        let labels = DrawingLabels(p)
        func text(_ id: String) -> String? { labels.text(edge: p.edges.firstIndex { $0.id == id }!) }
        XCTAssertEqual(text("f-d-0"), "① 2")
        XCTAssertEqual(text("f-d-1"), "② 3")
        XCTAssertEqual(text("f-e-0"), "-1")  // mul: order does not matter
        for e in p.edges.indices { XCTAssertFalse(labels.text(edge: e)?.contains(":") ?? false) }
        XCTAssertTrue(labels.tooltip(edge: p.edges.firstIndex { $0.id == "f-d-0" }!)!.contains("b → d (a)"))
    }

    func testEveryOpHasItsOwnSymbol() {
        var seen: [String: String] = [:]
        for type in OpRegistry.all {
            let info = type.info
            XCTAssertNil(seen[info.symbol], "\(info.name) and \(seen[info.symbol] ?? "") both draw \(info.symbol)")
            seen[info.symbol] = info.name
        }
    }

    /// A tensor Σ lists its terms (their norms) as the scalar Σ lists its numbers.
    func testTensorSumShowsItsTerms() throws {
        let p = try plan(#"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "a", "expr": "x * 2"}, {"id": "b", "expr": "x * x"}, {"id": "L", "expr": "sum(a + b)"}]}"#)
        guard case .html(let html) = DrawingLabels(p).label(p.node(named: "sum:x")!) else { return XCTFail() }
        // ∂/∂x through a: [2, 2] (‖·‖ 2.828); through each slot of x * x: x = [1, 2] (2.236).
        XCTAssertTrue(html.contains("Σ of 3 uses: ‖2.828‖, ‖2.236‖, ‖2.236‖ ="), html)
    }

    /// Folding and focus count the same nodes: the graph's nodes but its constants, and
    /// the nodes laid out.
    func testFoldingAndFocusCountTheSameNodes() throws {
        var nodes = [#"{"id": "v0", "expr": "x * 2"}"#]
        for i in 1..<30 { nodes.append("{\"id\": \"v\(i)\", \"expr\": \"v\(i - 1) * 2\"}") }
        let json = #"{"inputs": {"x": 1}, "nodes": ["# + nodes.joined(separator: ",") + "]}"
        var focus = RenderOptions()
        focus.focus = "v29"
        focus.depth = 100
        let all = try plan(json, focus)
        XCTAssertEqual(all.messages, ["--focus v29 --depth 100: drawing 31 of the graph's 31 nodes (\(all.nodes.count) to lay out with Σ nodes, references and outputs)"])
        var fold = RenderOptions()
        fold.maxNodes = 20
        let folded = try plan(json, fold)
        XCTAssertTrue(folded.messages[0].hasPrefix("the graph has 31 nodes: drawing the "), folded.messages[0])
        XCTAssertTrue(folded.messages[0].contains("(\(folded.nodes.count) to lay out"), folded.messages[0])
    }
}
