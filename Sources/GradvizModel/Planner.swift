import GradvizCore

/// Turns a decoded model file into a plan: every id resolved, every expression and
/// function call expanded into nodes, every shape inferred. Nothing is computed here
/// except the literal values of inputs. A class, so that the plan it grows is never copied.
final class Planner: ExprDomain {
    let file: String
    var plan: Plan
    var table = FunctionTable([:])
    /// Every id the file declares, by name: its index in declaration order (the inputs,
    /// then each node's ids, as the file lists them). Every id is an ASCII identifier, for
    /// which String's == is byte equality; a name that is not one is never looked up (see
    /// `declaration`), so ids match byte for byte (docs/model-format.md, "Ids") and never
    /// by canonical equivalence.
    var ids: [String: Int] = [:]
    /// Where each declared id is written, by declaration index.
    var positions: [SourcePosition] = []
    /// The value of each id defined so far, by declaration index: ids are defined in the
    /// order they are declared, so declaration i is defined when i < values.count.
    var values: [PlanRef] = []
    /// Generated names (declared ones are in `ids`): generated ids avoid both.
    var generated: Set<String> = []
    var counters: [String: Int] = [:]
    /// Ops written without attributes, by name: one shared instance each.
    var defaultOps: [String: any Op] = [:]

    /// Where new nodes go: the name of the node being expanded (generated ids derive from
    /// it), the root operation that takes that name, and the node's calls.
    struct Context {
        var base = ""
        var rootName = ""
        var rootOffset = -1
        var depth = 0
        var calls: [String] = []
        /// The file's node being read.
        var place = Place(position: .unknown, names: [])
        /// The text of an "expr" node, recorded on the node that computes its result.
        var expression: String?

        var what: String { describeNode(place.names) }
    }
    var context = Context()

    init(file: String) {
        self.file = file
        plan = Plan(file: file)
    }

    func fail(_ message: String, at position: SourcePosition?) -> ModelError {
        ModelError(file: file, position: position, message: message)
    }

    var nodes: [PlanNode] {
        _read { yield plan.nodes }
        _modify { yield &plan.nodes }
    }

    // MARK: - Sections

    func read(_ m: ModelFile) throws {
        plan.name = m.name
        plan.description = m.description
        try declareIds(m)
        table = try FunctionTable.check(m.functions, file: file)
        plan.functions = table.functions
        nodes.reserveCapacity(m.inputs.count + 2 * m.nodes.count)
        // (By index: `for node in m.nodes` would copy every declaration, retaining its parts.)
        for i in m.inputs.indices { readInput(m.inputs[i]) }
        for i in m.nodes.indices { try readNode(m.nodes[i]) }
        try readOutputs(m)
        try readSeeds(m)
        for r in plan.outputs where plan.seeds[r] == nil && Tensor.count(of: shape(r)) != 1 {
            throw fail("output \(quoted(name(r))) has shape \(shapeText(shape(r))): a non-scalar output needs a \"seed\" of that shape", at: m.seedPosition ?? m.position)
        }
    }

    /// Collects every id before anything else, so a forward reference can be told apart
    /// from a typo and generated ids never collide with a user's.
    func declareIds(_ m: ModelFile) throws {
        ids.reserveCapacity(m.inputs.count + m.nodes.count)
        positions.reserveCapacity(m.inputs.count + m.nodes.count)
        values.reserveCapacity(m.inputs.count + m.nodes.count)
        for i in m.inputs.indices { try declare(m.inputs[i].id, what: "input id") }
        for i in m.nodes.indices {
            for n in m.nodes[i].names { try declare(n, what: m.nodes[i].hasOutputsKey ? "output id" : "node id") }
        }
    }

    func declare(_ id: Text, what: String) throws {
        guard isIdentifier(id.text) else {
            throw fail("\(what) \(quoted(id.text)) is not a valid id (letters, digits, _ and ., not starting with a digit or .)", at: id.position)
        }
        if let first = ids.updateValue(positions.count, forKey: id.text) {
            throw fail("duplicate id \(quoted(id.text)) (first defined at \(positions[first]))", at: id.position)
        }
        positions.append(id.position)
    }

    /// The declaration index of `name`, if the file declares it (see `ids`).
    func declaration(_ name: String) -> Int? { isIdentifier(name) ? ids[name] : nil }

    /// The value of `name`, if the file declares it and it is defined by now.
    func definedValue(_ name: String) -> PlanRef? { declaration(name).flatMap { $0 < values.count ? values[$0] : nil } }

    func readInput(_ input: InputDecl) {
        let ref = append(PlanNode(kind: .input(input.value, requiresGradient: input.requiresGradient), inputs: [], names: [input.id.text],
                                  shapes: [input.shape], place: Place(position: input.id.position, names: [input.id.text], isInput: true)))
        annotate(ref.node, label: input.label, doc: input.doc)
        values.append(ref)
    }

