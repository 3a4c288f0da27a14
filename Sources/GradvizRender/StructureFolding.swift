import Foundation
import GradvizCore
import GradvizModel

/// Folding by structure, for a drawing over `--max-nodes`: the model's own groups and
/// composite calls collapse into summary nodes named after them, and repeated structure
/// (consecutive sibling calls of one function, or sibling groups of identical ops and
/// shapes, chained or side by side: the steps of an unrolled RNN, the blocks of a stack,
/// the heads of an attention) is drawn once, the other instances folded into one summary
/// marked "×N".
///
/// The order, chosen so that a reader loses as little as possible:
/// 1. repeated structure first (the largest saving first, or the smallest that is enough):
///    the folded instances compute the same ops on the same shapes as the one drawn, so
///    only numbers go out of sight (and the explorer still has every one);
/// 2. then groups and calls bottom-up, innermost first: the outline of the whole model
///    stays visible, every top-level group still a box of its own, and only detail inside
///    goes; folding the outermost first would leave whole blocks as single boxes beside
///    others drawn in full. At one depth the largest first (the fewest boxes), except that
///    when one box alone is enough the smallest such box is folded (the most stays drawn);
/// 3. then, from the last folded back, whatever fits again is reopened, so a small deep
///    group folded early is drawn when a large one folded later made room.
/// Nothing named by `--expand` (a group path or a group's own name, a call id, a function
/// name) is folded, nor what encloses it. Costs are estimated (a node, its Σ nodes, its
/// output); the planner plans the result and asks again with a lower target while the real
/// count is over.
struct StructureFolding {
    typealias Kind = DrawingPlan.Summary.Kind

    struct Summary {
        let kind: Kind
        /// Drawn inside the first `levels` clusters of its anchor's cluster path.
        let levels: Int
        /// Bold first line: "encoder", "cell · c3", "cell ×11", "t2 … t12 ×11".
        let title: String
        /// Second line: what it holds.
        let detail: String
        /// The graph nodes it holds, in graph order (ops, ports, and inputs read only by it).
        var members: [Int]
        /// Its first op: the summary is created where that op would be.
        let anchor: Int
        /// What `--expand` takes to draw its inside.
        let expand: String
        /// Repeated structure: how many instances it folds.
        let repeats: Int?
    }

    private(set) var summaries: [Summary] = []
    /// The summary holding each graph node (-1: not folded).
    private(set) var foldedInto: [Int]
    /// Extra text for a cluster's label, by cluster path: the drawn instance of repeated
    /// structure ("  ×12 (11 folded)").
    private(set) var labelSuffix: [String: String] = [:]
    /// The estimated count of nodes to lay out after folding, and whether it met the target.
    private(set) var estimate = 0
    private(set) var fits = false

    /// What folding starts from whatever the target: the graph's clusters and the search
    /// over them before it has folded anything (every run of repeated structure found).
    /// `fitted` tries several targets from one start.
    struct Start {
        let tree: ClusterTree
        let search: FoldSearch

        /// nil when the graph has no groups or calls to fold by. `cost`: `nodeCosts`.
        init?(model: Model, drawn: [Bool], cost: [Int], expand: [String]) {
            tree = ClusterTree(model: model, drawn: drawn)
            guard !tree.clusters.isEmpty else { return nil }
            search = FoldSearch(tree: tree, cost: cost, expand: Set(expand), model: model)
        }
    }

    /// Folds the graph nodes marked `drawn`, from `start`, until the estimate is at most
    /// `target`.
    init(_ start: Start, target: Int, model: Model, drawn: [Bool]) {
        foldedInto = [Int](repeating: -1, count: drawn.count)
        var search = start.search
        fits = search.run(target: target)
        estimate = search.total
        build(search, tree: start.tree, model: model, drawn: drawn)
    }

    /// What one graph node costs in the layout: itself, a Σ node per value whose gradient
    /// has several terms, an output node per model output.
    static func nodeCosts(model: Model, grads: Gradients, drawn: [Bool], showsBackward: Bool) -> [Int] {
        let nodes = model.graph.nodes
        var terms = [Int](repeating: 0, count: nodes.count)
        for n in nodes.indices where !nodes[n].isLeaf {
            for (slot, v) in nodes[n].inputs.enumerated() where nodes[v.node].values.count == 1 && grads.hasEdge(node: n, slot: slot) {
                terms[v.node] += 1
            }
        }
        var cost = drawn.map { $0 ? 1 : 0 }
        for v in model.outputs where drawn[v.node] {
            cost[v.node] += 1
            terms[v.node] += 1
        }
        if showsBackward { for n in nodes.indices where drawn[n] && terms[n] >= 2 { cost[n] += 1 } }
        return cost
    }

