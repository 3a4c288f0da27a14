import GradvizCore

/// Computes plan nodes into a graph, in plan order, once the whole plan is valid
/// (`PlanBuilder.build`).
struct GraphBuilder {
    let graph = Graph()
    /// The line of the model file that wrote each graph node.
    private(set) var lines: [Int] = []
    /// How many plan nodes are in the graph.
    var count: Int { lines.count }

    /// Plan node `node` failed to compute (a value its shape cannot rule out, such as a
    /// class index out of range); the plan builder knows where the node was written.
    struct Failure: Error {
        let node: Int
        let message: String
    }

    init(capacity: Int) {
        graph.reserveCapacity(capacity)
        lines.reserveCapacity(capacity)
    }

    /// Adds plan node `count` and computes its values.
    mutating func add(_ node: PlanNode) throws(Failure) {
        lines.append(node.line)
        switch node.kind {
        case .input(let t, let initializer, let requiresGradient):
            graph.addInput(node.names[0], t ?? initializer!.tensor(), requiresGradient: requiresGradient, annotations: node.annotations)
        case .constant(let d):
            graph.addConstant(Tensor(d), annotations: node.annotations)
        case .op(let op):
            do {
                try graph.record(op, node.inputs, names: node.names, annotations: node.annotations)
            } catch {
                throw Failure(node: lines.count - 1, message: error.message)
            }
        }
    }
}
