import GradvizCore
import GradvizModel

/// Decides which clusters and runs of repeated structure `StructureFolding` folds (its
/// comment says in which order and why). Works on estimated costs, kept per cluster and
/// updated as folds are made, so each step is cheap.
struct FoldSearch {
    /// Consecutive sibling clusters with the same structure: each reading the one before
    /// (the steps of an unrolled RNN, the blocks of a stack) or side by side (the heads of
    /// a multi-head attention).
    struct Run {
        let instances: [Int]
    }

    enum Step {
        /// A cluster folded: its cost before.
        case cluster(Int, before: Int)
        /// A run's instances after the first folded: the saving.
        case run(Int, saving: Int)
    }

    let tree: ClusterTree
    /// Each cluster's estimated cost as it is drawn now (1 when folded into a summary).
    private(set) var visible: [Int]
    private(set) var total: Int
    private(set) var folded: [Bool]
    private(set) var runs: [Run] = []
    private(set) var runFolded: [Bool] = []
    /// The run a cluster is a later instance of, or the first instance of.
    private(set) var restOf: [Int?]
    private(set) var repOf: [Int?]
    /// Named by --expand, or enclosing what is.
    private let protected: [Bool]
    private var steps: [Step] = []

    init(tree: ClusterTree, cost: [Int], expand: Set<String>, model: Model) {
        self.tree = tree
        visible = tree.clusters.map { $0.members.reduce(0) { $0 + cost[$1] } }
        total = cost.reduce(0, +)
        folded = [Bool](repeating: false, count: tree.clusters.count)
        restOf = [Int?](repeating: nil, count: tree.clusters.count)
        repOf = restOf
        var protected = folded
        // A group by its path or by its own name (every "attn" of a stack), a call by its id,
        // a function: every call of it.
        for c in tree.clusters.indices where expand.contains(tree.clusters[c].name) || tree.clusters[c].function.map(expand.contains) == true
            || (tree.clusters[c].function == nil && expand.contains(tree.clusters[c].label)) {
            var a: Int? = c
            while let x = a { protected[x] = true; a = tree.clusters[x].parent }
        }
        self.protected = protected
        findRuns(model: model)
    }

    // MARK: Repeated structure

    private mutating func findRuns(model: Model) {
        var signatures: [Int: String] = [:]
        func signature(_ c: Int) -> String {
            if let known = signatures[c] { return known }
            let s = FoldSearch.signature(tree.clusters[c], model: model)
            signatures[c] = s
            return s
        }
        for siblings in [tree.topLevel] + tree.children {
            var current: [Int] = []
            for c in siblings {
                if let last = current.last, same(last, c, signature: signature) {
                    current.append(c)
                    continue
                }
                addRun(current)
                current = [c]
            }
            addRun(current)
        }
    }

    private mutating func addRun(_ instances: [Int]) {
        guard instances.count >= 2 else { return }
        let r = runs.count
        runs.append(Run(instances: instances))
        runFolded.append(false)
        repOf[instances[0]] = r
        for c in instances.dropFirst() { restOf[c] = r }
    }

    private func same(_ a: Int, _ b: Int, signature: (Int) -> String) -> Bool {
        let x = tree.clusters[a], y = tree.clusters[b]
        return x.function == y.function && x.ops == y.ops && signature(a) == signature(b)
    }

    /// The structure of a cluster: each node's op, how its inputs are wired (to a node
    /// inside, by position, or the shape of one from outside), its output shapes and the
    /// nested boxes it sits in. Attribute values, constants and numbers are left out: the
    /// steps of an RNN slice a different time step and are still the same step.
    static func signature(_ cluster: ClusterTree.Cluster, model: Model) -> String {
        let nodes = model.graph.nodes
        var local: [Int: Int] = [:]
        // Inputs are left out: the first step's initial state is read only by it.
        let ops = cluster.members.filter { !nodes[$0].isLeaf }
        for (i, m) in ops.enumerated() { local[m] = i }
        var s = ""
        for m in ops {
            let node = nodes[m]
            guard let op = node.op else { continue }
            s += op.name + (model.annotations[m]?.port != nil ? " port(" : "(")
            for v in node.inputs {
                if let j = local[v.node] { s += "@\(j).\(v.output)," }
                else if case .constant = nodes[v.node].kind { s += "#," }
                else { s += "^\(nodes[v.node].values[v.output].shape)," }
            }
            s += ")" + node.values.map { "\($0.shape)" }.joined(separator: ",")
            for part in DrawingPlan.clusterPath(of: m, in: model).dropFirst(cluster.depth + 1) {
                s += "/" + (part.kind == .call ? "f:" + (model.calls[ClusterTree.name(part.path)]?.function ?? "") : part.label)
            }
            s += "\n"
        }
        return s
    }

