import Foundation
import GradvizCore
import GradvizModel

/// Builds a `DrawingPlan`: decides what is drawn (focus, folding), which far uses are
/// drawn from references, where Σ nodes go, and lists nodes, edges and clusters in the
/// order the drawing creates them. Σ nodes, references and the summary are created on
/// first use, as the edges that need them are listed.
final class DrawingPlanner {
    typealias Use = DrawingPlan.Use
    let model: Model
    let grads: Gradients
    let options: RenderOptions
    let nodes: [GradvizCore.Graph.Node]

    var planNodes: [DrawingPlan.Node] = []
    var planEdges: [DrawingPlan.Edge] = []
    var clusters: [DrawingPlan.Cluster] = []
    var messages: [String] = []
    /// Plan node index by name.
    var index: [String: Int] = [:]
    /// The plan node of each drawn graph node.
    var graphNodeIndex: [Int?]
    var drawn: [Bool]
    var clusterIndex: [String: Int] = [:]
    /// Uses of every value, in graph order.
    var uses: [ValueID: [Use]] = [:]
    var nonFinite: NonFiniteOrigin?
    var inherited: Set<Int> = []
    var gradientRange: (Double, Double)?

    var showForward: Bool { options.view != .backward }
    var showBackward: Bool { options.view != .forward }

    /// Fold to this many kept graph nodes whatever the graph's size (a plan that laid out
    /// too many nodes is planned again with less kept; see `DrawingPlan.init`).
    let foldBudget: Int?
    /// What folding by structure folded (`StructureFolding`), and the summary node of each.
    let folding: StructureFolding?
    var summaryNodes: [Int] = []
    /// How many nodes the drawing lays out unfolded, when it was planned unfolded first.
    var fullCount: Int?
    /// Why folding by distance is used, when it is (for the message).
    var fallbackReason = ""

    init(model: Model, grads: Gradients, options: RenderOptions, foldBudget: Int? = nil, folding: StructureFolding? = nil) {
        self.model = model
        self.foldBudget = foldBudget
        self.folding = folding
        self.grads = grads
        self.options = options
        nodes = model.graph.nodes
        graphNodeIndex = Array(repeating: nil, count: nodes.count)
        drawn = nodes.map { if case .constant = $0.kind { return false } else { return true } }
    }

    func isConstant(_ n: Int) -> Bool { if case .constant = nodes[n].kind { return true } else { return false } }
    func key(_ n: Int) -> String { DrawingPlan.key(nodes[n]) ?? "n\(n)" }
    func valueName(_ v: ValueID) -> String {
        let name = nodes[v.node].names[v.output]
        return name.isEmpty ? "\(key(v.node)).\(v.output)" : name
    }

    func plan() throws {
        for n in nodes.indices where !nodes[n].isLeaf {
            for (slot, v) in nodes[n].inputs.enumerated() { uses[v, default: []].append(Use(node: n, slot: slot)) }
        }
        try applyFocus()
        if let folding { applyStructureFolding(folding) }
        nonFinite = model.graph.nonFiniteOrigin()
        if let o = nonFinite { inherited = Set(o.inherited) }
        if options.colorBy == .grad { gradientRange = gradientMagnitudeRange() }
        planReferences()
        for n in nodes.indices {
            if drawn[n] { addGraphNode(n) } else if let s = summary(anchoredAt: n) { addSummary(s) }
        }
        for v in model.outputs where drawn[v.node] || summary(of: v.node) != nil { addOutput(v) }
        for n in nodes.indices where !nodes[n].isLeaf {
            if drawn[n] { addInputEdges(n) } else if let s = summary(anchoredAt: n) { addSummaryInputEdges(s) }
        }
        for n in nodes.indices where drawn[n] {
            for k in nodes[n].values.indices { addSumTotal(ValueID(node: n, output: k)) }
        }
        if let message { messages.append(message(planNodes.count)) }
    }

    // MARK: Nodes