    private mutating func build(_ search: FoldSearch, tree: ClusterTree, model: Model, drawn: [Bool]) {
        func ops(_ members: [Int]) -> Int {
            members.filter { model.graph.nodes[$0].op != nil && model.annotations[$0]?.port == nil }.count
        }
        var found: [Summary] = []
        for (r, run) in search.runs.enumerated() where search.runFolded[r] && !search.isHidden(run.instances[0]) {
            let first = tree.clusters[run.instances[0]]
            let whole = search.folded[run.instances[0]]
            let folded = whole ? run.instances : Array(run.instances.dropFirst())
            let members = folded.flatMap { tree.clusters[$0].members }
            let names = "\(tree.clusters[folded[0]].name) … \(tree.clusters[folded.last!].name)"
            let each = ops(first.members)
            let title: String, detail: String, expand: String
            if let function = first.function {
                title = "\(function) ×\(folded.count)"
                detail = "\(names) · \(each) ops each"
                expand = function
            } else {
                title = "\(names) ×\(folded.count)"
                detail = (whole ? "" : "like \(first.name), ") + "\(each) ops each"
                expand = tree.clusters[folded[0]].name
            }
            if !whole { labelSuffix[first.path] = "  ×\(run.instances.count) (\(folded.count) folded)" }
            found.append(Summary(kind: .repeated, levels: first.depth, title: title, detail: detail, members: members,
                                 anchor: members.first { model.graph.nodes[$0].op != nil } ?? members[0], expand: expand,
                                 repeats: folded.count))
        }
        for c in tree.clusters.indices where search.folded[c] && !search.isGone(c) && !search.isFoldedRep(c) {
            let cluster = tree.clusters[c]
            let inner = tree.children[c].count
            let kind: Kind = cluster.function == nil ? .group : .call
            let detail = (kind == .group ? "group \(cluster.name) · " : "") + "\(ops(cluster.members)) ops"
                + (inner > 0 ? ", \(inner) \(inner == 1 ? "box" : "boxes") inside" : "")
            found.append(Summary(kind: kind, levels: cluster.depth, title: cluster.label, detail: detail, members: cluster.members,
                                 anchor: cluster.members.first { model.graph.nodes[$0].op != nil } ?? cluster.members[0],
                                 expand: cluster.name, repeats: nil))
        }
        summaries = found.sorted { $0.anchor < $1.anchor }
        for (s, summary) in summaries.enumerated() { for n in summary.members { foldedInto[n] = s } }
        absorbInputs(model: model, drawn: drawn)
    }

    /// An input read only inside one summary is folded into it (the steps' data `x2 … x12`
    /// of an unrolled RNN), so the summary is not ringed by nodes that say nothing new.
    private mutating func absorbInputs(model: Model, drawn: [Bool]) {
        let nodes = model.graph.nodes
        var reader = [Int](repeating: -2, count: nodes.count)  // -2 unread, -1 read outside, s: only by s
        for n in nodes.indices where !nodes[n].isLeaf {
            for v in nodes[n].inputs where nodes[v.node].isLeaf {
                let s = foldedInto[n]
                reader[v.node] = reader[v.node] == -2 || reader[v.node] == s ? s : -1
            }
        }
        let outputs = Set(model.outputs.map(\.node))
        for n in nodes.indices where drawn[n] && nodes[n].isLeaf && reader[n] >= 0 && foldedInto[n] < 0 && !outputs.contains(n) {
            foldedInto[n] = reader[n]
            summaries[reader[n]].members.append(n)
        }
        for s in summaries.indices { summaries[s].members.sort() }
    }

    // MARK: --expand

    /// What `--expand` accepts: group paths and the groups' own names (the last component),
    /// call ids and the functions called.
    static func expandableNames(_ model: Model) -> [String] {
        var names: [String] = []
        var seen = Set<String>()
        for n in model.graph.nodes.indices {
            for part in DrawingPlan.clusterPath(of: n, in: model) {
                let name = ClusterTree.name(part.path)
                if seen.insert(name).inserted { names.append(name) }
                if part.kind == .group, seen.insert(part.label).inserted { names.append(part.label) }
                if let call = model.calls[name], part.kind == .call, seen.insert(call.function).inserted { names.append(call.function) }
            }
        }
        return names
    }