    /// The label and doc the file gives a node, kept only where it gives them.
    func annotate(_ node: Int, label: String?, doc: String?) {
        if let label { plan.annotations[node, default: NodeAnnotations()].label = label }
        if let doc { plan.annotations[node, default: NodeAnnotations()].doc = doc }
    }

    func readOutputs(_ m: ModelFile) throws {
        guard let outputs = m.outputs else {
            guard let last = m.nodes.last else { throw fail("\"nodes\" is empty: there is nothing to compute", at: m.nodesPosition) }
            plan.outputs = last.names.map { definedValue($0.text)! }
            return
        }
        for item in outputs {
            guard let r = definedValue(item.text) else { throw fail("\"outputs\": " + undefinedId(item.text), at: item.position) }
            guard !plan.outputs.contains(r) else { throw fail("\"outputs\": \(quoted(item.text)) is listed twice", at: item.position) }
            plan.outputs.append(r)
        }
    }

    func readSeeds(_ m: ModelFile) throws {
        for s in m.seeds {
            guard let r = definedValue(s.id.text), plan.outputs.contains(r) else {
                throw fail("\"seed\": \(quoted(s.id.text)) is not an output (outputs: \(plan.outputs.map(name).joined(separator: ", ")))", at: s.id.position)
            }
            guard s.value.shape == shape(r) else {
                throw fail("seed for \(quoted(s.id.text)) has shape \(shapeText(s.value.shape)), but \(quoted(s.id.text)) has shape \(shapeText(shape(r)))", at: s.valuePosition)
            }
            plan.seeds[r] = s.value
        }
    }

    // MARK: Nodes

    func readNode(_ node: NodeDecl) throws {
        let names = node.names.map(\.text)
        context = Context(base: names[0], rootName: names[0], place: Place(position: node.position, names: names))
        let first = nodes.count
        // The node's first value; a node with several outputs has them in order after it.
        let result: PlanRef
        switch node.body {
        case .expression(let text): result = try readExpression(text)
        case .op(let call): result = try readOpNode(call, at: node.position, names: names)
        }
        // Its group on everything it expanded into, its label and doc on its result.
        if let group = node.group {
            for i in first..<nodes.count { plan.annotations[i, default: NodeAnnotations()].group = group }
        }
        annotate(result.node, label: node.label, doc: node.doc)
        for k in names.indices { values.append(PlanRef(node: result.node, output: result.output + k)) }
    }

    /// Resolves a name used by the node being read.
    func lookup(_ name: String, at position: SourcePosition, column: Int? = nil) throws -> PlanRef {
        if let defined = definedValue(name) { return defined }
        let place = column.map { "\(context.what), expr column \($0)" } ?? context.what
        if let i = declaration(name) {
            throw fail("\(place): \(quoted(name)) is defined later (at \(positions[i])); a node may only use ids defined before it", at: position)
        }
        throw fail("\(place): " + undefinedId(name), at: position)
    }

    /// "undefined id 'x'", with the nearest defined id, or why `name` cannot be an id.
    func undefinedId(_ name: String) -> String {
        // A name that only looks like an id ("K" written as the Kelvin sign) is told so.
        guard isIdentifier(name) else {
            let foreign = name.unicodeScalars.filter { !$0.isASCII }.map(codePointName)
            let has = foreign.isEmpty ? "" : "it has \(foreign.joined(separator: ", ")); "
            return "undefined id \(quoted(name)) (\(has)an id is ASCII letters, digits, _ and ., matched byte for byte)"
        }
        let defined = ids.compactMap { $0.value < values.count ? $0.key : nil }.sorted()
        guard let near = nearestName(to: name, in: defined) else { return "undefined id \(quoted(name))" }
        return "undefined id \(quoted(name)) (did you mean \(quoted(near))?)"
    }

    func readExpression(_ source: Text) throws -> PlanRef {
        let e: Expr
        do { e = try Expr.parse(source.text) } catch { throw fail("\(context.what): expr column \(error.column): \(error.message)", at: source.position) }
        var env: [String: PlanRef] = [:]
        for (n, offset) in e.freeNames { env[n] = try lookup(n, at: source.position, column: offset + 1) }
        var calls: [String: Int] = [:]
        let size = table.size(of: e, calls: &calls)
        if let largest = calls.keys.max(by: { (table.sizes[$0]!.nodes, $1) < (table.sizes[$1]!.nodes, $0) }) {
            try checkExpansion(size, largest: largest, at: source.position)
        }
        context.rootOffset = rootOffset(e)
        context.expression = source.text
        do {
            var expander = self   // (the evaluator's methods are mutating; this is the same planner)
            let r = try expander.evaluate(e, env)
            if case .op = nodes[r.node].kind, nodes[r.node].names[r.output] == context.rootName { return r }
            // "expr": "x" or "3": the node still gets a value of its own.
            return try apply(Identity(), [r], offset: context.rootOffset)
        } catch let failure as ExprFailure {
            throw fail("\(context.what): expr column \(failure.offset + 1): \(failure.message)", at: source.position)
        }
    }

