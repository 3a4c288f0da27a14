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
}

/// Annotation keys the loader writes on graph nodes, read by the renderer and the checker.
public enum Annotation {
    public static let label = "label"
    public static let group = "group"
    public static let doc = "doc"
    /// Composite calls enclosing the node, outermost first, joined by "/".
    public static let calls = "calls"
    /// On the identity node that receives a composite's argument: the call's id...
    public static let portOf = "port.call"
    /// ...and the argument's position.
    public static let portSlot = "port.slot"
    /// The expression a node was written as (on the node that computes its result).
    public static let expr = "expr"
    /// "custom" on nodes of custom primitives.
    public static let custom = "custom"
}