    /// Throws for an `--expand` that names no group, call or function, with the nearest name.
    static func checkExpand(_ expand: [String], model: Model) throws {
        guard !expand.isEmpty else { return }
        let names = expandableNames(model)
        let known = Set(names)
        for name in expand where !known.contains(name) {
            var message = "--expand: no group, call or function named \(quoted(name))"
            if let near = nearestName(to: name, in: names) { message += " (did you mean \(quoted(near))?)" }
            else if names.isEmpty { message += " (the model has no groups or composite function calls)" }
            else { message += " (the groups and calls are \(names.prefix(8).map(quoted).joined(separator: ", "))\(names.count > 8 ? ", ... \(names.count) in all" : ""))" }
            throw RenderError(message)
        }
    }

    /// A group name as a shell word: as it is when it is one, else in single quotes (a group
    /// path may hold spaces or quotes), every character that could split the line shown as
    /// U+XXXX.
    static func shellWord(_ name: String) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_./:+-@".unicodeScalars.contains($0)) }
        return plain ? name : "'" + visibleText(name.replacingOccurrences(of: "'", with: "'\\''")) + "'"
    }

    /// The stderr line: what was folded and the flags that draw more.
    func message(drawable: Int, full: Int?, laidOut: Int, maxNodes: Int) -> String {
        let folded = foldedInto.filter { $0 >= 0 }.count
        let largest = summaries.indices.sorted { summaries[$0].members.count > summaries[$1].members.count || (summaries[$0].members.count == summaries[$1].members.count && $0 < $1) }
        let shown = largest.prefix(3).map { summaries[$0] }
        func describe(_ s: Summary) -> String {
            switch s.kind {
            case .repeated: return visibleText("\(s.title) (\(s.detail))")
            case .group: return "group \(visibleText(s.expand)) (\(s.members.count) nodes)"
            case .call: return "call \(visibleText(s.title)) (\(s.members.count) nodes)"
            }
        }
        var flags: [String] = []
        for s in shown where !flags.contains("--expand \(StructureFolding.shellWord(s.expand))") { flags.append("--expand \(StructureFolding.shellWord(s.expand))") }
        let more = summaries.count > shown.count ? " and \(summaries.count - shown.count) more" : ""
        return "the graph has \(drawable) nodes (\(full.map { "\($0)" } ?? "more than \(maxNodes)") to lay out), more than --max-nodes \(maxNodes): folded \(folded) of them by structure "
            + "into \(summaries.count) summary \(summaries.count == 1 ? "node" : "nodes") (\(laidOut) to lay out): "
            + shown.map(describe).joined(separator: ", ") + more
            + "; draw more with \(flags.joined(separator: " ")), everything with \(full.map { "--max-nodes \($0)" } ?? "a larger --max-nodes"), or any part with --focus ID --depth K"
    }
}

/// The model's groups and composite calls as a tree of clusters over the drawn graph nodes.
struct ClusterTree {
    struct Cluster {
        let path: String
        /// The cluster's label in the drawing ("encoder", "cell · c3").
        let label: String
        /// What `--expand` calls it: the group path as written, or the call id.
        let name: String
        /// A call's function; nil for a group.
        let function: String?
        let parent: Int?
        /// 0 at top level.
        let depth: Int
        /// The drawn graph nodes inside it, nested clusters included, in graph order, and the
        /// inputs read only inside it (folding it folds them too).
        var members: [Int] = []
        /// How many of them are not inputs.
        var ops = 0
    }

    private(set) var clusters: [Cluster] = []
    /// The child clusters of each cluster, and of the top level (`topLevel`), in order of creation.
    private(set) var children: [[Int]] = []
    private(set) var topLevel: [Int] = []

    /// The name `--expand` uses for a cluster path: "g:enc/attn" is "enc/attn", "...|c:s1" is "s1".
    static func name(_ path: String) -> String {
        if let bar = path.range(of: "|c:", options: .backwards) { return String(path[bar.upperBound...]) }
        return String(path.dropFirst(2))
    }

    init(model: Model, drawn: [Bool]) {
        var index: [String: Int] = [:]
        innermost = [Int](repeating: -1, count: drawn.count)
        for n in drawn.indices where drawn[n] {
            var parent: Int?
            for (depth, part) in DrawingPlan.clusterPath(of: n, in: model).enumerated() {
                let c: Int
                if let known = index[part.path] {
                    c = known
                } else {
                    c = clusters.count
                    let name = ClusterTree.name(part.path)
                    clusters.append(Cluster(path: part.path, label: part.label, name: name,
                                            function: part.kind == .call ? model.calls[name]?.function ?? "call" : nil,
                                            parent: parent, depth: depth))
                    children.append([])
                    if let parent { children[parent].append(c) } else { topLevel.append(c) }
                    index[part.path] = c
                }
                clusters[c].members.append(n)
                if !model.graph.nodes[n].isLeaf { clusters[c].ops += 1 }
                parent = c
            }
            innermost[n] = parent ?? -1
        }
        addInputs(model: model, drawn: drawn)
    }