    /// Offset of the operation that produces an expression's value.
    func rootOffset(_ e: Expr) -> Int {
        if case .chain(_, let links) = e { return links.last!.offset }
        if case .name = e { return -2 }
        if case .number = e { return -2 }
        return e.offset
    }

    /// Refuses a node whose expansion (`size` nodes, most of them from calls of the
    /// composite `largest`) would take the model past its node limit, before expanding it.
    func checkExpansion(_ size: Int, largest: String, at position: SourcePosition) throws {
        guard FunctionTable.add(nodes.count, size) > ModelLoader.maxNodes else { return }
        let count = size == .max ? "more than \(Int.max)" : "\(size)"
        throw fail("\(context.what): expands to \(count) nodes through function \(quoted(largest)) (\(table.growth(of: largest))); a model may expand to at most \(ModelLoader.maxNodes)", at: position)
    }

    /// Returns the node's first value (its others follow it in order).
    func readOpNode(_ call: OpCall, at position: SourcePosition, names: [String]) throws -> PlanRef {
        var what: String { context.what }
        let opName = call.op.text
        var args: [PlanRef] = []
        args.reserveCapacity(call.inputs.count)
        for item in call.inputs {
            switch item {
            case .id(let s): args.append(try lookup(s.text, at: s.position))
            case .number(let d, _): args.append(try constant(d))
            }
        }
        let given = call.attributes.map { ($0.name, $0.value) }
        if !table.functions.isEmpty, let f = table.functions[opName] {
            guard names.count == 1 else { throw fail("\(what): function \(quoted(opName)) has one result; use \"id\"", at: position) }
            guard given.isEmpty else { throw fail("\(what): function \(quoted(opName)) takes no attrs", at: call.attributesPosition) }
            guard args.count == f.params.count else {
                throw fail("\(what): function \(quoted(opName)) takes \(f.params.count) input\(f.params.count == 1 ? "" : "s") (\(f.params.joined(separator: ", "))), got \(args.count)", at: position)
            }
            do {
                switch f.kind {
                case .composite:
                    try checkExpansion(table.sizes[opName]!.nodes, largest: opName, at: call.op.position)
                    return try composite(f, args, offset: -1)
                case .primitive: return try primitive(f, args, offset: -1)
                }
            } catch let failure as ExprFailure { throw fail("\(what): \(failure.message)", at: call.op.position) }
        }
        let op: any Op
        do {
            if given.isEmpty, let shared = defaultOps[opName] { op = shared }
            else {
                op = try OpRegistry.make(opName, given)
                if given.isEmpty { defaultOps[opName] = op }
            }
        } catch {
            if OpRegistry.type(named: opName) == nil {
                var message = "\(what): unknown op \(quoted(opName))"
                if let near = nearestName(to: opName, in: OpRegistry.names + table.functions.keys.sorted()) { message += " (did you mean \(quoted(near))?)" }
                throw fail(message, at: call.op.position)
            }
            throw fail("\(what): \(error.message)", at: call.attributesPosition ?? call.op.position)
        }
        let info = op.info
        guard info.arity.contains(args.count) else {
            throw fail("\(what): \(opName) takes \(arityText(info)) (\(info.inputs.map(\.name).joined(separator: ", "))), got \(args.count)", at: call.inputsPosition)
        }
        do {
            let shapes = try op.outputShapes(self.shapes(args))
            guard shapes.count == names.count else {
                let noun = shapes.count == 1 ? "1 result; use \"id\"" : "\(shapes.count) results; list \(shapes.count) ids in \"outputs\""
                throw fail("\(what): \(opName) gives \(noun)", at: position)
            }
            return try append(op, args, shapes: shapes, names: names)
        } catch let error as OpError {
            throw fail("\(what): \(error.message)", at: call.op.position)
        }
    }

    // MARK: - Plan nodes

    func shape(_ r: PlanRef) -> [Int] { nodes[r.node].shapes[r.output] }
    func name(_ r: PlanRef) -> String { nodes[r.node].names[r.output] }
    func shapes(_ refs: [PlanRef]) -> [[Int]] { refs.map { nodes[$0.node].shapes[$0.output] } }

    @discardableResult
    func append(_ node: PlanNode) -> PlanRef {
        nodes.append(node)
        return PlanRef(node: nodes.count - 1, output: 0)
    }

