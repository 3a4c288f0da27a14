import GradvizCore
import GradvizModel

/// What a drawing of a computed model shows, decided once, before any Graphviz call: the
/// one plan that the SVG (through `GraphvizEmitter`), the HTML explorer and the check
/// report all draw from. A pure value: built from the model, its gradients and the
/// options, testable without Graphviz.
///
/// What is drawn:
/// - one node per input (parameter or data) and per op; constants are folded into the
///   label of the op that reads them ("÷ 2"); one node per model output;
/// - a forward edge per use of a value (consumer, slot), carrying the value;
/// - a backward edge per use that carried a gradient, carrying the contribution;
/// - a Σ node where the backward edges of a value used several times meet (the sum
///   `g1 + g2 + … = total`), and one backward edge from Σ to the value;
/// - a reference (a small copy of a widely shared value beside a far consumer) for each
///   use drawn from one; a summary node for each group, call or run of repeated structure
///   folded by structure (`StructureFolding`), or one for what folding by distance left out.
///
/// Nodes, edges and clusters are listed in the order the drawing creates them (graph order,
/// a topological order), so the same model always gives the same drawing.
public struct DrawingPlan {
    public enum Role: Equatable, Sendable {
        /// A model input: a parameter, or data (no gradient).
        case input(requiresGradient: Bool)
        case op
        /// The identity node that receives an argument of a composite call.
        case port
        case output
        /// The Σ of the gradients of a value used more than once.
        case sum
        /// A copy of a widely shared value, drawn beside one far use of it.
        case reference
        /// Stands for everything folding left out.
        case summary
    }

    public enum NonFiniteMark: Equatable, Sendable {
        /// The first value, in topological order, that holds NaN or Inf.
        case origin
        /// A later value that inherits them.
        case inherited
    }

    public struct Node {
        /// The node's name in the Graphviz graph (unique): its value ids, "sum:ID",
        /// "out:ID", "ref:ID@CONSUMER.SLOT" or "folded".
        public let name: String
        /// Its SVG id: "node-ID", "sum-ID", "output-ID", "ref-ID-CONSUMER-SLOT", "folded".
        public let id: String
        public let role: Role
        /// The SVG classes, marks included ("op op-mul check-failed").
        public let classes: [String]
        /// The innermost cluster it is drawn in (an index into `clusters`).
        public let cluster: Int?
        /// The graph node it draws (input, op, port), or whose value it draws (output, Σ,
        /// reference). Nil for the summary.
        public let graphNode: Int?
        /// The value an output, Σ or reference stands for.
        public let value: ValueID?
        /// A reference: the use it is drawn beside.
        public let use: Use?
        public let nonFinite: NonFiniteMark?
        /// The gradient check's result at this op (`gradviz check -o report.svg`).
        public let check: CheckMark?
        /// A summary of folded structure: an index into `summaries` (nil for the summary of
        /// folding by distance).
        public var summary: Int? = nil
    }

    /// A group, a composite call or repeated structure folded into one node (`StructureFolding`).
    public struct Summary {
        public enum Kind: String, Sendable { case group, call, repeated }
        public let kind: Kind
        /// "encoder", "cell · c3", "cell ×11" (calls c2 … c12), "t2 … t12 ×11" (groups).
        public let title: String
        /// What it holds: "c2 … c12 · 6 ops each", "group enc/layer1 · 40 ops, 2 boxes inside".
        public let detail: String
        /// The graph nodes it holds, in graph order: ops, ports and inputs read only inside it.
        public let members: [Int]
        /// `--expand` this to draw its inside.
        public let expand: String
        /// Repeated structure: how many instances it folds.
        public let repeats: Int?
    }

    /// A use of a value: input slot `slot` of graph node `node`.
    public struct Use: Hashable, Sendable {
        public let node: Int
        public let slot: Int
    }

    public enum EdgeRole: Equatable, Sendable {
        /// A value along one use.
        case forward
        /// The gradient contribution along one use.
        case backward
        /// A value into its output node.
        case output
        /// The seed flowing back from an output node.
        case seed
        /// From a Σ back into its value: the total gradient.
        case sumTotal
    }

    public enum GradientMark: Equatable, Sendable {
        case nonFinite
        /// Norm above `RenderOptions.explode`.
        case exploding
        /// Norm below `RenderOptions.vanish`, but not exactly zero.
        case vanishing
    }

    public struct Edge {
        /// Tells the edge apart from others between the same nodes (Graphviz key).
        public let key: String
        /// Its SVG id: "f-CONSUMER-SLOT", "b-CONSUMER-SLOT", "f-out-ID", "b-out-ID", "b-sum-ID".
        public let id: String
        public let role: EdgeRole
        /// Indices into `nodes`. A gradient edge is listed in the forward direction (tail
        /// upstream) and drawn with its arrow at the tail.
        public let tail: Int
        public let head: Int
        /// The value it carries, or whose gradient it carries.
        public let value: ValueID
        /// Forward and backward edges: the use.
        public let use: Use?
        /// The value (forward, output), the gradient contribution (backward), the seed or
        /// the total gradient (sum total).
        public let tensor: Tensor
        public let classes: [String]
        /// A forward edge: the name of the input slot it enters, when the label shows it
        /// (an op with several drawn inputs whose order matters).
        public let slotName: String?
        /// A forward edge drawn from a reference instead of from its value.
        public let fromReference: Bool
        /// A forward edge between consecutive nodes of a longest path (in drawings with
        /// references it outweighs the others, so the chain runs straight).
        public let onLongestPath: Bool
        /// Forward edges: the input that made the first NaN/Inf (`.origin`), or a value
        /// that inherits them (`.inherited`).
        public let nonFinite: NonFiniteMark?
        public let gradientMark: GradientMark?
        /// A failed gradient check of this use: which test and what it found.
        public let checkNote: String?
        /// A failed gradient check of this use: the finite-difference gradient for the
        /// model's own upstream gradient, what the ∇ on this edge should be.
        public let checkExpected: Tensor?
        /// An edge into a summary: the uses inside it that it stands for. It carries the
        /// value and, backward, the sum of the gradient contributions of those uses (what
        /// flows out of the folded part into the value). Empty for every other edge.
        public var foldedUses: [Use] = []
    }