    /// The innermost cluster of each drawn graph node, -1 for none.
    private var innermost: [Int] = []

    /// Each input belongs to the innermost cluster holding every node that reads it.
    private mutating func addInputs(model: Model, drawn: [Bool]) {
        let nodes = model.graph.nodes
        let outputs = Set(model.outputs.map(\.node))
        var owner = [Int](repeating: -2, count: nodes.count)  // -2: unread
        func common(_ a: Int, _ b: Int) -> Int {
            var a = a, b = b
            func depth(_ c: Int) -> Int { c < 0 ? -1 : clusters[c].depth }
            while a != b {
                if depth(a) >= depth(b) { a = a < 0 ? -1 : clusters[a].parent ?? -1 } else { b = clusters[b].parent ?? -1 }
            }
            return a
        }
        for n in nodes.indices where drawn[n] && !nodes[n].isLeaf {
            for v in nodes[n].inputs where nodes[v.node].isLeaf && drawn[v.node] {
                owner[v.node] = owner[v.node] == -2 ? innermost[n] : common(owner[v.node], innermost[n])
            }
        }
        var inputs = [[Int]](repeating: [], count: clusters.count)
        for n in nodes.indices where owner[n] >= 0 && !outputs.contains(n) {
            var c: Int? = owner[n]
            while let x = c { inputs[x].append(n); c = clusters[x].parent }
        }
        for c in clusters.indices where !inputs[c].isEmpty { clusters[c].members = inputs[c] + clusters[c].members }
    }
}

// MARK: Planning a folded drawing

extension DrawingPlanner {
    /// Plans the drawing within `--max-nodes`: unfolded when it fits; otherwise folded by
    /// structure, asking again with a lower target while the real count is over (the
    /// estimate leaves out references); for a graph whose groups and calls cannot bring it
    /// under, folded by distance from the outputs, keeping fewer until it fits. Counts what
    /// is laid out (Σ nodes, references, ports, outputs, summaries), not only the graph's
    /// nodes: a graph of 241 nodes whose every step reads every earlier value has 7,367 of
    /// them, and dot never finishes. Never starts a layout past `maxNodes`.
    static func fitted(model: Model, grads: Gradients, options: RenderOptions) throws -> DrawingPlanner {
        let drawable = model.graph.nodes.map { if case .constant = $0.kind { return false } else { return true } }
        let count = drawable.filter { $0 }.count
        var full: Int?
        // A graph with more nodes than the limit is over it for sure: no plan of all of it.
        if options.focus != nil || count <= max(options.maxNodes, DrawingLimits.unfoldedPlanCheckedUpTo) {
            let p = DrawingPlanner(model: model, grads: grads, options: options)
            try p.plan()
            if p.planNodes.count <= options.maxNodes { return p }
            if let focus = options.focus {
                throw RenderError("--focus \(quoted(focus)) --depth \(options.depth) would lay out \(p.planNodes.count) nodes (with Σ nodes and references), "
                    + "more than --max-nodes \(options.maxNodes): use a smaller --depth, or raise --max-nodes")
            }
            full = p.planNodes.count
        }
        let cost = StructureFolding.nodeCosts(model: model, grads: grads, drawn: drawable, showsBackward: options.view != .forward)
        // The estimate leaves out references: aim lower by the share it misses.
        var target = options.maxNodes
        if let full {
            let estimate = cost.reduce(0, +)
            if estimate < full { target = max(1, options.maxNodes * estimate / full) }
        }
        var reason = " (the model has no groups or composite calls to fold by)"
        let start = StructureFolding.Start(model: model, drawn: drawable, cost: cost, expand: options.expand)
        for _ in 0..<8 {
            guard let start else { break }
            let folding = StructureFolding(start, target: target, model: model, drawn: drawable)
            guard !folding.summaries.isEmpty else { break }
            reason = " (folding its groups and calls was not enough)"
            let p = DrawingPlanner(model: model, grads: grads, options: options, folding: folding)
            p.fullCount = full
            try p.plan()
            if p.planNodes.count <= options.maxNodes { return p }
            guard folding.fits, target > 1 else { break }
            target = min(target - 1, target * options.maxNodes / p.planNodes.count)
        }
        if !options.expand.isEmpty {
            throw RenderError("with \(options.expand.map { "--expand \($0)" }.joined(separator: " ")) open the drawing would lay out more than --max-nodes \(options.maxNodes): "
                + "expand less, or raise --max-nodes" + (full.map { " (everything is \($0))" } ?? ""))
        }
        var budget = DrawingPlanner.defaultFoldBudget(options)
        var p: DrawingPlanner
        repeat {
            p = DrawingPlanner(model: model, grads: grads, options: options, foldBudget: budget)
            p.fullCount = full
            p.fallbackReason = reason
            try p.plan()
            budget /= 2
        } while p.planNodes.count > options.maxNodes && budget >= 1
        if p.planNodes.count > options.maxNodes {
            throw RenderError("the drawing would lay out \(p.planNodes.count) nodes even with all but the outputs folded, more than --max-nodes \(options.maxNodes): "
                + "draw a part with --focus ID --depth K, or raise --max-nodes")
        }
        return p
    }