    // MARK: The search

    /// Folds until the estimate is at most `target`; false when even that is not enough.
    mutating func run(target: Int) -> Bool {
        guard total > target else { return true }
        // Runs as boxes below: the largest saving first, or the smallest that is enough.
        // (Savings change as runs fold: a run inside another's later instances goes with them.)
        // An expanded later instance ends the run (the first one is drawn open anyway).
        var open = runs.indices.filter { !runs[$0].instances.dropFirst().contains(where: { protected[$0] }) }
        while total > target {
            open.removeAll { isHidden(runs[$0].instances[0]) || runSaving($0) <= 0 }
            guard !open.isEmpty else { break }
            let excess = total - target
            let savings = open.map { (run: $0, saving: runSaving($0)) }
            let pick = savings.filter { $0.saving >= excess }.min { ($0.saving, $0.run) < ($1.saving, $1.run) }
                ?? savings.max { ($0.saving, -$0.run) < ($1.saving, -$1.run) }!
            foldRun(pick.run, saving: pick.saving)
            open.removeAll { $0 == pick.run }
        }
        // Bottom-up, one depth at a time. At one depth the boxes are disjoint, so folding
        // one does not change what folding another saves: the largest go first, but when
        // one box alone makes up what is still over, the smallest such one is folded instead.
        let depths = Dictionary(grouping: tree.clusters.indices, by: { tree.clusters[$0].depth })
        for depth in depths.keys.sorted(by: >) where total > target {
            var candidates = depths[depth]!.filter { !folded[$0] && !protected[$0] && !isGone($0) && saving($0) > 0 }
                .map { (cluster: $0, saving: saving($0)) }
                .sorted { ($0.saving, -$0.cluster) < ($1.saving, -$1.cluster) }
            while total > target, let largest = candidates.last {
                let excess = total - target
                var low = 0, high = candidates.count - 1
                while low < high { let mid = (low + high) / 2; if candidates[mid].saving >= excess { high = mid } else { low = mid + 1 } }
                let pick = candidates[low].saving >= excess ? low : candidates.count - 1
                foldCluster(pick == candidates.count - 1 ? largest.cluster : candidates[pick].cluster)
                candidates.remove(at: pick)
            }
        }
        reopen(target: target)
        return total <= target
    }

    /// From the last fold back: undoes each whose cost fits in what is left.
    private mutating func reopen(target: Int) {
        for step in steps.reversed() {
            switch step {
            case .cluster(let c, let before):
                guard folded[c], !isHidden(c), total + before - visible[c] <= target else { continue }
                change(from: tree.clusters[c].parent, by: before - visible[c])
                visible[c] = before
                folded[c] = false
            case .run(let r, let saving):
                let first = runs[r].instances[0]
                guard runFolded[r], !folded[first], !isHidden(first), total + saving <= target else { continue }
                change(from: tree.clusters[first].parent, by: saving)
                runFolded[r] = false
            }
        }
    }

    /// What folding cluster `c` saves: all but its summary (all, for the first instance of
    /// a folded run, which joins that run's summary).
    private func saving(_ c: Int) -> Int { visible[c] - (isFoldedRep(c) ? 0 : 1) }

    private func runSaving(_ r: Int) -> Int {
        runs[r].instances.dropFirst().reduce(0) { $0 + visible[$1] } - 1
    }

    private mutating func foldRun(_ r: Int, saving: Int) {
        runFolded[r] = true
        change(from: tree.clusters[runs[r].instances[0]].parent, by: -saving)
        steps.append(.run(r, saving: saving))
    }

    private mutating func foldCluster(_ c: Int) {
        let before = visible[c]
        // The first instance of a folded run joins the summary of the others.
        visible[c] = isFoldedRep(c) ? 0 : 1
        folded[c] = true
        change(from: tree.clusters[c].parent, by: visible[c] - before)
        steps.append(.cluster(c, before: before))
    }

    private mutating func change(from cluster: Int?, by delta: Int) {
        total += delta
        var a = cluster
        while let x = a { visible[x] += delta; a = tree.clusters[x].parent }
    }

    func isFoldedRep(_ c: Int) -> Bool { repOf[c].map { runFolded[$0] } ?? false }

    /// Inside a folded cluster, or inside a folded instance of a run.
    func isHidden(_ c: Int) -> Bool {
        var a = tree.clusters[c].parent
        while let x = a {
            if folded[x] || restOf[x].map({ runFolded[$0] }) == true { return true }
            a = tree.clusters[x].parent
        }
        return false
    }

    /// Hidden, or itself a folded later instance of a run.
    func isGone(_ c: Int) -> Bool { restOf[c].map { runFolded[$0] } == true || isHidden(c) }
}
