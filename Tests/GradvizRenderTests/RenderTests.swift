import Foundation
import FoundationXML
import XCTest
import GradvizCore
import GradvizModel
@testable import GradvizRender

final class RenderTests: XCTestCase {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let referenceDirectory = testsDirectory.appendingPathComponent("Fixtures/reference")
    static let packageRoot = testsDirectory.deletingLastPathComponent()

    static func jsonFiles(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".expected.json") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    func reference(_ name: String) throws -> (Model, Gradients) {
        try load(Self.referenceDirectory.appendingPathComponent(name + ".json"))
    }

    func svg(_ m: (Model, Gradients), _ options: RenderOptions = RenderOptions()) throws -> XMLDocument {
        let bytes = try Renderer.render(m.0, m.1, format: .svg, options: options)
        return try XMLDocument(data: Data(bytes), options: [])
    }

    /// The text inside the element with this id (its <title> and labels).
    func text(_ doc: XMLDocument, id: String) throws -> String? {
        try doc.nodes(forXPath: "//*[@id='\(id)']").first?.stringValue
    }

    /// (id, class) of every element with a class, in document order.
    func classified(_ doc: XMLDocument) throws -> [(id: String, classes: [Substring])] {
        try doc.nodes(forXPath: "//*[@class]").map { node in
            let id = try node.nodes(forXPath: "@id").first?.stringValue ?? ""
            let cls = try node.nodes(forXPath: "@class").first?.stringValue ?? ""
            return (id, cls.split(separator: " "))
        }
    }

    func ids(_ doc: XMLDocument, class name: String) throws -> [String] {
        try classified(doc).filter { $0.classes.contains(Substring(name)) }.map(\.id)
    }

    // MARK: Every model, every format

    func testRendersReferencesAndSamplesInEveryFormat() throws {
        let files = Self.jsonFiles(in: Self.referenceDirectory) + Self.jsonFiles(in: Self.packageRoot.appendingPathComponent("samples"))
        XCTAssertGreaterThanOrEqual(files.count, 8)
        for file in files {
            let m = try load(file)
            for format in [OutputFormat.svg, .dot, .png, .pdf] {
                let bytes = try Renderer.render(m.0, m.1, format: format, options: RenderOptions())
                XCTAssertGreaterThan(bytes.count, 200, "\(file.lastPathComponent) \(format)")
                switch format {
                case .svg: XCTAssertNoThrow(try XMLDocument(data: Data(bytes), options: []), file.lastPathComponent)
                case .png: XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
                case .pdf: XCTAssertEqual(String(decoding: bytes.prefix(5), as: UTF8.self), "%PDF-")
                case .dot: XCTAssertTrue(String(decoding: bytes, as: UTF8.self).hasPrefix("digraph"))
                case .json, .html: break
                }
            }
        }
    }

    /// SVG and DOT are laid out without Graphviz's text shapes (the 100,000-op drawing's
    /// 400 MB), PNG and PDF, which cairo draws from them, with; the layered layout too.
    func testOnlyPNGAndPDFKeepTextShapes() throws {
        let m = try load(Self.packageRoot.appendingPathComponent("samples/mlp.json"))
        for layout in [RenderOptions.Layout.dot, .layered] {
            var options = RenderOptions()
            options.layout = layout
            for format in [OutputFormat.svg, .dot, .png, .pdf] {
                let plan = try DrawingPlan(model: m.0, gradients: m.1, options: options)
                XCTAssertEqual(try Renderer.laidOut(plan, format: format).keepsTextShapes, format == .png || format == .pdf, "\(format) \(layout)")
            }
        }
    }

    // MARK: Numbers on the right edges

