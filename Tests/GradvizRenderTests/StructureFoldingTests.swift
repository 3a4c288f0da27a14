import XCTest
import GradvizCore
import GradvizModel
import GradvizRender

/// Folding by structure (`--max-nodes`, `--expand`): groups and composite calls become
/// summary nodes, chained repeated structure is drawn once with "×N", the edges into a
/// summary carry the value and the sum of the gradients of its uses inside.
final class StructureFoldingTests: XCTestCase {
    func plan(_ json: String, maxNodes: Int, expand: [String] = []) throws -> DrawingPlan {
        let model = try ModelLoader(file: "test.json").load(Array(json.utf8))
        var options = RenderOptions()
        options.maxNodes = maxNodes
        options.expand = expand
        return try DrawingPlan(model: model, gradients: try model.backward(), options: options)
    }

    /// An RNN unrolled over `steps` steps, each a call of the composite `cell`.
    static func rnn(steps: Int) -> String {
        var inputs = [#""h0": {"shape": [3], "init": "zeros", "grad": false}"#,
                      #""W": {"shape": [3, 3], "init": "normal", "std": 0.5, "seed": 1}"#,
                      #""U": {"shape": [3, 2], "init": "normal", "std": 0.5, "seed": 2}"#,
                      #""b": {"shape": [3], "init": "zeros"}"#]
        var nodes: [String] = []
        for t in 1...steps {
            inputs.append("\"x\(t)\": {\"shape\": [2], \"init\": \"normal\", \"seed\": \(10 + t), \"grad\": false}")
            nodes.append("{\"id\": \"h\(t)\", \"op\": \"cell\", \"inputs\": [\"x\(t)\", \"h\(t - 1)\", \"W\", \"U\", \"b\"]}")
        }
        nodes.append("{\"id\": \"L\", \"expr\": \"sum(h\(steps) * h\(steps))\", \"group\": \"loss\"}")
        return "{\"inputs\": {\(inputs.joined(separator: ", "))}, "
            + #""functions": {"cell": {"params": ["x", "h", "W", "U", "b"], "body": "tanh(matmul(W, h) + matmul(U, x) + b)"}}, "#
            + "\"nodes\": [\(nodes.joined(separator: ",\n"))]}"
    }

    /// A stack of residual blocks, each a group with two groups inside.
    static func stack(blocks: Int, width: Int = 4) -> String {
        var inputs = ["\"x\": {\"shape\": [\(width)], \"init\": \"normal\", \"grad\": false}"]
        var nodes: [String] = []
        var previous = "x"
        for k in 1...blocks {
            inputs.append("\"W\(k)\": {\"shape\": [\(width), \(width)], \"init\": \"normal\", \"std\": 0.5, \"seed\": \(k)}")
            inputs.append("\"b\(k)\": {\"shape\": [\(width)], \"init\": \"zeros\"}")
            nodes.append("{\"id\": \"a\(k)\", \"expr\": \"matmul(W\(k), \(previous)) + b\(k)\", \"group\": \"block\(k)/linear\"}")
            nodes.append("{\"id\": \"r\(k)\", \"expr\": \"relu(a\(k))\", \"group\": \"block\(k)/act\"}")
            nodes.append("{\"id\": \"o\(k)\", \"expr\": \"r\(k) + \(previous)\", \"group\": \"block\(k)\"}")
            previous = "o\(k)"
        }
        nodes.append("{\"id\": \"L\", \"expr\": \"sum(\(previous) * \(previous))\", \"group\": \"loss\"}")
        return "{\"inputs\": {\(inputs.joined(separator: ", "))}, \"nodes\": [\(nodes.joined(separator: ",\n"))]}"
    }

    /// Multi-head attention: groups mha/head0 … side by side, each reading X and weights of
    /// its own, none reading another; their outputs concatenated.
    static func multiHead(heads: Int) -> String {
        var inputs = [#""X": {"shape": [3, 4], "init": "normal", "seed": 1, "grad": false}"#]
        var nodes: [String] = []
        for h in 0..<heads {
            for (k, w) in ["q", "k", "v"].enumerated() {
                inputs.append("\"W\(w)\(h)\": {\"shape\": [4, 2], \"init\": \"normal\", \"std\": 0.5, \"seed\": \(10 * h + k + 2)}")
            }
            let group = "\"group\": \"mha/head\(h)\""
            nodes.append("{\"id\": \"Q\(h)\", \"expr\": \"matmul(X, Wq\(h))\", \(group)}")
            nodes.append("{\"id\": \"K\(h)\", \"expr\": \"matmul(X, Wk\(h))\", \(group)}")
            nodes.append("{\"id\": \"V\(h)\", \"expr\": \"matmul(X, Wv\(h))\", \(group)}")
            nodes.append("{\"id\": \"S\(h)\", \"expr\": \"matmul(Q\(h), transpose(K\(h))) / 2\", \(group)}")
            nodes.append("{\"id\": \"A\(h)\", \"op\": \"softmax\", \"inputs\": [\"S\(h)\"], \"attrs\": {\"axis\": -1}, \(group)}")
            nodes.append("{\"id\": \"O\(h)\", \"expr\": \"matmul(A\(h), V\(h))\", \(group)}")
        }
        let outs = (0..<heads).map { "\"O\($0)\"" }.joined(separator: ", ")
        nodes.append("{\"id\": \"O\", \"op\": \"concat\", \"inputs\": [\(outs)], \"attrs\": {\"axis\": 1}, \"group\": \"mha\"}")
        nodes.append(#"{"id": "L", "expr": "mean(square(O))", "group": "loss"}"#)
        return "{\"inputs\": {\(inputs.joined(separator: ", "))}, \"nodes\": [\(nodes.joined(separator: ",\n"))]}"
    }

    func summaryNode(_ p: DrawingPlan, _ s: Int) -> Int { p.nodes.firstIndex { $0.summary == s }! }

    /// A chain from input x through groups of `size` nodes each (`step` of the one before:
    /// "tanh(%@)"), their last values named v0_2 ("group 0, node 2"), then `tail` nodes.
    static func chain(_ groups: [(group: String, size: Int)], step: String = "tanh(%@)", tail: [String] = []) -> String {
        var nodes: [String] = []
        var previous = "x"
        for (k, (group, size)) in groups.enumerated() {
            for i in 0..<size {
                let expr = step.replacingOccurrences(of: "%@", with: previous)
                nodes.append("{\"id\": \"v\(k)_\(i)\", \"expr\": \"\(expr)\", \"group\": \"\(group)\"}")
                previous = "v\(k)_\(i)"
            }
        }
        return #"{"inputs": {"x": 0.5}, "nodes": ["# + (nodes + tail).joined(separator: ",") + "]}"
    }

    func testRNNStepsAreDrawnOnceWithTheirCount() throws {
        let json = StructureFoldingTests.rnn(steps: 12)
        let full = try plan(json, maxNodes: 1_000_000)
        XCTAssertTrue(full.summaries.isEmpty)
        XCTAssertEqual(full.folded, 0)
        let p = try plan(json, maxNodes: 80)
        XCTAssertLessThanOrEqual(p.nodes.count, 80)
        XCTAssertEqual(p.summaries.count, 1)
        let s = p.summaries[0]
        XCTAssertEqual(s.kind, .repeated)
        XCTAssertEqual(s.repeats, 11)
        XCTAssertEqual(s.title, "cell ×11")
        XCTAssertEqual(s.detail, "h2 … h12 · 5 ops each")
        XCTAssertEqual(s.expand, "cell")
        // Steps 2 to 12, with the data only they read; h1's call and the shared weights are drawn.
        let names = Set(s.members.map(p.key))
        for t in 2...12 { XCTAssertTrue(names.contains("h\(t)") && names.contains("x\(t)"), "step \(t)") }
        for drawn in ["h1", "x1", "h0", "W", "U", "b", "L"] {
            XCTAssertNotNil(p.node(named: drawn), drawn)
            XCTAssertFalse(names.contains(drawn), drawn)
        }
        XCTAssertEqual(p.clusters.first { $0.path == "|c:h1" }?.label, "cell · h1  ×12 (11 folded)")
        XCTAssertEqual(p.folded, s.members.count)
        // The message says what was folded and the exact flags that draw more.
        XCTAssertEqual(p.messages.count, 1)
        let message = p.messages[0]
        let drawable = full.model.graph.nodes.filter { if case .constant = $0.kind { return false } else { return true } }.count
        XCTAssertTrue(message.hasPrefix("the graph has \(drawable) nodes "), message)
        XCTAssertTrue(message.contains("(\(full.nodes.count) to lay out), more than --max-nodes 80"), message)
        XCTAssertTrue(message.contains("folded \(p.folded) of them by structure into 1 summary node (\(p.nodes.count) to lay out): cell ×11 (h2 … h12 · 5 ops each)"), message)
        XCTAssertTrue(message.contains("draw more with --expand cell, everything with --max-nodes \(full.nodes.count), or any part with --focus ID --depth K"), message)
    }

    /// The edges into a summary carry the value and the gradient its uses inside send
    /// back: the Σ of a shared weight adds the drawn use and the folded ones.
    func testEdgesIntoASummaryCarryTheSumOfTheirGradients() throws {
        let p = try plan(StructureFoldingTests.rnn(steps: 12), maxNodes: 80)
        let box = summaryNode(p, 0)
        let W = p.model.value(named: "W")!
        let into = p.edges.filter { $0.head == box && $0.value == W }
        XCTAssertEqual(into.map(\.role), [.forward, .backward])
        XCTAssertEqual(into[0].id, "f-W-folded-1")
        XCTAssertEqual(into[0].foldedUses.count, 11)
        XCTAssertEqual(into[0].tensor, p.model.graph.value(W))
        var expected = Tensor.zeros([3, 3])
        for use in into[1].foldedUses { expected += p.gradients.edge(node: use.node, slot: use.slot)! }
        XCTAssertEqual(into[1].tensor, expected)
        XCTAssertEqual(p.nodes[into[1].tail].name, "sum:W")
        let terms = p.sumTerms(W)
        XCTAssertEqual(terms.map(\.label), ["h1.W", "cell ×11 (11 uses)"])
        let total = terms.map(\.gradient).reduce(Tensor.zeros([3, 3]), +)
        for (a, b) in zip(total.data, p.gradients[W]!.data) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        // What leaves the summary: h12 into the loss, one edge per use, as drawn edges are.
        let out = p.edges.filter { $0.tail == box && $0.role == .forward }
        XCTAssertEqual(out.map { p.valueName($0.value) }, ["h12", "h12"])
        XCTAssertTrue(out.allSatisfy { $0.use != nil && $0.foldedUses.isEmpty })
        // The label names what crosses the boundary and the flag.
        guard case .html(let html) = DrawingLabels(p).label(box) else { return XCTFail("a summary has an HTML label") }
        XCTAssertTrue(html.contains("⊞ cell ×11"), html)
        XCTAssertTrue(html.contains("in: h1, W, U, b · out: h12"), html)
        XCTAssertTrue(html.contains("--expand cell"), html)
    }

    /// Identical sibling groups side by side (attention heads, none reading another) are
    /// repeated structure too: drawn once, the others one box, as the steps of an RNN are.
    func testIdenticalHeadsSideBySideFoldAsRepeats() throws {
        let json = StructureFoldingTests.multiHead(heads: 4)
        let full = try plan(json, maxNodes: 100_000)
        XCTAssertTrue(full.summaries.isEmpty)
        let p = try plan(json, maxNodes: full.nodes.count - 10)
        XCTAssertEqual(p.summaries.map(\.title), ["mha/head1 … mha/head3 ×3"])
        XCTAssertEqual(p.summaries[0].kind, .repeated)
        XCTAssertEqual(p.summaries[0].repeats, 3)
        XCTAssertEqual(p.summaries[0].detail, "like mha/head0, 8 ops each")
        XCTAssertTrue(p.clusters.contains { $0.label == "head0  ×4 (3 folded)" }, "\(p.clusters.map(\.label))")
        XCTAssertNotNil(p.node(named: "O0"))
        XCTAssertNil(p.node(named: "O2"))
        XCTAssertTrue(Set(p.summaries[0].members.map(p.key)).isSuperset(of: ["Wq1", "Wv3", "O1", "O3"]))
        XCTAssertTrue(p.messages[0].contains("mha/head1 … mha/head3 ×3 (like mha/head0, 8 ops each)"), p.messages[0])
        XCTAssertTrue(p.messages[0].contains("--expand mha/head1"), p.messages[0])
        // --expand opens a head: the run ends there, and what folds is not a repeat of it.
        let open = try plan(json, maxNodes: full.nodes.count - 10, expand: ["head2"])
        XCTAssertNotNil(open.node(named: "O2"))
        XCTAssertFalse(open.summaries.contains { $0.members.contains(open.node(named: "O2") ?? -1) })
        // A head that differs (another op) is not one of them.
        let different = json.replacingOccurrences(of: "matmul(A2, V2)", with: "matmul(A2, V2) * 2")
        XCTAssertNotEqual(different, json)
        XCTAssertFalse(try plan(different, maxNodes: full.nodes.count - 10).summaries.contains { $0.kind == .repeated && $0.repeats == 3 })
    }

    func testStackOfIdenticalBlocks() throws {
        let json = StructureFoldingTests.stack(blocks: 8)
        let p = try plan(json, maxNodes: 40)
        XCTAssertEqual(p.summaries.map(\.title), ["block2 … block8 ×7"])
        XCTAssertEqual(p.summaries[0].repeats, 7)
        XCTAssertEqual(p.summaries[0].detail, "like block1, 4 ops each")
        // Each block's own weights are read only inside it: they fold with it.
        let names = Set(p.summaries[0].members.map(p.key))
        XCTAssertTrue(names.isSuperset(of: ["W2", "b2", "W8", "b8", "o8"]))
        XCTAssertNotNil(p.node(named: "W1"))
        XCTAssertTrue(p.clusters.contains { $0.label == "block1  ×8 (7 folded)" })
        XCTAssertTrue(p.messages[0].contains("draw more with --expand block2,"), p.messages[0])
        // A block that differs (another op) ends a run and starts the next after it.
        let different = json.replacingOccurrences(of: "relu(a5)", with: "tanh(a5)")
        XCTAssertNotEqual(different, json)
        let broken = try plan(different, maxNodes: 30)
        XCTAssertEqual(broken.summaries.map(\.title), ["block2 … block4 ×3", "block7 … block8 ×2"])
        XCTAssertNotNil(broken.node(named: "o5"))
        // 60 to lay out; blocks 7-8 save less than blocks 2-4 and are enough for 10 over.
        XCTAssertEqual(try plan(different, maxNodes: 50).summaries.map(\.title), ["block7 … block8 ×2"])
    }

    /// Groups that are not alike fold bottom-up: the boxes inside go first, largest first,
    /// and every top-level group still shows.
    func testNestedGroupsFoldInnermostFirst() throws {
        let json = StructureFoldingTests.chain([("enc/embed", 6), ("enc/mix", 9), ("enc", 2), ("dec/mix", 12), ("dec/out", 3)], step: "tanh(%@) * 2")
        let full = try plan(json, maxNodes: 1_000)
        XCTAssertTrue(full.summaries.isEmpty)
        let p = try plan(json, maxNodes: full.nodes.count - 20)
        XCTAssertEqual(p.summaries.map(\.title), ["mix"], "the largest box inside, and only it")
        XCTAssertEqual(p.summaries[0].detail, "group dec/mix · 24 ops")
        XCTAssertEqual(p.summaries[0].expand, "dec/mix")
        XCTAssertEqual(p.clusters.map(\.label), ["enc", "embed", "mix", "dec", "out"])
        let box = p.nodes[summaryNode(p, 0)]
        XCTAssertEqual(p.clusters[box.cluster!].label, "dec", "drawn inside the group that holds it")
        let tighter = try plan(json, maxNodes: 20)
        XCTAssertLessThanOrEqual(tighter.nodes.count, 20)
        XCTAssertTrue(tighter.summaries.allSatisfy { $0.kind == .group })
        XCTAssertFalse(tighter.summaries.isEmpty)
    }

    func testExpandKeepsAGroupOpenAndNamesAreChecked() throws {
        let json = StructureFoldingTests.stack(blocks: 8)
        let p = try plan(json, maxNodes: 40, expand: ["block2"])
        XCTAssertTrue(p.summaries.allSatisfy { $0.kind != .repeated }, "an expanded instance ends the run")
        XCTAssertFalse(p.summaries.contains { $0.expand == "block2" })
        XCTAssertNotNil(p.node(named: "o2"))
        XCTAssertLessThanOrEqual(p.nodes.count, 40)
        let rnn = try plan(StructureFoldingTests.rnn(steps: 12), maxNodes: 150, expand: ["h5"])
        XCTAssertNotNil(rnn.node(named: "h5"))
        XCTAssertFalse(rnn.summaries.contains { $0.members.contains(rnn.model.value(named: "h5")!.node) })
        // A group by its own name: every block's "act" stays open, and so every block; only
        // the boxes beside them fold.
        let acts = try plan(json, maxNodes: 56, expand: ["act"])
        XCTAssertFalse(acts.summaries.isEmpty)
        XCTAssertTrue(acts.summaries.allSatisfy { $0.title == "linear" || $0.title == "loss" }, "\(acts.summaries.map(\.title))")
        XCTAssertTrue(DrawingLabels(acts).title().contains("⊞ folded: a group, a call or repeated structure in one box"))
        XCTAssertFalse(DrawingLabels(try plan(json, maxNodes: 1_000)).title().contains("⊞ folded"))
        // The first instance of a run is drawn open anyway: expanding it keeps the run folded.
        XCTAssertEqual(try plan(StructureFoldingTests.rnn(steps: 12), maxNodes: 30, expand: ["h1"]).summaries.map(\.title), ["cell ×11"])
        XCTAssertThrowsError(try plan(json, maxNodes: 40, expand: ["blok3"])) { error in
            XCTAssertEqual("\(error)", "--expand: no group, call or function named 'blok3' (did you mean 'block3'?)")
        }
        XCTAssertThrowsError(try plan(json, maxNodes: 10_000, expand: ["nothing_like_it"])) { error in
            XCTAssertTrue("\(error)".hasPrefix("--expand: no group, call or function named 'nothing_like_it' (the groups and calls are 'block1', "), "\(error)")
        }
        // Open as asked, or refused: never a drawing past the limit.
        XCTAssertThrowsError(try plan(json, maxNodes: 12, expand: ["block1", "block2", "block3"])) { error in
            XCTAssertTrue("\(error)".contains("more than --max-nodes 12: expand less, or raise --max-nodes (everything is 60)"), "\(error)")
        }
    }

    func testFoldedDrawingsAreDeterministic() throws {
        let json = StructureFoldingTests.rnn(steps: 12)
        let model = try ModelLoader(file: "test.json").load(Array(json.utf8))
        var options = RenderOptions()
        options.maxNodes = 80
        let a = try Renderer.render(model, try model.backward(), format: .dot, options: options)
        let b = try Renderer.render(model, try model.backward(), format: .dot, options: options)
        XCTAssertEqual(a, b)
        let dot = String(decoding: a, as: UTF8.self)
        XCTAssertTrue(dot.contains("folded-1"), String(dot.prefix(500)))
        let page = String(decoding: try Explorer.page(model, try model.backward(), options: options), as: UTF8.self)
        XCTAssertEqual(page, String(decoding: try Explorer.page(model, try model.backward(), options: options), as: UTF8.self))
        XCTAssertTrue(page.contains(#""summaries":[{"title":"cell ×11","detail":"h2 … h12 · 5 ops each","kind":"repeated","expand":"cell","repeats":11"#))
        XCTAssertTrue(page.contains(#""folded":0"#))
        XCTAssertTrue(page.contains(#"["f-W-folded-1","folded-forward","#))
    }

    /// `gradviz check -o report.svg` draws the same folded plan: a box that holds a failed
    /// op says so, since that op is not in sight.
    func testABoxHoldingAFailedCheckSaysSo() throws {
        let model = try ModelLoader(file: "test.json").load(Array(StructureFoldingTests.rnn(steps: 12).utf8))
        var options = RenderOptions()
        options.maxNodes = 80
        let tanh7 = model.value(named: "h7")!.node
        options.checkMarks[tanh7] = CheckMark(passed: false, kink: false, summary: "op check FAILED", slots: [0: "wrong"])
        let p = try DrawingPlan(model: model, gradients: try model.backward(), options: options)
        let box = summaryNode(p, 0)
        XCTAssertTrue(p.summaries[0].members.contains(tanh7))
        XCTAssertEqual(p.nodes[box].classes, ["folded", "folded-repeated", "check-failed"])
        guard case .html(let html) = DrawingLabels(p).label(box) else { return XCTFail() }
        XCTAssertTrue(html.contains("✗ holds a failed op: h7"), html)
    }

    /// At one depth the largest box folds first, unless one box alone is enough: then the
    /// smallest such box, so more stays in sight.
    func testTheSmallestBoxThatIsEnoughFolds() throws {
        let json = StructureFoldingTests.chain([("g0", 8), ("g1", 3), ("g2", 5)])
        // 18 to lay out: x, 16 ops, the output. Folding g0 (with x, read only there) saves
        // 8, g2 4, g1 2.
        XCTAssertEqual(try plan(json, maxNodes: 17).summaries.map(\.title), ["g1"])
        XCTAssertEqual(try plan(json, maxNodes: 15).summaries.map(\.title), ["g2"])
        XCTAssertEqual(try plan(json, maxNodes: 8).summaries.map(\.title), ["g0", "g1"], "g0 first, then 2 over: g1")
    }

    /// Group names are user text: the message shows them visibly and quotes a flag that
    /// is not one shell word.
    func testGroupNamesInTheMessageAreVisibleAndQuotedAsShellWords() throws {
        let p = try plan(StructureFoldingTests.chain([(#"it's \u001b[31mred"#, 8), ("small", 3)]), maxNodes: 6)
        XCTAssertEqual(p.summaries.map(\.expand), ["it's \u{1b}[31mred"])
        XCTAssertTrue(p.messages[0].contains("group it's U+001B[31mred (9 nodes); draw more with --expand 'it'\\''s U+001B[31mred',"), p.messages[0])
        XCTAssertFalse(p.messages[0].contains("\u{1b}"))
    }

    /// A box holding where NaN/Inf start is marked as that node would be.
    func testABoxHoldingTheFirstNonFiniteValueIsMarked() throws {
        let json = StructureFoldingTests.chain([("big", 8)], tail: [#"{"id": "z", "expr": "log(v0_7 - v0_7)", "group": "big"}"#, #"{"id": "L", "expr": "z + 1"}"#])
        let p = try plan(json, maxNodes: 8)
        XCTAssertEqual(p.summaries.map(\.title), ["big"])
        let box = p.nodes[summaryNode(p, 0)]
        XCTAssertEqual(box.nonFinite, .origin)
        XCTAssertTrue(box.classes.contains("nonfinite-origin"))
        XCTAssertEqual(DrawingLabels(p).xlabel(summaryNode(p, 0)), "⚠ first NaN/Inf")
    }

    /// A graph without groups or calls folds by distance, as before, and says why.
    func testWithoutGroupsFoldingIsByDistance() throws {
        var nodes = [#"{"id": "v0", "expr": "x * 2"}"#]
        for i in 1..<40 { nodes.append("{\"id\": \"v\(i)\", \"expr\": \"v\(i - 1) * 2\"}") }
        let p = try plan(#"{"inputs": {"x": 1}, "nodes": ["# + nodes.joined(separator: ",") + "]}", maxNodes: 20)
        XCTAssertTrue(p.summaries.isEmpty)
        XCTAssertEqual(p.nodes.filter { $0.role == .summary }.map(\.name), ["folded"])
        XCTAssertTrue(p.messages[0].contains("into one summary node (the model has no groups or composite calls to fold by); draw any part with --focus ID --depth K, or everything with --max-nodes 42"), p.messages[0])
    }
}