    @discardableResult
    func addNode(_ name: String, id: String, role: DrawingPlan.Role, classes: [String], cluster: Int?, graphNode: Int?,
                 value: ValueID? = nil, use: Use? = nil, nonFinite: DrawingPlan.NonFiniteMark? = nil,
                 check: CheckMark? = nil) -> Int {
        if let existing = index[name] { return existing }
        planNodes.append(DrawingPlan.Node(name: name, id: id, role: role, classes: classes, cluster: cluster, graphNode: graphNode,
                                          value: value, use: use, nonFinite: nonFinite, check: check))
        index[name] = planNodes.count - 1
        return planNodes.count - 1
    }

    /// The cluster a graph node is drawn in: nested clusters for its group path, then for
    /// the composite calls enclosing it (the first `levels` of them, for a summary drawn in
    /// the cluster that encloses what it folds); created on first use.
    func cluster(for n: Int, levels: Int? = nil) -> Int? {
        let parts = DrawingPlan.clusterPath(of: n, in: model).prefix(levels ?? Int.max)
        var current: Int?
        for part in parts {
            if let existing = clusterIndex[part.path] { current = existing; continue }
            let label = part.label + (folding?.labelSuffix[part.path] ?? "")
            clusters.append(DrawingPlan.Cluster(number: clusters.count + 1, kind: part.kind, parent: current, label: label,
                                                path: part.path))
            current = clusters.count - 1
            clusterIndex[part.path] = current
        }
        return current
    }

    func addGraphNode(_ n: Int) {
        let node = nodes[n]
        let cluster = cluster(for: n)
        var classes: [String]
        let role: DrawingPlan.Role
        switch node.kind {
        case .input(let requiresGradient):
            role = .input(requiresGradient: requiresGradient)
            classes = ["input", Palette.inputKind(requiresGradient: requiresGradient)]
        case .constant:
            return
        case .op(let op):
            if model.annotations[n]?.port != nil {
                role = .port
                classes = ["port"]
            } else {
                role = .op
                classes = ["op", "op-\(op.name)"]
                if model.annotations[n]?.custom != nil { classes.append("custom") }
            }
        }
        var mark: DrawingPlan.NonFiniteMark?
        if let origin = nonFinite, origin.node == n {
            classes.append("nonfinite-origin")
            mark = .origin
        } else if inherited.contains(n) {
            classes.append("nonfinite")
            mark = .inherited
        }
        let check = options.checkMarks[n]
        if let check { classes.append(check.verdict == .passed ? "check-passed" : check.failed ? "check-failed" : "check-unchecked") }
        graphNodeIndex[n] = addNode(key(n), id: "node-\(key(n))", role: role, classes: classes, cluster: cluster, graphNode: n,
                                    nonFinite: mark, check: check)
    }

    /// The drawn node that stands for graph node `n`: its own, or its summary's.
    func drawnNode(of n: Int) -> Int? {
        graphNodeIndex[n] ?? summary(of: n).map { summaryNodes[$0] }
    }

    func addOutput(_ v: ValueID) {
        guard let producer = drawnNode(of: v.node) else { return }
        let name = valueName(v)
        let out = addNode("out:" + name, id: "output-\(name)", role: .output, classes: ["output"], cluster: nil,
                          graphNode: v.node, value: v)
        let edgeKey = "out\(v.node).\(v.output)"
        if showForward {
            addEdge(key: "f" + edgeKey, id: "f-out-\(name)", role: .output, tail: producer, head: out, value: v, use: nil,
                    tensor: model.graph.value(v), classes: ["forward"])
        }
        if showBackward, grads[v] != nil {
            // The seed flows back from the output into the value (or into its Σ).
            let target = needsSum(v) ? sumNode(v) : producer
            addBackward(key: "b" + edgeKey, id: "b-out-\(name)", role: .seed, tail: target, head: out, value: v, use: nil,
                        gradient: model.seeds[v] ?? Tensor.ones(model.graph.value(v).shape), note: nil)
        }
    }

    /// The Σ node of a value, created in the value's cluster on first use.
    func sumNode(_ v: ValueID) -> Int {
        let name = valueName(v)
        return addNode("sum:" + name, id: "sum-\(name)", role: .sum, classes: ["sum"], cluster: cluster(for: v.node),
                       graphNode: v.node, value: v)
    }

    /// The gradient contributions that sum into a value: one per use that carried a
    /// gradient, plus the seed when the value is an output.
    var sumCache: [ValueID: Bool] = [:]