    func testFanoutScalarGradientsOnEdges() throws {
        let doc = try svg(try reference("fanout_scalar"))
        // x is slot 0 of a = x * y: gradient y = -0.7; y is slot 1: gradient x = 1.3.
        XCTAssertTrue(try text(doc, id: "b-a-0")?.contains("∇ -0.7") == true)
        XCTAssertTrue(try text(doc, id: "b-a-1")?.contains("∇ 1.3") == true)
        // Forward values.
        XCTAssertTrue(try text(doc, id: "f-a-0")?.contains("1.3") == true)
        XCTAssertTrue(try text(doc, id: "f-a-1")?.contains("-0.7") == true)
        // Σ exactly at the fan-out values x (a, b, d) and y (a, c).
        XCTAssertEqual(try ids(doc, class: "sum").sorted(), ["sum-x", "sum-y"])
        let sumX = try XCTUnwrap(try text(doc, id: "sum-x"))
        XCTAssertTrue(sumX.contains("= 0.1128"), sumX)
        XCTAssertTrue(sumX.contains("−0.7 − 0.1872 + 1"), sumX)
        XCTAssertTrue(try text(doc, id: "sum-y")?.contains("= 2.264") == true)
        XCTAssertEqual(try ids(doc, class: "sum-total").sorted(), ["b-sum-x", "b-sum-y"])
        // Kinds of nodes.
        XCTAssertEqual(try ids(doc, class: "param").sorted(), ["node-x", "node-y"])
        XCTAssertEqual(try ids(doc, class: "output"), ["output-f"])
        XCTAssertEqual(try ids(doc, class: "op").count, 5)
    }

    func testPrecisionOption() throws {
        var options = RenderOptions()
        options.precision = 2
        let doc = try svg(try reference("fanout_scalar"), options)
        XCTAssertTrue(try text(doc, id: "sum-x")?.contains("= 0.11") == true)
    }

    func testDotCarriesAttributes() throws {
        let m = try reference("fanout_scalar")
        let dot = String(decoding: try Renderer.render(m.0, m.1, format: .dot, options: RenderOptions()), as: UTF8.self)
        XCTAssertTrue(dot.contains("dir=back"))
        XCTAssertTrue(dot.contains("\"DejaVu Sans\""))
        XCTAssertFalse(dot.contains("concentrate"))
    }

    /// The attribute blocks of the edges in laid-out DOT whose key starts with `prefix`.
    func edgeBlocks(_ dot: String, key prefix: String) -> [Substring] {
        dot.components(separatedBy: "];").compactMap { block in
            guard let r = block.range(of: "[key=\"" + prefix) else { return nil }
            return block[r.lowerBound...]
        }
    }

    func hasAttribute(_ block: Substring, _ name: String) -> Bool {
        block.range(of: "(^|[\\[\\s,])" + name + "=", options: .regularExpression) != nil
    }