    /// Appends an op node after checking its size; returns its first output (output k is
    /// `PlanRef(node: first.node, output: k)`).
    func append(_ op: any Op, _ args: [PlanRef], shapes: [[Int]], names: [String], annotations: NodeAnnotations? = nil) throws -> PlanRef {
        guard nodes.count < ModelLoader.maxNodes else {
            throw fail("the model expands to more than \(ModelLoader.maxNodes) nodes", at: context.place.position)
        }
        for s in shapes {
            guard let n = Tensor.checkedCount(s), n <= ModelLoader.maxElements else {
                throw OpError("\(op.name) would produce \(shapeText(s)), more than \(ModelLoader.maxElements) elements")
            }
        }
        // Every name here is already taken: declared by the file, or generated.
        let ref = append(PlanNode(kind: .op(op), inputs: args, names: names, shapes: shapes, place: context.place))
        if annotations != nil || !context.calls.isEmpty {
            var a = annotations ?? NodeAnnotations()
            a.calls = context.calls
            plan.annotations[ref.node] = a
        }
        return ref
    }

    /// A fresh generated id below `base`: base.1, base.2, ... skipping every taken name.
    func fresh(_ base: String) -> String {
        var k = counters[base, default: 0]
        var name: String
        repeat { k += 1; name = "\(base).\(k)" } while isTaken(name)
        counters[base] = k
        generated.insert(name)
        return name
    }

    func isTaken(_ name: String) -> Bool { ids[name] != nil || generated.contains(name) }

    /// The name of an operation at `offset`: the node's own id for its root operation.
    func nameFor(offset: Int) -> String {
        if context.depth == 0 && offset == context.rootOffset { return context.rootName }
        return fresh(context.base)
    }

    // MARK: ExprDomain: expanding into plan nodes

    func constant(_ value: Double) throws -> PlanRef {
        append(PlanNode(kind: .constant(value), inputs: [], names: [""], shapes: [[]], place: context.place))
    }

    func apply(_ op: any Op, _ args: [PlanRef], offset: Int) throws -> PlanRef {
        do {
            let shapes = try op.outputShapes(self.shapes(args))
            let name = nameFor(offset: offset)
            var annotations: NodeAnnotations?
            if name == context.rootName, context.depth == 0, let text = context.expression { annotations = NodeAnnotations(expr: text) }
            return try append(op, args, shapes: shapes, names: [name], annotations: annotations)
        } catch let error as OpError {
            throw ExprFailure(message: error.message, offset: offset)
        }
    }

    /// A composite call: identity "port" nodes receive the arguments (so the gradient that
    /// flows into the call along each argument is one edge), then the body expands inside
    /// the call, whose last node takes the call's id.
    func composite(_ f: FunctionDef, _ args: [PlanRef], offset: Int) throws -> PlanRef {
        let callID = nameFor(offset: offset)
        plan.calls[callID] = Model.Call(id: callID, function: f.name, parent: context.calls.last)
        let saved = context
        defer { context = saved }
        context.base = callID
        context.depth += 1
        context.calls.append(callID)
        var ports: [PlanRef] = []
        for (i, (param, arg)) in zip(f.params, args).enumerated() {
            var portName = "\(callID).\(param)"
            if isTaken(portName) { portName = fresh(portName) } else { generated.insert(portName) }
            ports.append(try append(Identity(), [arg], shapes: [shape(arg)], names: [portName],
                                    annotations: NodeAnnotations(port: .init(call: callID, slot: i))))
        }
        let firstBodyNode = nodes.count
        let result: PlanRef
        var expander = self
        do { result = try expander.evaluateBody(f, ports) } catch let failure as ExprFailure {
            throw ExprFailure(message: "in function \(quoted(f.name)) (column \(failure.offset + 1) of its body): \(failure.message)", offset: offset)
        }
        if result.node >= firstBodyNode, case .op = nodes[result.node].kind {
            nodes[result.node].names[result.output] = callID
            return result
        }
        return try append(Identity(), [result], shapes: [shape(result)], names: [callID])
    }

    func primitive(_ f: FunctionDef, _ args: [PlanRef], offset: Int) throws -> PlanRef {
        let op = CustomPrimitive(f, table: table)
        let inputShapes = shapes(args)
        do {
            let out = try op.outputShapes(inputShapes)[0]
            for (p, s) in try op.backwardShapes(inputShapes, output: out) {
                let i = f.params.firstIndex(of: p)!
                guard s == inputShapes[i] || Tensor.count(of: s) == 1 else {
                    throw OpError("\(f.name): backward for \(quoted(p)) has shape \(shapeText(s)), but \(quoted(p)) has shape \(shapeText(inputShapes[i])) (sum the gradient over the axes \(quoted(p)) was broadcast along)")
                }
            }
            return try append(op, args, shapes: [out], names: [nameFor(offset: offset)], annotations: NodeAnnotations(custom: f.name))
        } catch let error as OpError {
            throw ExprFailure(message: error.message, offset: offset)
        }
    }
}