    func needsSum(_ v: ValueID) -> Bool {
        if let known = sumCache[v] { return known }
        let result = showBackward && grads[v] != nil && graphNodeIndex[v.node] != nil
            && DrawingPlan.sumTerms(v, model: model, grads: grads, uses: uses, foldedInto: folding?.foldedInto ?? [],
                                    titles: folding?.summaries.map(\.title) ?? []).count >= 2
        sumCache[v] = result
        return result
    }

    /// Ops folded into the summary node (automatic folding of large graphs).
    var folded = 0

    func summaryNode() -> Int {
        addNode("folded", id: "folded", role: .summary, classes: ["folded"], cluster: nil, graphNode: nil)
    }

    // MARK: Edges

    func addEdge(key: String, id: String, role: DrawingPlan.EdgeRole, tail: Int, head: Int, value: ValueID, use: Use?,
                 tensor: Tensor, classes: [String], slotName: String? = nil, fromReference: Bool = false, onLongestPath: Bool = false,
                 nonFinite: DrawingPlan.NonFiniteMark? = nil, gradientMark: DrawingPlan.GradientMark? = nil,
                 checkNote: String? = nil, checkExpected: Tensor? = nil) {
        planEdges.append(DrawingPlan.Edge(key: key, id: id, role: role, tail: tail, head: head, value: value, use: use,
                                          tensor: tensor, classes: classes, slotName: slotName, fromReference: fromReference,
                                          onLongestPath: onLongestPath, nonFinite: nonFinite, gradientMark: gradientMark,
                                          checkNote: checkNote, checkExpected: checkExpected))
    }

    func addBackward(key: String, id: String, role: DrawingPlan.EdgeRole, tail: Int, head: Int, value: ValueID, use: Use?,
                     gradient g: Tensor, note: String?, expected: Tensor? = nil) {
        var classes = ["backward"]
        var mark: DrawingPlan.GradientMark?
        let norm = NumberFormat.norm(g)
        if !g.isFinite {
            mark = .nonFinite
            classes.append("nonfinite")
        } else if norm > options.explode {
            mark = .exploding
            classes.append("exploding")
        } else if norm < options.vanish, g.data.contains(where: { $0 != 0 }) {
            // Tiny but not zero: an exactly-zero gradient comes from a zero input or a
            // dead ReLU, not from vanishing, and is drawn plainly.
            mark = .vanishing
            classes.append("vanishing")
        }
        if note != nil || expected != nil { classes.append("check-failed") }
        if role == .sumTotal { classes.append("sum-total") }
        addEdge(key: key, id: id, role: role, tail: tail, head: head, value: value, use: use, tensor: g, classes: classes,
                gradientMark: mark, checkNote: note, checkExpected: expected)
    }

    static let commutative: Set<String> = ["add", "mul", "maximum", "minimum"]

    func addInputEdges(_ n: Int) {
        let node = nodes[n]
        guard let consumer = graphNodeIndex[n], let op = node.op else { return }
        let drawnInputs = node.inputs.filter { drawn[$0.node] }.count
        let nameSlots = drawnInputs >= 2 && !DrawingPlanner.commutative.contains(op.name)
        for (slot, v) in node.inputs.enumerated() {
            let producer: Int
            if let p = drawnNode(of: v.node) {
                producer = p
            } else if folded > 0, folding == nil, !isConstant(v.node) {
                producer = summaryNode()
            } else {
                continue
            }
            let use = Use(node: n, slot: slot)
            let edgeID = "\(key(n))-\(slot)"
            if showForward {
                let ref = referenceNode(v, use: use)
                var mark: DrawingPlan.NonFiniteMark?
                var classes = ["forward"]
                if let o = nonFinite, o.node == n, o.slots.contains(slot) {
                    mark = .origin
                    classes.append("nonfinite-cause")
                } else if inherited.contains(v.node) || nonFinite?.node == v.node {
                    mark = .inherited
                    classes.append("nonfinite")
                }
                addEdge(key: "f\(n).\(slot)", id: "f-\(edgeID)", role: .forward, tail: ref ?? producer, head: consumer,
                        value: v, use: use, tensor: model.graph.value(v), classes: classes,
                        slotName: nameSlots ? op.info.inputName(slot) : nil, fromReference: ref != nil,
                        onLongestPath: spine.contains(v.node) && spine.contains(n) && spineRank[n] == spineRank[v.node] + 1,
                        nonFinite: mark)
            }
            if showBackward, let g = grads.edge(node: n, slot: slot) {
                let tail = referenceNode(v, use: use)
                    ?? (needsSum(v) ? sumNode(v) : producer)
                let failed = options.checkMarks[n].flatMap { $0.failed ? $0 : nil }
                addBackward(key: "b\(n).\(slot)", id: "b-\(edgeID)", role: .backward, tail: tail, head: consumer, value: v,
                            use: use, gradient: g, note: failed?.slots[slot], expected: failed?.expected[slot])
            }
        }
    }

