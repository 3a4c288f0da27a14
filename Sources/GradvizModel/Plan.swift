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
    /// What the file says about a node beyond its computation, by node index: only the
    /// nodes that have any (most have none), as `Model.annotations`.
    var annotations: [Int: NodeAnnotations] = [:]
    var calls: [String: Model.Call] = [:]
    var functions: [String: FunctionDef] = [:]

    /// The model: the plan's nodes computed into a graph, in order.
    func build() throws -> Model {
        let graph = Graph()
        graph.reserveCapacity(nodes.count)
        // (By index: `for node in nodes` would copy every node, retaining each of its arrays.)
        for n in nodes.indices {
            switch nodes[n].kind {
            case .input(.literal(let t), let requiresGradient):
                graph.addInput(nodes[n].names[0], t, requiresGradient: requiresGradient)
            case .input(.generated(let initializer), let requiresGradient):
                graph.addInput(nodes[n].names[0], initializer.tensor(), requiresGradient: requiresGradient)
            case .constant(let d):
                graph.addConstant(Tensor(d))
            case .op(let op):
                // A value its shape cannot rule out (a class index out of range) fails here.
                do { try graph.record(op, nodes[n].inputs, names: nodes[n].names) } catch {
                    throw ModelError(file: file, position: nodes[n].place.position, message: "\(nodes[n].place.what): \(error.message)")
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
        return Model(file: file, name: name, description: description, graph: graph, outputs: outputs, seeds: seeds,
                     namedValues: namedValues, calls: calls, functions: functions, lines: nodes.map(\.place.position.line),
                     annotations: annotations)
    }
}