    func applyStructureFolding(_ folding: StructureFolding) {
        let drawable = drawn.filter { $0 }.count
        for n in nodes.indices where folding.foldedInto[n] >= 0 && drawn[n] {
            drawn[n] = false
            folded += 1
        }
        summaryNodes = [Int](repeating: -1, count: folding.summaries.count)
        message = { laidOut in
            folding.message(drawable: drawable, full: self.fullCount, laidOut: laidOut, maxNodes: self.options.maxNodes)
        }
    }

    /// The summary holding graph node `n`, if folding by structure folded it.
    func summary(of n: Int) -> Int? {
        guard let folding, folding.foldedInto[n] >= 0 else { return nil }
        return folding.foldedInto[n]
    }

    /// The summary whose node is created where graph node `n` would be drawn.
    func summary(anchoredAt n: Int) -> Int? {
        guard let s = summary(of: n), folding!.summaries[s].anchor == n else { return nil }
        return s
    }

    func addSummary(_ s: Int) {
        let summary = folding!.summaries[s]
        var classes = ["folded", "folded-\(summary.kind.rawValue)"]
        // What it hides that a reader looks for: where NaN/Inf start, an op whose check failed.
        let origin = nonFinite.map { summary.members.contains($0.node) } == true
        if origin { classes.append("nonfinite-origin") }
        let failed = summary.members.lazy.compactMap { self.options.checkMarks[$0] }.first { $0.failed }
        if failed != nil { classes.append("check-failed") }
        let i = addNode("fold:\(s)", id: "folded-\(s + 1)", role: .summary, classes: classes,
                        cluster: cluster(for: summary.anchor, levels: summary.levels), graphNode: nil,
                        nonFinite: origin ? .origin : nil, check: failed)
        planNodes[i].summary = s
        summaryNodes[s] = i
    }

    /// The edges into summary `s`: one per value read inside it from outside, carrying the
    /// value forward and, backward, the sum of the gradient contributions of its uses inside.
    func addSummaryInputEdges(_ s: Int) {
        var order: [ValueID] = []
        var inside: [ValueID: [Use]] = [:]
        for m in folding!.summaries[s].members where !nodes[m].isLeaf {
            for (slot, v) in nodes[m].inputs.enumerated() where !isConstant(v.node) && summary(of: v.node) != s {
                if inside[v] == nil { order.append(v) }
                inside[v, default: []].append(Use(node: m, slot: slot))
            }
        }
        let head = summaryNodes[s]
        for v in order {
            guard let producer = drawnNode(of: v.node) else { continue }
            let name = valueName(v), uses = inside[v]!
            if showForward {
                addEdge(key: "fs\(s):\(v.node).\(v.output)", id: "f-\(name)-folded-\(s + 1)", role: .forward, tail: producer, head: head,
                        value: v, use: nil, tensor: model.graph.value(v), classes: ["forward", "into-folded"])
                planEdges[planEdges.count - 1].foldedUses = uses
            }
            if showBackward, let g = grads.sum(along: uses) {
                let tail = needsSum(v) ? sumNode(v) : producer
                addBackward(key: "bs\(s):\(v.node).\(v.output)", id: "b-\(name)-folded-\(s + 1)", role: .backward, tail: tail, head: head,
                            value: v, use: nil, gradient: g, note: nil)
                planEdges[planEdges.count - 1].foldedUses = uses
            }
        }
    }
}