    /// After every edge: the edge from each Σ back into its value, with the total.
    func addSumTotal(_ v: ValueID) {
        guard let producer = graphNodeIndex[v.node] else { return }
        let name = valueName(v)
        // A value whose every use is drawn by reference still gets its Σ beside it.
        if index["sum:" + name] == nil, referenced.contains(v), needsSum(v) { _ = sumNode(v) }
        guard let s = index["sum:" + name], let total = grads[v] else { return }
        addBackward(key: "bsum\(v.node).\(v.output)", id: "b-sum-\(name)", role: .sumTotal, tail: producer, head: s, value: v,
                    use: nil, gradient: total, note: nil)
    }

    // MARK: References to widely shared values

    /// Uses drawn from a small copy of their value next to the consumer instead of from
    /// the value itself, and the values they refer to.
    var references: Set<Use> = []
    var referenced: Set<ValueID> = []
    /// The nodes on a longest path (no slack between the earliest and the latest rank),
    /// and the earliest ranks.
    var spine: Set<Int> = []
    var spineRank: [Int] = []

    /// Picks the uses to draw by reference: for each drawn value, its uses more than
    /// `DrawingLimits.referenceSpan` ranks away, if together they span at least
    /// `DrawingLimits.referenceBudget` ranks. Ranks are estimated as dot's ranking tends
    /// to put them: a node with no drawn consumer right after its last input (the longest
    /// path from the inputs), any other node one before its earliest consumer, which is
    /// where a value read by one op goes. So only values read far apart have long uses: a
    /// shared input, or `u` in `u * x_t` at every step of an unrolled RNN, not a value read
    /// by ops a few ranks apart in a random DAG. Small and local drawings have none.
    func planReferences() {
        var early = [Int](repeating: 0, count: nodes.count)
        for n in nodes.indices where drawn[n] && !nodes[n].isLeaf {
            early[n] = 1 + (nodes[n].inputs.filter { drawn[$0.node] }.map { early[$0.node] }.max() ?? -1)
        }
        var rank = early
        var late = [Int](repeating: 0, count: nodes.count)
        let length = nodes.indices.filter { drawn[$0] }.map { early[$0] }.max() ?? 0
        for n in nodes.indices.reversed() where drawn[n] {
            var earliest: Int?, latest: Int?
            for k in nodes[n].values.indices {
                for use in uses[ValueID(node: n, output: k)] ?? [] where drawn[use.node] {
                    earliest = min(earliest ?? rank[use.node], rank[use.node])
                    latest = min(latest ?? late[use.node], late[use.node])
                }
            }
            if let earliest { rank[n] = earliest - 1 }
            late[n] = (latest ?? length + 1) - 1
        }
        for n in nodes.indices where drawn[n] && early[n] == late[n] { spine.insert(n) }
        spineRank = early
        for (v, list) in uses.sorted(by: { $0.key < $1.key }) where drawn[v.node] {
            let long = list.filter { drawn[$0.node] && rank[$0.node] - rank[v.node] > DrawingLimits.referenceSpan }
            guard long.reduce(0, { $0 + rank[$1.node] - rank[v.node] }) >= DrawingLimits.referenceBudget else { continue }
            referenced.insert(v)
            for use in long { references.insert(use) }
        }
        // In a large drawing, a parameter read by many ops (the weights of a network run
        // on several examples, all at the same ranks) is drawn with its first use and read
        // by the others from copies beside them, so no bundle of its edges crosses the
        // drawing (DrawingLimits.sharedUses).
        guard drawn.filter({ $0 }).count > DrawingLimits.fastLayoutAbove else { return }
        for (v, list) in uses.sorted(by: { $0.key < $1.key }) where drawn[v.node] {
            guard case .input(requiresGradient: true) = nodes[v.node].kind else { continue }
            let live = list.filter { drawn[$0.node] }
            guard live.count >= DrawingLimits.sharedUses else { continue }
            referenced.insert(v)
            for use in live.dropFirst() { references.insert(use) }
        }
    }

