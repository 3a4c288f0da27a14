import Foundation
import GradvizCore

/// Computes plan nodes into a graph, in plan order: all at once when the plan is done
/// (`PlanBuilder.build`), or on another core while a large plan is still being read
/// (`PlanFeed`).
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

    /// Whether a node may be computed before the rest of the model is known to be valid:
    /// its values are small, so a model found invalid later has cost little.
    static func mayComputeEarly(_ node: PlanNode) -> Bool {
        node.shapes.allSatisfy { Tensor.count(of: $0) <= 4096 }
    }
}

/// Plan nodes handed from the thread reading a large model to one that computes them as
/// they come (`ModelLoader.loadStreaming`). The result is the same as computing them after
/// the plan: nodes are computed in order, the first one that fails is the error, and it is
/// reported only once the whole plan is valid (a mistake later in the file comes first, as
/// it does when the plan is read before anything is computed). Until then only small nodes
/// are computed.
final class PlanFeed: @unchecked Sendable {
    private let condition = NSCondition()
    // Shared, under `condition`.
    private var published: [PlanNode] = []
    private var planIsValid = false
    private var cancelled = false
    private var finished = false
    // The computing thread's until `finished`, then the reading thread's.
    private var builder: GraphBuilder
    private var failure: GraphBuilder.Failure?

    init(capacity: Int) {
        builder = GraphBuilder(capacity: capacity)
    }

    // MARK: Reading thread

    func publish(_ nodes: ArraySlice<PlanNode>) {
        condition.lock()
        published.append(contentsOf: nodes)
        condition.broadcast()
        condition.unlock()
    }

    /// Every node is published and the whole model is valid.
    func planComplete() {
        condition.lock()
        planIsValid = true
        condition.broadcast()
        condition.unlock()
    }

    /// The plan is abandoned: stop computing.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until every published node is computed (after `planComplete`); returns the
    /// graph, or throws the first node's failure.
    func graph() throws(GraphBuilder.Failure) -> GraphBuilder {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
        if let failure { throw failure }
        return builder
    }

    // MARK: Computing thread

    func run() {
        var batch: [PlanNode] = []
        condition.lock()
        defer {
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        while true {
            while published.isEmpty && !planIsValid && !cancelled { condition.wait() }
            if cancelled || (published.isEmpty && planIsValid) { return }
            swap(&batch, &published)
            for node in batch {
                while !planIsValid && !cancelled && !GraphBuilder.mayComputeEarly(node) { condition.wait() }
                if cancelled { return }
                condition.unlock()
                do throws(GraphBuilder.Failure) { try builder.add(node) } catch { failure = error }
                condition.lock()
                if failure != nil {
                    // Reported once the plan is complete; nothing after it is computed.
                    while !planIsValid && !cancelled { condition.wait() }
                    return
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