    /// A box around the nodes of a `group` path component or of a composite call.
    public struct Cluster {
        public enum Kind: String, Sendable { case group, call }
        /// Numbered from 1 in the order they are created ("cluster3" in the SVG).
        public let number: Int
        public let kind: Kind
        /// The enclosing cluster (an index into `clusters`).
        public let parent: Int?
        /// "encoder" for a group, "swish · s1" (function · call id) for a call.
        public let label: String
        /// Names the cluster uniquely: "g:encoder/attention|c:s1" (see `clusterPath`).
        public let path: String
        /// Its SVG id.
        public var id: String { "cluster\(number)" }
    }

    public let model: Model
    public let gradients: Gradients
    public let options: RenderOptions
    public let nodes: [Node]
    public let edges: [Edge]
    public let clusters: [Cluster]
    /// The uses of every value (input slots that read it), in graph order.
    public let uses: [ValueID: [Use]]
    /// The graph's name: the model's, or "gradviz".
    public let name: String
    /// Graph nodes left out by folding (drawn as summary nodes).
    public let folded: Int
    /// What folding by structure folded, in drawing order (empty when nothing was).
    public let summaries: [Summary]
    /// The summary holding each graph node, -1 for none (empty when nothing was folded by structure).
    public let foldedInto: [Int]
    /// What the drawing left out, for the user: the folding or focus message.
    public let messages: [String]
    /// Some uses are drawn from references.
    public let hasReferences: Bool
    /// log10 of the smallest and largest gradient norm (`--color-by grad`).
    public let gradientRange: (Double, Double)?

    public var showsForward: Bool { options.view != .backward }
    public var showsBackward: Bool { options.view != .forward }
    /// The graph is large enough for the fast layout attributes (`DrawingLimits.fastLayoutAbove`).
    public var isFastLayout: Bool { model.graph.nodes.count > DrawingLimits.fastLayoutAbove }
    /// The graph is a map, not a page (`DrawingLimits.largeLayoutAbove`).
    public var isLargeLayout: Bool { model.graph.nodes.count > DrawingLimits.largeLayoutAbove }

    /// Plans the drawing of `model`. Throws `RenderError` for a `--focus` that names no value.
    public init(model: Model, gradients: Gradients, options: RenderOptions) throws {
        try StructureFolding.checkExpand(options.expand, model: model)
        let p = try DrawingPlanner.fitted(model: model, grads: gradients, options: options)
        self.model = model
        self.gradients = gradients
        self.options = options
        nodes = p.planNodes
        nodeIndex = p.index
        edges = p.planEdges
        clusters = p.clusters
        uses = p.uses
        name = (model.name?.isEmpty == false) ? model.name! : "gradviz"
        folded = p.folded
        summaries = p.folding?.summaries.map { Summary(kind: $0.kind, title: $0.title, detail: $0.detail,
                                                       members: $0.members, expand: $0.expand, repeats: $0.repeats) } ?? []
        foldedInto = p.folding?.foldedInto ?? []
        messages = p.messages
        hasReferences = !p.references.isEmpty
        gradientRange = p.gradientRange
    }

    let nodeIndex: [String: Int]

    /// The index of the node named `name` (see `Node.name`).
    public func node(named name: String) -> Int? { nodeIndex[name] }

    // MARK: Names shared with the labels

    /// The name of a graph node: its value ids (model ids, which match
    /// `[A-Za-z_][A-Za-z0-9_.]*`) joined by ",", or "nINDEX" for an anonymous node.
    public func key(_ n: Int) -> String { DrawingPlan.key(model.graph.nodes[n]) ?? "n\(n)" }

    static func key(_ node: GradvizCore.Graph.Node) -> String? {
        let named = node.names.filter { !$0.isEmpty }
        return named.isEmpty ? nil : named.joined(separator: ",")
    }

    /// The name of a value: its id, or "KEY.OUTPUT" for an anonymous output.
    public func valueName(_ v: ValueID) -> String {
        let name = model.graph.nodes[v.node].names[v.output]
        return name.isEmpty ? "\(key(v.node)).\(v.output)" : name
    }

    /// What a graph node is called in the drawing: its label, or its key.
    public func title(_ n: Int) -> String { model.annotations[n]?.label ?? key(n) }

    /// The seed of an output value (ones when the model gives none).
    public func seed(_ v: ValueID) -> Tensor { model.seeds[v] ?? Tensor.ones(model.graph.value(v).shape) }
}

extension Gradients {
    /// The gradient contributions along `uses` added up in their order (what a folded box's
    /// input edge carries back); nil when none carried one.
    func sum(along uses: [DrawingPlan.Use]) -> Tensor? {
        let contributions = uses.compactMap { edge(node: $0.node, slot: $0.slot) }
        guard var total = contributions.first else { return nil }
        for t in contributions.dropFirst() { total += t }
        return total
    }
}