    /// The reference node a use is drawn from, created on first use; nil for a use drawn
    /// from its value.
    func referenceNode(_ v: ValueID, use: Use) -> Int? {
        guard references.contains(use) else { return nil }
        let name = valueName(v)
        var classes = ["ref"]
        if case .input(let requiresGradient) = nodes[v.node].kind { classes.append(Palette.inputKind(requiresGradient: requiresGradient)) }
        // A copy read by a call's input port stands just outside the call's box: inside, it
        // would share a rank with the step before, and the boxes of an unrolled RNN's
        // calls would overlap along the ranks (a staircase that cannot wrap into rows).
        let depth = DrawingPlan.clusterPath(of: use.node, in: model).count
        let home = model.annotations[use.node]?.port != nil ? cluster(for: use.node, levels: depth - 1) : cluster(for: use.node)
        return addNode("ref:\(name)@\(key(use.node)).\(use.slot)", id: "ref-\(name)-\(key(use.node))-\(use.slot)", role: .reference,
                       classes: classes, cluster: home, graphNode: v.node, value: v, use: use)
    }

    // MARK: Focus and folding

    /// Keeps the values nearest the outputs (whole levels of ancestors, breadth first)
    /// while the drawing stays under `maxNodes`.
    func applyFolding() {
        guard let budget = foldBudget else { return }
        let drawable = drawn.filter { $0 }.count
        var keep = [Bool](repeating: false, count: nodes.count)
        var frontier = Array(Set(model.outputs.map(\.node))).sorted()
        var kept = 0
        while !frontier.isEmpty {
            let level = frontier.filter { !keep[$0] && drawn[$0] }
            if kept > 0 && kept + level.count > budget { break }
            for n in level { keep[n] = true }
            kept += level.count
            var next = Set<Int>()
            for n in level { for v in nodes[n].inputs where !keep[v.node] && drawn[v.node] { next.insert(v.node) } }
            frontier = next.sorted()
        }
        for n in nodes.indices where drawn[n] && !keep[n] { drawn[n] = false; folded += 1 }
        message = { laidOut in
            "the graph has \(drawable) nodes: drawing the \(kept) nearest the outputs (\(laidOut) to lay out with Σ nodes, references and outputs) "
                + "and folding \(self.folded) into one summary node\(self.fallbackReason); draw any part with --focus ID --depth K"
                + (self.fullCount.map { ", or everything with --max-nodes \($0)" } ?? " (or raise --max-nodes)")
        }
    }

    static func defaultFoldBudget(_ options: RenderOptions) -> Int {
        options.maxNodes * DrawingLimits.foldedShare.numerator / DrawingLimits.foldedShare.denominator
    }

    /// The folding or focus message, given the number of nodes the plan lays out.
    var message: ((Int) -> String)?

