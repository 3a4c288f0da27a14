import GradvizCore

/// A loaded model: its graph, computed forward, with everything a drawing or a result file
/// needs to name what it shows.
public struct Model {
    public let file: String
    public let name: String?
    public let description: String?
    public let graph: Graph
    public let outputs: [ValueID]
    public let seeds: [ValueID: Tensor]
    /// Every named value (inputs, node outputs, generated ids) in definition order.
    public let namedValues: [(name: String, value: ValueID)]
    /// Composite function calls by call id: the function and the enclosing call, if any.
    public let calls: [String: Call]
    public let functions: [String: FunctionDef]
    /// The line of the model file that wrote each graph node (0 for nodes made in code).
    public let lines: [Int]
    /// What the file says about a node beyond its computation, by graph node index; only
    /// nodes that have any are present.
    public let annotations: [Int: NodeAnnotations]

    public struct Call: Sendable {
        public let id: String
        public let function: String
        public let parent: String?
    }

    /// Runs the backward pass from the outputs with the model's seeds.
    public func backward() throws -> Gradients {
        try graph.backward(outputs, seeds: seeds)
    }

    public func value(named name: String) -> ValueID? {
        namedValues.first { $0.name == name }?.value
    }

    /// The annotations of graph node `node` (empty when it has none).
    public func annotations(_ node: Int) -> NodeAnnotations {
        annotations[node] ?? NodeAnnotations()
    }
}

/// What the model file says about a graph node beyond its computation, for whoever
/// presents it: the drawing, the result file, the check report. The engine never sees it.
public struct NodeAnnotations: Sendable, Equatable {
    /// The node's "label" as written (shown instead of its id).
    public var label: String?
    /// The node's "doc" as written.
    public var doc: String?
    /// The node's "group" path as written ("encoder/attention").
    public var group: String?
    /// The composite calls enclosing the node, outermost first (call ids).
    public var calls: [String] = []
    /// On the identity node that receives a composite's argument: the call and the
    /// argument's position.
    public var port: Port?
    /// The expression a node was written as (on the node that computes its result).
    public var expr: String?
    /// On the node of a custom primitive: the function's name.
    public var custom: String?

    public struct Port: Sendable, Equatable {
        public let call: String
        public let slot: Int
        public init(call: String, slot: Int) { self.call = call; self.slot = slot }
    }

    public init(label: String? = nil, doc: String? = nil, group: String? = nil, calls: [String] = [], port: Port? = nil,
                expr: String? = nil, custom: String? = nil) {
        self.label = label
        self.doc = doc
        self.group = group
        self.calls = calls
        self.port = port
        self.expr = expr
        self.custom = custom
    }
}