    /// Up to 600 nodes, values and gradients are edge `label`s, which dot lays out as
    /// nodes (never under a node box or on another label); larger drawings place them as
    /// `xlabel`s after layout, which keeps a 1,000-op drawing at a few seconds.
    func testEdgeLabelsAreLaidOutUpTo600Nodes() throws {
        let m = try reference("fanout_scalar")
        let dot = String(decoding: try Renderer.render(m.0, m.1, format: .dot, options: RenderOptions()), as: UTF8.self)
        let forward = edgeBlocks(dot, key: "f"), backward = edgeBlocks(dot, key: "b")
        XCTAssertFalse(forward.isEmpty)
        XCTAssertFalse(backward.isEmpty)
        for block in forward + backward where !block.contains("sum-total") {
            XCTAssertTrue(hasAttribute(block, "label"), String(block))
            XCTAssertFalse(hasAttribute(block, "xlabel"), String(block))
        }
        XCTAssertTrue(backward.contains { $0.contains("label=\"∇ ") })

        // 620 ops in 31 chains of 20 over 10 inputs (a single chain of 600 overflows the
        // stack inside libgvc, with xlabels as before).
        var nodes: [String] = []
        for i in 0..<620 {
            let a = i >= 31 ? "v\(i - 31)" : "x\(i % 10)"
            nodes.append("{\"id\": \"v\(i)\", \"op\": \"\(i % 2 == 0 ? "mul" : "add")\", \"inputs\": [\"\(a)\", \"x\((i * 3) % 10)\"]}")
        }
        let inputs = (0..<10).map { "\"x\($0)\": 0.999" }.joined(separator: ", ")
        let large = try load(json: #"{"inputs": {"# + inputs + #"}, "outputs": ["v619", "v618"], "nodes": ["# + nodes.joined(separator: ",") + "]}")
        let largeDot = String(decoding: try Renderer.render(large.0, large.1, format: .dot, options: RenderOptions()), as: UTF8.self)
        let largeBackward = edgeBlocks(largeDot, key: "b")
        XCTAssertGreaterThan(largeBackward.count, 20)
        for block in largeBackward where !block.contains("sum-total") {
            XCTAssertTrue(hasAttribute(block, "xlabel"), String(block))
            XCTAssertFalse(hasAttribute(block, "label"), String(block))
        }
    }

    /// A value read all along a chain (`v_i = v_(i-1) * x`, weights shared by the steps of
    /// an unrolled RNN) is drawn again beside each of its far uses: dot would route every
    /// such edge through every rank in between (O(n²) virtual nodes: 300 ops took minutes).
    /// Its near uses, its value and its Σ stay where they were; small drawings have none.
    func testFarUsesOfASharedValueAreDrawnByReference() throws {
        var nodes = [#"{"id": "v0", "op": "mul", "inputs": ["x", "x"]}"#]
        for i in 1..<40 { nodes.append("{\"id\": \"v\(i)\", \"op\": \"mul\", \"inputs\": [\"v\(i - 1)\", \"x\"]}") }
        let m = try load(json: #"{"inputs": {"x": 1.01}, "nodes": ["# + nodes.joined(separator: ",") + "]}")
        let dot = String(decoding: try Renderer.render(m.0, m.1, format: .dot, options: RenderOptions()), as: UTF8.self)
        // v0..v2 read x from at most 3 ranks away; v3..v39 from a copy of x each.
        for i in 3..<40 {
            XCTAssertTrue(dot.contains("\"ref:x@v\(i).1\" -> v\(i)"), "v\(i)")
            XCTAssertTrue(dot.contains("id=\"ref-x-v\(i)-1\""), "v\(i)")
        }
        XCTAssertFalse(dot.contains("ref:x@v2."))
        XCTAssertFalse(dot.contains("\tx -> v3\t"))
        XCTAssertTrue(dot.contains("\"sum:x\" -> v0"))
        XCTAssertTrue(dot.contains("id=\"b-sum-x\""))
        // The chain (the longest path) outweighs the other edges, which outweigh the
        // references' (the chain stays straight); gradient edges do not pull.
        let forward = edgeBlocks(dot, key: "f").filter { !$0.hasPrefix("[key=\"fout") }
        XCTAssertEqual(forward.count, 80)
        XCTAssertEqual(forward.filter { $0.contains("weight=1,") || $0.hasSuffix("weight=1") }.count, 37)
        XCTAssertEqual(forward.filter { $0.contains("weight=16") }.count, 41)
        XCTAssertEqual(forward.filter { $0.contains("weight=4") }.count, 2)
        XCTAssertTrue(edgeBlocks(dot, key: "b").filter { !$0.contains("sum-total") && !$0.hasPrefix("[key=\"bout") }.allSatisfy { $0.contains("weight=0") })

        let doc = try svg(m)
        XCTAssertEqual(try ids(doc, class: "ref").count, 37)
        XCTAssertTrue(try text(doc, id: "ref-x-v39-1")?.contains("41 uses") == true)
        XCTAssertEqual(try ids(doc, class: "sum"), ["sum-x"])

        // Ops no other op reads sit right after their input, as dot puts them: a value
        // read by the next op and by such an op has no far uses.
        var sideNodes: [String] = []
        for i in 0..<60 {
            sideNodes.append("{\"id\": \"v\(i)\", \"op\": \"tanh\", \"inputs\": [\"\(i == 0 ? "x" : "v\(i - 1)")\"]}")
            sideNodes.append("{\"id\": \"d\(i)\", \"op\": \"relu\", \"inputs\": [\"v\(i)\"]}")
        }
        let side = try load(json: #"{"inputs": {"x": 0.5}, "outputs": ["v59"], "nodes": ["# + sideNodes.joined(separator: ",") + "]}")
        XCTAssertFalse(try ids(try svg(side), class: "node").isEmpty)
        XCTAssertTrue(try ids(try svg(side), class: "ref").isEmpty)

        let small = String(decoding: try Renderer.render(try reference("fanout_scalar").0, try reference("fanout_scalar").1, format: .dot, options: RenderOptions()), as: UTF8.self)
        XCTAssertFalse(small.contains("ref:"))
        XCTAssertFalse(small.contains("weight=0"))
    }

    func testTooltipsGiveTheModelLine() throws {
        let m = try load(json: """
            {"inputs": {"x": 2},
             "nodes": [
               {"id": "y", "expr": "x * x + 1"}
             ]}
            """)
        let dot = String(decoding: try Renderer.render(m.0, m.1, format: .dot, options: RenderOptions()), as: UTF8.self)
        XCTAssertTrue(dot.contains("(model line 1)"), "the input x is on line 1")
        XCTAssertTrue(dot.contains("(model line 3)"), "both operations of y's expr are on line 3")
        XCTAssertFalse(dot.contains("(model line 2)"))
    }

    func testSelfUseGetsOneEdgePerSlot() throws {
        let m = try load(json: #"{"inputs": {"x": 3}, "nodes": [{"id": "y", "op": "mul", "inputs": ["x", "x"]}]}"#)
        let doc = try svg(m)
        XCTAssertTrue(try text(doc, id: "b-y-0")?.contains("∇ 3") == true)
        XCTAssertTrue(try text(doc, id: "b-y-1")?.contains("∇ 3") == true)
        XCTAssertTrue(try text(doc, id: "sum-x")?.contains("3 + 3 = 6") == true)
    }

    func testConstantsAreFoldedIntoTheOp() throws {
        let m = try load(json: #"{"inputs": {"x": 3}, "nodes": [{"id": "y", "op": "div", "inputs": ["x", 2]}]}"#)
        let doc = try svg(m)
        XCTAssertTrue(try text(doc, id: "node-y")?.contains("÷ 2") == true)
        XCTAssertEqual(try ids(doc, class: "node").count, 3)  // x, y, output
    }

    func testMultiOutputOpGetsOneEdgePerOutput() throws {
        let m = try reference("shapes")
        let doc = try svg(m)
        XCTAssertFalse(try ids(doc, class: "backward").isEmpty)
    }

    // MARK: Labels

    /// The label of a node and its id are separate pieces of text: in SVG each is its own
    /// <text>, and a space opening the second one is stripped by viewers ("wᵀxu").
    func testLabelAndIdAreApart() throws {
        let m = try load(Self.packageRoot.appendingPathComponent("samples/neuron.json"))
        let dot = String(decoding: try Renderer.render(m.0, m.1, format: .dot, options: RenderOptions()), as: UTF8.self)
        XCTAssertTrue(dot.contains("<B>wᵀx&#160;</B>· u"), "the space closes the label's piece")
        let doc = try svg(m)
        let pieces = try doc.nodes(forXPath: "//*[@id='node-u']//*[local-name()='text']").compactMap(\.stringValue)
        XCTAssertEqual(pieces.map { $0.trimmingCharacters(in: .whitespaces) }, ["@", "wᵀx", "· u"])
        XCTAssertTrue(try text(doc, id: "output-y")?.contains("y\u{00A0}= ") == true, "the output's name and value too")
    }

    /// No piece of text in any drawing starts with a space a viewer would strip.
    func testNoTextPieceStartsWithASpace() throws {
        let files = Self.jsonFiles(in: Self.referenceDirectory) + Self.jsonFiles(in: Self.packageRoot.appendingPathComponent("samples"))
        for file in files {
            let doc = try svg(try load(file))
            for piece in try doc.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue) {
                guard let first = piece.first, piece.contains(where: { !$0.isWhitespace }) else { continue }
                XCTAssertFalse(first.isWhitespace, "\(file.lastPathComponent): '\(piece)'")
            }
        }
    }

    func testLabelThatRepeatsTheSymbolIsShownOnce() throws {
        let m = try load(Self.packageRoot.appendingPathComponent("samples/split.json"))
        let pieces = try svg(m).nodes(forXPath: "//*[@id='node-L']//*[local-name()='text']").compactMap(\.stringValue)
        XCTAssertEqual(pieces, ["MSE", "L"])
    }

    func testRowsOfAMultiOutputOpNameTheirOutputs() throws {
        let m = try load(Self.packageRoot.appendingPathComponent("samples/split.json"))
        let node = try XCTUnwrap(try text(svg(m), id: "node-a,g"))
        XCTAssertTrue(node.contains("a: 1×2 [0.3173, 0.4531]"), node)
        XCTAssertTrue(node.contains("g: 1×2 [0.5179, 1.09]"), node)
        XCTAssertTrue(node.contains("split halves\u{00A0}· a, g"), node)
        // A single-output op's preview has no name in front.
        let one = try load(json: #"{"inputs": {"x": [1, 2]}, "nodes": [{"id": "y", "op": "tanh", "inputs": ["x"]}, {"id": "s", "op": "sum", "inputs": ["y"]}]}"#)
        let y = try XCTUnwrap(try text(svg(one), id: "node-y"))
        XCTAssertFalse(y.contains("y: "), y)
    }

    // MARK: Escaping

    func testHostileTextIsEscaped() throws {
        let json = #"""
        {"name": "<script>alert(1)</script>", "description": "a & b \"quoted\" <b>bold</b> \\N \\l",
         "inputs": {"x": {"value": 2, "label": "<script>alert(2)</script>", "doc": "</title><script>alert(3)</script>"},
                    "t": {"value": 1, "grad": false, "label": "]]> & \\\"'"}},
         "nodes": [{"id": "y", "op": "mul", "inputs": ["x", "t"], "label": "<img src=x onerror=alert(4)>", "group": "<g>/&amp;"}]}
        """#
        let m = try load(json: json)
        for format in [OutputFormat.svg, .dot, .png] {
            XCTAssertNoThrow(try Renderer.render(m.0, m.1, format: format, options: RenderOptions()))
        }
        let bytes = try Renderer.render(m.0, m.1, format: .svg, options: RenderOptions())
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertFalse(text.contains("<script"), "markup leaked into the SVG")
        XCTAssertFalse(text.contains("<img"), "markup leaked into the SVG")
        let doc = try XMLDocument(data: Data(bytes), options: [])
        XCTAssertEqual(try doc.nodes(forXPath: "//*[local-name()='script']").count, 0)
        let all = doc.rootElement()?.stringValue ?? ""
        XCTAssertTrue(all.contains("<script>alert(1)</script>"), "the title shows as text")
        XCTAssertTrue(all.contains("<script>alert(2)</script>"), "the label shows as text")
        XCTAssertTrue(all.contains("<img src=x onerror=alert(4)>"))
        XCTAssertTrue(all.contains("a & b \"quoted\" <b>bold</b>"))
    }

    // MARK: Determinism and options

    func testIdenticalBytesOnEveryRun() throws {
        for name in ["fanout_scalar", "custom_ops", "attention"] {
            let m = try reference(name)
            for format in [OutputFormat.svg, .dot, .png] {
                let a = try Renderer.render(m.0, m.1, format: format, options: RenderOptions())
                let b = try Renderer.render(m.0, m.1, format: format, options: RenderOptions())
                XCTAssertEqual(a, b, "\(name) \(format)")
            }
        }
    }

    func testForwardViewHasNoBackwardEdges() throws {
        var options = RenderOptions()
        options.view = .forward
        let doc = try svg(try reference("fanout_scalar"), options)
        XCTAssertEqual(try ids(doc, class: "backward"), [])
        XCTAssertEqual(try ids(doc, class: "sum"), [])
        XCTAssertFalse(try ids(doc, class: "forward").isEmpty)
        options.view = .backward
        let back = try svg(try reference("fanout_scalar"), options)
        XCTAssertEqual(try ids(back, class: "forward"), [])
        XCTAssertFalse(try ids(back, class: "backward").isEmpty)
    }

    func testFocusLimitsNodes() throws {
        var options = RenderOptions()
        options.focus = "b"
        options.depth = 1
        let doc = try svg(try reference("fanout_scalar"), options)
        let nodes = try ids(doc, class: "node").sorted()
        // x keeps its Σ: its total sums uses that are not drawn.
        XCTAssertEqual(nodes, ["node-b", "node-c", "node-x", "sum-x"])
        options.focus = "nope"
        let m = try reference("fanout_scalar")
        XCTAssertThrowsError(try Renderer.render(m.0, m.1, format: .svg, options: options))
    }

    func testThemesAndRankdir() throws {
        var options = RenderOptions()
        options.theme = .dark
        options.rankdir = "TB"
        let m = try reference("mlp_mse")
        let dot = String(decoding: try Renderer.render(m.0, m.1, format: .dot, options: options), as: UTF8.self)
        XCTAssertTrue(dot.contains("rankdir=TB"))
        XCTAssertTrue(dot.contains("bgcolor=\"#1e1e1e\""))
    }

    // MARK: Debugging marks

    func testNonFiniteOriginIsMarked() throws {
        let m = try load(json: #"{"inputs": {"x": 0}, "nodes": [{"id": "l", "op": "log", "inputs": ["x"]}, {"id": "y", "op": "mul", "inputs": ["l", 2]}]}"#)
        let doc = try svg(m)
        XCTAssertEqual(try ids(doc, class: "nonfinite-origin"), ["node-l"])
        XCTAssertEqual(try ids(doc, class: "nonfinite-cause"), ["f-l-0"])
        XCTAssertTrue(try ids(doc, class: "nonfinite").contains("node-y"))
    }

    func testVanishingAndExplodingGradients() throws {
        let m = try load(json: #"{"inputs": {"x": -1, "w": 1e6, "s": {"value": 1e-9, "grad": false}}, "nodes": [{"id": "r", "op": "relu", "inputs": ["x"]}, {"id": "y", "op": "mul", "inputs": ["r", "w"]}, {"id": "v", "op": "mul", "inputs": ["x", "s"]}, {"id": "z", "op": "add", "inputs": ["y", "v"]}]}"#)
        var options = RenderOptions()
        options.colorBy = .grad
        let doc = try svg(m, options)
        let vanishing = try ids(doc, class: "vanishing")
        XCTAssertTrue(vanishing.contains("b-v-0"), "1e-9 is tiny but not zero: \(vanishing)")
        XCTAssertTrue(try ids(doc, class: "exploding").contains("b-y-0"))
        // Exactly zero is a dead ReLU (r) or a zero input (r into w), not a vanishing gradient.
        XCTAssertFalse(vanishing.contains("b-r-0"), "\(vanishing)")
        XCTAssertFalse(vanishing.contains("b-y-1"), "\(vanishing)")
        XCTAssertTrue(try text(doc, id: "b-r-0")?.contains("∇ 0") == true)
        XCTAssertFalse(try text(doc, id: "b-r-0")?.contains("vanishing") ?? true)
    }

    func testCheckMarks() throws {
        let m = try reference("fanout_scalar")
        let a = try XCTUnwrap(m.0.value(named: "a")).node
        let c = try XCTUnwrap(m.0.value(named: "c")).node
        var options = RenderOptions()
        options.checkMarks = [a: CheckMark(passed: false, kink: false, summary: "max rel err 0.5", slots: [0: "analytic 0.31 vs numeric 0.62"]),
                              c: CheckMark(passed: true, kink: false, summary: "ok", slots: [:])]
        let doc = try svg(m, options)
        XCTAssertEqual(try ids(doc, class: "check-failed").sorted(), ["b-a-0", "node-a"])
        XCTAssertEqual(try ids(doc, class: "check-passed"), ["node-c"])
        XCTAssertTrue(try text(doc, id: "b-a-0")?.contains("analytic 0.31 vs numeric 0.62") == true)
        XCTAssertTrue(try text(doc, id: "node-a")?.contains("max rel err 0.5") == true)
        XCTAssertTrue(try text(doc, id: "node-c")?.contains("✓") == true)
    }

    func testCompositeCallsAreClusters() throws {
        let doc = try svg(try reference("custom_ops"))
        let calls = try doc.nodes(forXPath: "//*[@class='cluster call']")
        XCTAssertEqual(calls.count, 1)
        XCTAssertTrue(calls.first?.stringValue?.contains("swish · s") == true)
        XCTAssertFalse(try ids(doc, class: "port").isEmpty)
    }

    func testLargeGraphsFoldAndSaySo() throws {
        var nodes: [String] = []
        var previous = "x"
        for i in 0..<60 {
            nodes.append("{\"id\": \"v\(i)\", \"op\": \"mul\", \"inputs\": [\"\(previous)\", \"x\"]}")
            previous = "v\(i)"
        }
        let m = try load(json: #"{"inputs": {"x": 1.01}, "nodes": ["# + nodes.joined(separator: ",") + "]}")
        final class Messages: @unchecked Sendable { var text: [String] = [] }
        let messages = Messages()
        var options = RenderOptions()
        options.maxNodes = 40
        options.progress = { messages.text.append($0) }
        let doc = try svg(m, options)
        XCTAssertEqual(try ids(doc, class: "folded"), ["folded"])
        XCTAssertLessThan(try ids(doc, class: "op").count, 40)
        XCTAssertTrue(messages.text.contains { $0.contains("--focus") })
    }
}