    func applyFocus() throws {
        guard let focus = options.focus else { applyFolding(); return }
        guard let center = model.value(named: focus) else {
            var message = "--focus: no value named \(quoted(focus))"
            let names = model.namedValues.map(\.name)
            if let near = nearestName(to: focus, in: names) { message += " (did you mean \(quoted(near))?)" }
            else if !names.isEmpty {
                message += " (the values are \(names.prefix(8).map(quoted).joined(separator: ", "))\(names.count > 8 ? ", ... \(names.count) in all" : ""))"
            }
            throw RenderError(message)
        }
        var distance = [Int](repeating: -1, count: nodes.count)
        distance[center.node] = 0
        var frontier = [center.node]
        var consumers = [[Int]](repeating: [], count: nodes.count)
        for n in nodes.indices { for v in nodes[n].inputs { consumers[v.node].append(n) } }
        var depth = 0
        while !frontier.isEmpty && depth < options.depth {
            depth += 1
            var next: [Int] = []
            for n in frontier {
                for m in nodes[n].inputs.map(\.node) + consumers[n] where distance[m] < 0 {
                    distance[m] = depth
                    next.append(m)
                }
            }
            frontier = next.sorted()
        }
        // Counted as folding counts them: the graph's nodes but its constants (drawn in
        // the label of the op that reads them).
        let drawable = drawn.filter { $0 }.count
        for n in nodes.indices where distance[n] < 0 { drawn[n] = false }
        let kept = drawn.filter { $0 }.count
        message = { laidOut in
            "--focus \(focus) --depth \(self.options.depth): drawing \(kept) of the graph's \(drawable) nodes (\(laidOut) to lay out with Σ nodes, references and outputs)"
        }
    }

    // MARK: Colour by gradient magnitude

    func gradientMagnitudeRange() -> (Double, Double)? {
        var lo = Double.infinity, hi = -Double.infinity
        for n in nodes.indices where !nodes[n].isLeaf {
            for slot in nodes[n].inputs.indices {
                guard let g = grads.edge(node: n, slot: slot) else { continue }
                let m = NumberFormat.norm(g)
                guard m > 0, m.isFinite else { continue }
                lo = min(lo, log10(m)); hi = max(hi, log10(m))
            }
        }
        return lo <= hi ? (lo, hi) : nil
    }
}

extension DrawingPlan {
    /// The clusters enclosing graph node `n`, outermost first: its group path components,
    /// then the composite calls enclosing it. `path` names a cluster uniquely.
    public static func clusterPath(of n: Int, in model: Model) -> [(kind: Cluster.Kind, path: String, label: String)] {
        guard let a = model.annotations[n] else { return [] }
        var parts: [(kind: Cluster.Kind, path: String, label: String)] = []
        if let group = a.group, !group.isEmpty {
            var path = ""
            for component in group.split(separator: "/", omittingEmptySubsequences: true) {
                path += (path.isEmpty ? "" : "/") + component
                parts.append((.group, "g:" + path, String(component)))
            }
        }
        var path = parts.last?.path ?? ""
        for call in a.calls {
            path += "|c:" + call
            parts.append((.call, path, "\(model.calls[call]?.function ?? "call") · \(call)"))
        }
        return parts
    }

    /// The gradient contributions that sum into a value: one per use that carried a
    /// gradient (named by the consumer's title), plus the seed when the value is an output.
    /// Uses inside one summary (`foldedInto`, `titles`) are one term, as they are one edge.
    static func sumTerms(_ v: ValueID, model: Model, grads: Gradients, uses: [ValueID: [Use]],
                         foldedInto: [Int], titles: [String]) -> [(label: String, gradient: Tensor)] {
        var terms: [(String, Tensor)] = []
        var summaryTerm: [Int: (term: Int, uses: Int)] = [:]
        for use in uses[v] ?? [] {
            if let g = grads.edge(node: use.node, slot: use.slot) {
                if !foldedInto.isEmpty, case let s = foldedInto[use.node], s >= 0 {
                    if let (t, count) = summaryTerm[s] {
                        terms[t] = ("\(titles[s]) (\(count + 1) uses)", terms[t].1 + g)
                        summaryTerm[s] = (t, count + 1)
                    } else {
                        summaryTerm[s] = (terms.count, 1)
                        terms.append((titles[s], g))
                    }
                    continue
                }
                terms.append((model.annotations[use.node]?.label ?? (DrawingPlan.key(model.graph.nodes[use.node]) ?? "n\(use.node)"), g))
            }
        }
        if model.outputs.contains(v), grads[v] != nil {
            terms.append(("seed", model.seeds[v] ?? Tensor.ones(model.graph.value(v).shape)))
        }
        return terms
    }

    /// The terms of the Σ of value `v`, in the order of its uses, the seed last.
    public func sumTerms(_ v: ValueID) -> [(label: String, gradient: Tensor)] {
        DrawingPlan.sumTerms(v, model: model, grads: gradients, uses: uses, foldedInto: foldedInto, titles: summaries.map(\.title))
    }
}
