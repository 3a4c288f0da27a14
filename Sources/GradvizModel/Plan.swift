import GradvizCore

/// A value of the plan: output `output` of plan node `node`. Plan node n becomes graph
/// node n (`Plan.build` adds them in order), so a plan value is the graph value.
typealias PlanRef = ValueID

/// A node of the plan: everything `Graph` will record, plus shapes and where it came from.
struct PlanNode {
    enum Kind {
        case input(InputDecl.Value, requiresGradient: Bool)
        case constant(Double)
        case op(any Op)
    }
    var kind: Kind
    var inputs: [PlanRef]
    var names: [String]
    var shapes: [[Int]]
    var annotations: NodeAnnotations
    /// Where the file wrote it: its input or node, for messages.
    var place: Place
}

/// Where a plan node came from: the file's input or node, for messages.
struct Place {
    var position: SourcePosition
    var names: [String]
    var isInput = false
    var what: String { isInput ? "input \(quoted(names[0]))" : describeNode(names) }
}

/// A model whose every id is resolved, every expression and call expanded into nodes and
/// every shape checked (`Planner`), ready to be computed.
struct Plan {
    let file: String
    var name: String?
    var description: String?
    var nodes: [PlanNode] = []
    var outputs: [PlanRef] = []
    var seeds: [PlanRef: Tensor] = [:]
    var calls: [String: Model.Call] = [:]
    var functions: [String: FunctionDef] = [:]

    /// The model: the plan's nodes computed into a graph, in order.
    func build() throws -> Model {
        let graph = Graph()
        graph.reserveCapacity(nodes.count)
        for node in nodes {
            switch node.kind {
            case .input(.literal(let t), let requiresGradient):
                graph.addInput(node.names[0], t, requiresGradient: requiresGradient)
            case .input(.generated(let initializer), let requiresGradient):
                graph.addInput(node.names[0], initializer.tensor(), requiresGradient: requiresGradient)
            case .constant(let d):
                graph.addConstant(Tensor(d))
            case .op(let op):
                // A value its shape cannot rule out (a class index out of range) fails here.
                do { try graph.record(op, node.inputs, names: node.names) } catch {
                    throw ModelError(file: file, position: node.place.position, message: "\(node.place.what): \(error.message)")
                }
            }
        }
        // Every named value in definition order: the file's ids and the generated ones
        // (expression intermediates, composite ports and bodies) alike.
        var namedValues: [(name: String, value: ValueID)] = []
        namedValues.reserveCapacity(nodes.count)
        for n in nodes.indices {
            for (k, name) in nodes[n].names.enumerated() where !name.isEmpty { namedValues.append((name, ValueID(node: n, output: k))) }
        }
        var annotations: [Int: NodeAnnotations] = [:]
        for n in nodes.indices where !nodes[n].annotations.isEmpty { annotations[n] = nodes[n].annotations }
        return Model(file: file, name: name, description: description, graph: graph, outputs: outputs, seeds: seeds,
                     namedValues: namedValues, calls: calls, functions: functions, lines: nodes.map(\.place.position.line),
                     annotations: annotations)
    }
}
