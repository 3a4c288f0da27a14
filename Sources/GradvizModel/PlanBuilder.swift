import GradvizCore

/// Reads the sections of a model into a plan: every id resolved, every expression and
/// function call expanded into nodes, every shape inferred. Nothing is computed here
/// except the literal values of inputs.
struct PlanBuilder: ExprDomain {
    let file: String
    var nodes: [PlanNode] = []
    /// Where each plan node was written, for errors found while computing.
    var places: [Place] = []
    /// Every id the file declares (inputs and node outputs): where, and its value once the
    /// id is defined. One table for both: an id is declared, then defined, then used
    /// nearby, so the second and later lookups find its entry in the cache. (A streamed
    /// node's ids are declared and defined at once, after the node is read.)
    var ids = IdTable<Id>()
    struct Id {
        var position: SourcePosition
        var ref: PlanRef?
    }
    /// Generated names (declared ones are in `ids`): generated ids avoid both.
    var generated: Set<String> = []
    var counters: [String: Int] = [:]
    /// Ops written without attributes, by name: one shared instance each (ops are
    /// immutable values).
    var defaultOps = IdTable<DefaultOp>()
    struct DefaultOp {
        let op: any Op
        /// The output shapes for all-scalar inputs, by input count, once computed: most
        /// nodes of a scalar graph are such ops, and the shapes depend on nothing else.
        var scalarShapesByInputCount: [[[Int]]?] = []

        func scalarOutputShapes(inputs: Int) -> [[Int]]? {
            inputs < scalarShapesByInputCount.count ? scalarShapesByInputCount[inputs] : nil
        }
        mutating func remember(scalarOutputShapes shapes: [[Int]], inputs: Int) {
            while scalarShapesByInputCount.count <= inputs { scalarShapesByInputCount.append(nil) }
            scalarShapesByInputCount[inputs] = shapes
        }
    }
    var calls: [String: Model.Call] = [:]
    var table = FunctionTable([:])
    var name: String?
    var description: String?
    var outputs: [PlanRef] = []
    var seeds: [PlanRef: Tensor] = [:]
    var shapeScratch: [[Int]] = []

    /// Where new nodes go: the name of the node being expanded (generated ids derive from
    /// it), the root operation that takes that name, and the node's group and calls.
    struct Context {
        var base = ""
        var rootName = ""
        var rootOffset = -1
        var depth = 0
        var group: String?
        var calls: [String] = []
        var position = SourcePosition.unknown
        /// The ids of the file's node being read (for messages, made only when needed).
        var names: [String] = []
        var line = 0
        /// The text of an "expr" node, recorded on the node that computes its result.
        var expression: String?

        var what: String { PlanBuilder.describeNode(names) }
        /// Where nodes expanded from the file's node being read come from.
        var place: Place { Place(position: position, names: names) }
    }
    var context = Context()

    /// Where a plan node came from: the file's input or node, for messages.
    struct Place {
        var position: SourcePosition
        var names: [String]
        var isInput = false
        var what: String { isInput ? "input \(quoted(names[0]))" : PlanBuilder.describeNode(names) }
    }

    /// "node 'h'", or "node (a, b)" for a node with several outputs.
    static func describeNode(_ names: [String]) -> String {
        names.count == 1 ? "node \(quoted(names[0]))" : "node (\(names.joined(separator: ", ")))"
    }

    init(file: String) { self.file = file }

    func fail(_ message: String, at position: SourcePosition?) -> ModelError {
        ModelError(file: file, position: position, message: message)
    }

    // MARK: - Sections

    mutating func read(_ root: JSONValue) throws {
        let (inputs, nodes) = try readTopLevel(root)
        try declareIds(inputs, nodes)
        if let f = root["functions"] { try readFunctions(f) }
        try readInputs(inputs)
        try readNodes(nodes)
        try readEnd(root, nodes)
    }

    /// The top level's own checks (known keys, version, name, description); returns the
    /// "inputs" and "nodes" sections.
    mutating func readTopLevel(_ root: JSONValue) throws -> (inputs: JSONValue, nodes: JSONValue) {
        guard let members = root.objectMembers else {
            throw fail("the model must be a JSON object, got \(root.kindDescription)", at: root.position)
        }
        for m in members where !ModelLoader.topLevelKeys.contains(m.key) {
            throw fail(unknownKey(m.key, ModelLoader.topLevelKeys, what: "top-level key"), at: m.keyPosition)
        }
        if let v = root["gradviz"] {
            guard v.isInteger, v.doubleValue == 1 else {
                throw fail("unsupported format version \(JSONWriter.string(v)): this gradviz reads version 1", at: v.position)
            }
        }
        name = try optionalString(root["name"], "name")
        description = try optionalString(root["description"], "description")
        guard let inputs = root["inputs"] else { throw fail("missing \"inputs\" (an object of input ids)", at: root.position) }
        guard let nodes = root["nodes"] else { throw fail("missing \"nodes\" (an array of nodes)", at: root.position) }
        return (inputs, nodes)
    }

    /// Outputs and seeds, once every node is read.
    mutating func readEnd(_ root: JSONValue, _ nodes: JSONValue) throws {
        try readOutputs(root["outputs"], nodes)
        if let s = root["seed"] { try readSeeds(s) }
        for r in outputs where seeds[r] == nil && Tensor.count(of: shape(r)) != 1 {
            let n = self.nodes[r.node].names[r.output]
            throw fail("output \(quoted(n)) has shape \(shapeText(shape(r))): a non-scalar output needs a \"seed\" of that shape", at: root["seed"]?.position ?? root.position)
        }
    }

    func unknownKey(_ key: String, _ known: [String], what: String) -> String {
        var message = "unknown \(what) \(quoted(key))"
        if let near = nearestName(to: key, in: known) { message += " (did you mean \(quoted(near))?)" }
        else { message += " (expected one of: \(known.joined(separator: ", ")))" }
        return message
    }

    func optionalString(_ v: JSONValue?, _ key: String) throws -> String? {
        guard let v else { return nil }
        guard let s = v.stringValue else { throw fail("\"\(key)\" must be a string, got \(v.kindDescription)", at: v.position) }
        return s
    }

    /// `[A-Za-z_][A-Za-z0-9_.]*`, checked on the UTF-8 bytes.
    static func isIdentifier(_ s: String) -> Bool {
        var first = true
        for c in s.utf8 {
            let letter = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
            let more = (c >= 0x30 && c <= 0x39) || c == 0x2E
            guard letter || (!first && more) else { return false }
            first = false
        }
        return !first
    }

    /// Collects every id before anything else, so a forward reference can be told apart
    /// from a typo and generated ids never collide with a user's.
    mutating func declareIds(_ inputs: JSONValue, _ nodes: JSONValue) throws {
        let members = try inputMembers(inputs)
        guard let list = nodes.arrayElements else {
            throw fail("\"nodes\" must be an array of nodes, got \(nodes.kindDescription)", at: nodes.position)
        }
        ids.reserveCapacity(members.count + list.count)
        try declareInputIds(members)
        for node in list { try declareNodeIds(node) }
    }

    /// The members of "inputs" (an object).
    func inputMembers(_ inputs: JSONValue) throws -> [JSONMember] {
        guard let members = inputs.objectMembers else {
            throw fail("\"inputs\" must be an object of id: value, got \(inputs.kindDescription)", at: inputs.position)
        }
        return members
    }

    mutating func declareInputIds(_ members: [JSONMember]) throws {
        for m in members { try declare(m.key, m.keyPosition, what: "input id") }
    }

    mutating func declare(_ id: String, _ at: SourcePosition, what: String) throws {
        guard PlanBuilder.isIdentifier(id) else {
            throw fail("\(what) \(quoted(id)) is not a valid id (letters, digits, _ and ., not starting with a digit or .)", at: at)
        }
        try insert(id, Id(position: at))
    }

    mutating func insert(_ id: String, _ entry: Id) throws {
        if let first = ids.updateValue(entry, forKey: id) {
            throw fail("duplicate id \(quoted(id)) (first defined at \(first.position))", at: entry.position)
        }
    }

    /// Declares the ids a node defines ("id" or "outputs").
    mutating func declareNodeIds(_ node: JSONValue) throws {
        guard node.objectMembers != nil else { throw fail("a node must be an object, got \(node.kindDescription)", at: node.position) }
        try declareNodeIds(id: node["id"], outputs: node["outputs"])
    }

    /// Declares a node's "id" or "outputs" (given as written).
    mutating func declareNodeIds(id: JSONValue?, outputs: JSONValue?) throws {
        if let id {
            guard let s = id.stringValue else { throw fail("node \"id\" must be a string, got \(id.kindDescription)", at: id.position) }
            try declare(s, id.position, what: "node id")
        }
        if let outs = outputs {
            guard let arr = outs.arrayElements, !arr.isEmpty else {
                throw fail("node \"outputs\" must be a non-empty array of ids", at: outs.position)
            }
            for o in arr {
                guard let s = o.stringValue else { throw fail("node \"outputs\" must hold id strings, got \(o.kindDescription)", at: o.position) }
                try declare(s, o.position, what: "output id")
            }
        }
    }

    // MARK: Inputs

    mutating func readInputs(_ inputs: JSONValue) throws {
        for m in inputs.objectMembers! {
            let id = m.key, v = m.value
            var annotations: [String: String] = [:]
            var requiresGradient = true
            var tensor: Tensor?
            var initializer: InputInit?
            if v.objectMembers == nil {
                tensor = try readTensor(v, what: "input \(quoted(id))")
            } else {
                for k in v.objectMembers! where !ModelLoader.inputKeys.contains(k.key) {
                    throw fail("input \(quoted(id)): " + unknownKey(k.key, ModelLoader.inputKeys, what: "key"), at: k.keyPosition)
                }
                if let g = v["grad"] {
                    guard let b = g.boolValue else { throw fail("input \(quoted(id)): \"grad\" must be true or false, got \(g.kindDescription)", at: g.position) }
                    requiresGradient = b
                }
                for key in ["label", "doc"] {
                    if let s = try optionalString(v[key], key) { annotations[key] = s }
                }
                if let value = v["value"] {
                    for k in ["shape", "init", "fill", "mean", "std", "low", "high", "seed"] where v[k] != nil {
                        throw fail("input \(quoted(id)): \"\(k)\" cannot be used with \"value\"", at: v.member(k)!.keyPosition)
                    }
                    tensor = try readTensor(value, what: "input \(quoted(id))")
                } else {
                    initializer = try readInit(v, id: id)
                }
            }
            let shape = tensor?.shape ?? initializer!.shape
            let ref = append(PlanNode(kind: .input(tensor, initializer, requiresGradient: requiresGradient), inputs: [], names: [id],
                                      shapes: [shape], annotations: annotations, line: m.keyPosition.line),
                             at: Place(position: m.keyPosition, names: [id], isInput: true))
            define(id, ref)
        }
    }

    mutating func readInit(_ v: JSONValue, id: String) throws -> InputInit {
        guard let shapeValue = v["shape"], let initValue = v["init"] else {
            throw fail("input \(quoted(id)) needs \"value\", or \"shape\" and \"init\"", at: v.position)
        }
        guard let kind = initValue.stringValue, ModelLoader.inits.contains(kind) else {
            let got = initValue.stringValue.map { quoted($0) } ?? initValue.kindDescription
            var message = "input \(quoted(id)): unknown init \(got) (expected one of: \(ModelLoader.inits.joined(separator: ", ")))"
            if let s = initValue.stringValue, let near = nearestName(to: s, in: ModelLoader.inits) { message = "input \(quoted(id)): unknown init \(quoted(s)) (did you mean \(quoted(near))?)" }
            throw fail(message, at: initValue.position)
        }
        let shape = try readShape(shapeValue, what: "input \(quoted(id)) shape")
        let allowed = ModelLoader.initKeys[kind]!
        for k in ["fill", "mean", "std", "low", "high", "seed"] where v[k] != nil && !allowed.contains(k) {
            throw fail("input \(quoted(id)): \"\(k)\" does not apply to init \"\(kind)\"", at: v.member(k)!.keyPosition)
        }
        func number(_ key: String, _ fallback: Double?) throws -> Double {
            guard let x = v[key] else {
                guard let fallback else { throw fail("input \(quoted(id)): init \"\(kind)\" needs \"\(key)\"", at: v.position) }
                return fallback
            }
            guard let d = x.doubleValue else { throw fail("input \(quoted(id)): \"\(key)\" must be a number, got \(x.kindDescription)", at: x.position) }
            return d
        }
        var seed = 0
        if let s = v["seed"] {
            guard s.isInteger, let i = s.intValue else { throw fail("input \(quoted(id)): \"seed\" must be an integer, got \(JSONWriter.string(s))", at: s.position) }
            seed = i
        }
        let std = try number("std", 1)
        guard std >= 0 else { throw fail("input \(quoted(id)): \"std\" must be ≥ 0, got \(formatNumber(std))", at: v["std"]!.position) }
        return InputInit(kind: kind, shape: shape, fill: try number("fill", kind == "full" ? nil : 0),
                         mean: try number("mean", 0), std: std, low: try number("low", 0), high: try number("high", 1), seed: seed)
    }

    func readShape(_ v: JSONValue, what: String) throws -> [Int] {
        guard let items = v.arrayElements else { throw fail("\(what) must be an array of sizes, got \(v.kindDescription)", at: v.position) }
        var shape: [Int] = []
        for item in items {
            guard item.isInteger, let d = item.intValue, d >= 0 else {
                throw fail("\(what) must hold integer sizes ≥ 0, got \(JSONWriter.string(item))", at: item.position)
            }
            shape.append(d)
        }
        try checkSize(shape, what: what, at: v.position)
        return shape
    }

    func checkSize(_ shape: [Int], what: String, at position: SourcePosition) throws {
        guard let n = Tensor.checkedCount(shape), n <= ModelLoader.maxElements else {
            throw fail("\(what): shape \(shapeText(shape)) has \(Tensor.checkedCount(shape).map(String.init) ?? "too many") elements; the limit is \(ModelLoader.maxElements)", at: position)
        }
    }

    /// A number or a rectangular nested array of numbers.
    func readTensor(_ v: JSONValue, what: String) throws -> Tensor {
        var shape: [Int] = []
        var probe = v
        while let items = probe.arrayElements {
            shape.append(items.count)
            guard let first = items.first else { break }
            probe = first
        }
        try checkSize(shape, what: what, at: v.position)
        var data: [Double] = []
        data.reserveCapacity(Tensor.count(of: shape))
        func walk(_ x: JSONValue, _ depth: Int) throws {
            if depth == shape.count {
                guard let d = x.doubleValue, x.arrayElements == nil else {
                    throw fail("\(what): expected a number at depth \(depth) of a \(shapeText(shape)) array, got \(x.kindDescription)", at: x.position)
                }
                data.append(d)
                return
            }
            guard let items = x.arrayElements else {
                throw fail("\(what): ragged array: expected an array of \(shape[depth]) at depth \(depth), got \(x.kindDescription)", at: x.position)
            }
            guard items.count == shape[depth] else {
                throw fail("\(what): ragged array: expected \(shape[depth]) elements at depth \(depth) (like the first), got \(items.count)", at: x.position)
            }
            for item in items { try walk(item, depth + 1) }
        }
        try walk(v, 0)
        return Tensor(shape: shape, data: data)
    }

    // MARK: Functions

    mutating func readFunctions(_ v: JSONValue) throws {
        guard let members = v.objectMembers else {
            throw fail("\"functions\" must be an object of name: function, got \(v.kindDescription)", at: v.position)
        }
        var defs: [String: FunctionDef] = [:]
        var positions: [String: SourcePosition] = [:]
        var bodies: [String: [(Expr, SourcePosition, String)]] = [:]
        for m in members {
            let fname = m.key, f = m.value
            let place = "function \(quoted(fname))"
            guard PlanBuilder.isIdentifier(fname), !fname.contains(".") else { throw fail("function name \(quoted(fname)) is not a valid name", at: m.keyPosition) }
            guard OpRegistry.type(named: fname) == nil else { throw fail("\(place) would hide the built-in op \(quoted(fname)); choose another name", at: m.keyPosition) }
            guard let keys = f.objectMembers else { throw fail("\(place) must be an object with \"params\" and \"body\" (or \"forward\" and \"backward\")", at: f.position) }
            for k in keys where !ModelLoader.functionKeys.contains(k.key) {
                throw fail("\(place): " + unknownKey(k.key, ModelLoader.functionKeys, what: "key"), at: k.keyPosition)
            }
            guard let paramsValue = f["params"], let params = paramsValue.arrayElements else {
                throw fail("\(place) needs \"params\", an array of parameter names", at: f.position)
            }
            var names: [String] = []
            for p in params {
                guard let s = p.stringValue, PlanBuilder.isIdentifier(s) else { throw fail("\(place): a param must be a name, got \(JSONWriter.string(p))", at: p.position) }
                guard !names.contains(s) else { throw fail("\(place): param \(quoted(s)) appears twice", at: p.position) }
                guard s != "grad", s != "out" else { throw fail("\(place): \(quoted(s)) is reserved for backward expressions; rename the param", at: p.position) }
                names.append(s)
            }
            func parse(_ key: String, _ x: JSONValue, allowed: Set<String>) throws -> (Expr, String) {
                guard let text = x.stringValue else { throw fail("\(place): \"\(key)\" must be an expression string, got \(x.kindDescription)", at: x.position) }
                let e: Expr
                do { e = try Expr.parse(text) } catch { throw fail("\(place) \(key), column \(error.column): \(error.message)", at: x.position) }
                for (n, offset) in e.freeNames where !allowed.contains(n) {
                    throw fail("\(place) \(key), column \(offset + 1): \(quoted(n)) is not a param of \(fname) (params: \(names.joined(separator: ", "))\(allowed.contains("grad") ? ", grad, out" : ""))", at: x.position)
                }
                bodies[fname, default: []].append((e, x.position, key))
                return (e, text)
            }
            let doc = try optionalString(f["doc"], "doc")
            let paramSet = Set(names)
            if let body = f["body"] {
                for k in ["forward", "backward"] where f[k] != nil {
                    throw fail("\(place): \"\(k)\" cannot be used with \"body\" (a composite op differentiates its body)", at: f.member(k)!.keyPosition)
                }
                let (e, text) = try parse("body", body, allowed: paramSet)
                defs[fname] = FunctionDef(name: fname, params: names, kind: .composite(body: e), doc: doc, source: text, backwardSource: [:])
            } else if let forward = f["forward"] {
                guard let backward = f["backward"], let entries = backward.objectMembers else {
                    throw fail("\(place) has \"forward\" and needs \"backward\": an object giving each param's gradient", at: f.position)
                }
                let (fe, text) = try parse("forward", forward, allowed: paramSet)
                var grads: [String: Expr] = [:], sources: [String: String] = [:]
                for entry in entries {
                    guard paramSet.contains(entry.key) else {
                        throw fail("\(place): backward has an entry for \(quoted(entry.key)), which is not a param (params: \(names.joined(separator: ", ")))", at: entry.keyPosition)
                    }
                    let (be, btext) = try parse("backward for \(quoted(entry.key))", entry.value, allowed: paramSet.union(["grad", "out"]))
                    grads[entry.key] = be
                    sources[entry.key] = btext
                }
                for p in names where grads[p] == nil {
                    throw fail("\(place): backward has no entry for param \(quoted(p)) (write \"0\" if it has no gradient)", at: backward.position)
                }
                defs[fname] = FunctionDef(name: fname, params: names, kind: .primitive(forward: fe, backward: grads), doc: doc, source: text, backwardSource: sources)
            } else {
                throw fail("\(place) needs \"body\" (a composite op) or \"forward\" and \"backward\" (a custom primitive)", at: f.position)
            }
            positions[fname] = m.keyPosition
        }
        // Every call names an op or a function; the functions' call graph has no cycle.
        var callees: [String: [String]] = [:]
        for (fname, list) in bodies {
            for (e, position, key) in list {
                for (callee, offset) in e.calledNames {
                    if defs[callee] != nil { callees[fname, default: []].append(callee); continue }
                    guard OpRegistry.type(named: callee) != nil else {
                        let near = nearestName(to: callee, in: OpRegistry.names + defs.keys.sorted())
                        throw fail("function \(quoted(fname)) \(key), column \(offset + 1): unknown op or function \(quoted(callee))" + (near.map { " (did you mean \(quoted($0))?)" } ?? ""), at: position)
                    }
                }
            }
        }
        try checkCallGraph(callees, positions)
        table = FunctionTable(defs)
    }

    /// Rejects recursion (a call cycle) and nesting deeper than maxCallDepth, without recursing.
    func checkCallGraph(_ callees: [String: [String]], _ positions: [String: SourcePosition]) throws {
        var depth: [String: Int] = [:]      // finished: longest call chain below
        var onStack: [String: Int] = [:]    // index in path
        for start in callees.keys.sorted() where depth[start] == nil {
            var path: [(name: String, next: Int)] = [(start, 0)]
            onStack[start] = 0
            while let top = path.last {
                let list = callees[top.name] ?? []
                if top.next < list.count {
                    path[path.count - 1].next += 1
                    let callee = list[top.next]
                    if let i = onStack[callee] {
                        let cycle = path[i...].map(\.name) + [callee]
                        throw fail("function \(quoted(callee)) is recursive: \(cycle.joined(separator: " → ")); functions may not call themselves", at: positions[callee])
                    }
                    if depth[callee] == nil {
                        onStack[callee] = path.count
                        path.append((callee, 0))
                    }
                } else {
                    depth[top.name] = 1 + (list.map { depth[$0] ?? 0 }.max() ?? 0)
                    if depth[top.name]! > ModelLoader.maxCallDepth {
                        throw fail("function \(quoted(top.name)) nests calls more than \(ModelLoader.maxCallDepth) deep", at: positions[top.name])
                    }
                    onStack[top.name] = nil
                    path.removeLast()
                }
            }
        }
    }

    // MARK: Nodes

    /// The members of a node object, picked out in one pass. It keeps where each known key
    /// is rather than nine copies of members: copying those was a tenth of reading a node.
    struct NodeFields {
        enum Key: Int { case id, outputs, op, inputs, attrs, expr, label, group, doc }
        let members: [JSONMember]
        /// 4 bits a key: 1 + the key's index among the members, 0 when absent. A node
        /// object has at most nine members (the parser refuses a repeated key and an
        /// unknown one is an error), so every index fits.
        private var found: UInt64 = 0

        /// A key no node has.
        struct UnknownKey: Error { let member: JSONMember }

        init(_ members: [JSONMember]) throws(UnknownKey) {
            self.members = members
            for (n, m) in members.enumerated() {
                // Keys are told apart by length and first byte; one comparison confirms.
                let utf8 = m.key.utf8
                let key: Key
                switch (utf8.count, utf8.first ?? 0) {
                case (2, UInt8(ascii: "i")) where m.key == "id": key = .id
                case (2, UInt8(ascii: "o")) where m.key == "op": key = .op
                case (6, UInt8(ascii: "i")) where m.key == "inputs": key = .inputs
                case (7, UInt8(ascii: "o")) where m.key == "outputs": key = .outputs
                case (5, UInt8(ascii: "a")) where m.key == "attrs": key = .attrs
                case (4, UInt8(ascii: "e")) where m.key == "expr": key = .expr
                case (5, UInt8(ascii: "l")) where m.key == "label": key = .label
                case (5, UInt8(ascii: "g")) where m.key == "group": key = .group
                case (3, UInt8(ascii: "d")) where m.key == "doc": key = .doc
                default: throw UnknownKey(member: m)
                }
                found |= UInt64(n + 1) << (4 * UInt64(key.rawValue))
            }
        }

        func has(_ key: Key) -> Bool { found >> (4 * UInt64(key.rawValue)) & 0xF != 0 }

        subscript(key: Key) -> JSONMember? {
            let n = Int(found >> (4 * UInt64(key.rawValue)) & 0xF)
            return n == 0 ? nil : members[n - 1]
        }

        var id: JSONMember? { self[.id] }
        var outputs: JSONMember? { self[.outputs] }
        var op: JSONMember? { self[.op] }
        var inputs: JSONMember? { self[.inputs] }
        var attrs: JSONMember? { self[.attrs] }
        var expr: JSONMember? { self[.expr] }
        var label: JSONMember? { self[.label] }
        var group: JSONMember? { self[.group] }
        var doc: JSONMember? { self[.doc] }
    }

    mutating func readNodes(_ v: JSONValue) throws {
        let list = v.arrayElements!
        nodes.reserveCapacity(nodes.count + list.count)
        places.reserveCapacity(nodes.count + list.count)
        for node in list { try readNode(node) }
    }

    /// Reads one node of "nodes" (its ids are declared).
    mutating func readNode(_ node: JSONValue) throws {
        try readNode(node, try nodeFields(node))
    }

    /// The members of a node (an object).
    func nodeFields(_ node: JSONValue) throws -> NodeFields {
        do { return try NodeFields(node.objectMembers!) } catch {
            throw fail("node: " + unknownKey(error.member.key, ModelLoader.nodeKeys, what: "key"), at: error.member.keyPosition)
        }
    }

    /// Reads a node whose ids are declared.
    mutating func readNode(_ node: JSONValue, _ fields: NodeFields) throws {
        let names: [String]
        if let id = fields.id {
            guard fields.outputs == nil else { throw fail("a node has \"id\" or \"outputs\", not both", at: id.value.position) }
            names = [id.value.stringValue!]
        } else if let outs = fields.outputs {
            names = outs.value.arrayElements!.map { $0.stringValue! }
        } else {
            throw fail("a node needs an \"id\" (or \"outputs\" for several results)", at: node.position)
        }
        context = Context(base: names[0], rootName: names[0], rootOffset: -1, depth: 0, group: nil, calls: [],
                          position: node.position, names: names, line: node.position.line)
        var group: String?
        if let g = fields.group?.value {
            guard let s = g.stringValue, !s.isEmpty, !s.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty }) else {
                throw fail("\(context.what): \"group\" must be a path like \"block1/attn\" (no empty parts)", at: g.position)
            }
            group = s
        }
        context.group = group
        let first = nodes.count
        // The node's first value; a node with several outputs has them in order after it.
        let result: PlanRef
        if let exprValue = fields.expr?.value {
            for m in [fields.op, fields.inputs, fields.attrs] { if let m { throw fail("\(context.what): \"\(m.key)\" cannot be used with \"expr\"", at: m.keyPosition) } }
            guard names.count == 1 else { throw fail("\(context.what): an \"expr\" node has one \"id\"", at: node.position) }
            result = try readExpression(exprValue)
        } else {
            result = try readOpNode(fields, at: node.position, names: names)
        }
        // Annotations of the node as written: its label and doc on the result, its group
        // and line on everything it expanded into.
        for i in first..<nodes.count {
            nodes[i].line = context.line
            if let group { nodes[i].annotations[Annotation.group] = group }
        }
        if let label = try optionalString(fields.label?.value, "label") { nodes[result.node].annotations[Annotation.label] = label }
        if let doc = try optionalString(fields.doc?.value, "doc") { nodes[result.node].annotations[Annotation.doc] = doc }
        for (k, n) in names.enumerated() {
            let ref = PlanRef(node: result.node, output: result.output + k)
            define(n, ref)
        }

    }

    /// Resolves a name used by the node being read.
    func lookup(_ name: String, at position: SourcePosition, column: Int? = nil) throws -> PlanRef {
        let entry = ids[name]
        if let r = entry?.ref { return r }
        let place = column.map { "\(context.what), expr column \($0)" } ?? context.what
        if let later = entry?.position {
            throw fail("\(place): \(quoted(name)) is defined later (at \(later)); a node may only use ids defined before it", at: position)
        }
        throw fail("\(place): " + undefinedId(name), at: position)
    }

    /// "undefined id 'x'", with the nearest defined id, or why `name` cannot be an id.
    func undefinedId(_ name: String) -> String {
        // Every id is an identifier, and ids are compared byte for byte (IdTable): a name
        // that only looks like one ("K" written as the Kelvin sign) is told so.
        guard PlanBuilder.isIdentifier(name) else {
            let foreign = name.unicodeScalars.filter { !$0.isASCII }.map(codePointName)
            let has = foreign.isEmpty ? "" : "it has \(foreign.joined(separator: ", ")); "
            return "undefined id \(quoted(name)) (\(has)an id is ASCII letters, digits, _ and ., matched byte for byte)"
        }
        guard let near = nearestName(to: name, in: definedIds) else { return "undefined id \(quoted(name))" }
        return "undefined id \(quoted(name)) (did you mean \(quoted(near))?)"
    }

    mutating func readExpression(_ v: JSONValue) throws -> PlanRef {
        var what: String { context.what }
        guard let text = v.stringValue else { throw fail("\(what): \"expr\" must be a string, got \(v.kindDescription)", at: v.position) }
        let e: Expr
        do { e = try Expr.parse(text) } catch { throw fail("\(what): expr column \(error.column): \(error.message)", at: v.position) }
        var env: [String: PlanRef] = [:]
        for (n, offset) in e.freeNames { env[n] = try lookup(n, at: v.position, column: offset + 1) }
        context.rootOffset = rootOffset(e)
        context.expression = text
        do {
            let r = try evaluate(e, env)
            if case .op = nodes[r.node].kind, nodes[r.node].names[r.output] == context.rootName { return r }
            // "expr": "x" or "3": the node still gets a value of its own.
            return try apply(Identity(), [r], offset: context.rootOffset)
        } catch let failure as ExprFailure {
            throw fail("\(what): expr column \(failure.offset + 1): \(failure.message)", at: v.position)
        }
    }

    /// Offset of the operation that produces an expression's value.
    func rootOffset(_ e: Expr) -> Int {
        if case .chain(_, let links) = e { return links.last!.offset }
        if case .name = e { return -2 }
        if case .number = e { return -2 }
        return e.offset
    }

    /// Returns the node's first value (its others follow it in order).
    mutating func readOpNode(_ node: NodeFields, at position: SourcePosition, names: [String]) throws -> PlanRef {
        var what: String { context.what }
        guard let opValue = node.op?.value else { throw fail("\(what) needs \"op\" and \"inputs\", or \"expr\"", at: position) }
        guard let opName = opValue.stringValue else { throw fail("\(what): \"op\" must be a string, got \(opValue.kindDescription)", at: opValue.position) }
        var args: [PlanRef] = []
        let inputsValue = node.inputs?.value
        if let inputs = inputsValue {
            guard let items = inputs.arrayElements else { throw fail("\(what): \"inputs\" must be an array of ids and numbers", at: inputs.position) }
            args.reserveCapacity(items.count)
            for item in items {
                if let s = item.stringValue { args.append(try lookup(s, at: item.position)) }
                else if let d = item.doubleValue { args.append(try constant(d)) }
                else { throw fail("\(what): an input must be an id or a number, got \(item.kindDescription)", at: item.position) }
            }
        } else {
            throw fail("\(what): \"op\" needs \"inputs\" (an array of ids and numbers)", at: position)
        }
        var given: [(String, AttrValue)] = []
        if let attrs = node.attrs?.value {
            guard let members = attrs.objectMembers else { throw fail("\(what): \"attrs\" must be an object, got \(attrs.kindDescription)", at: attrs.position) }
            for m in members { given.append((m.key, try readAttribute(m.value, name: m.key))) }
        }
        if !table.functions.isEmpty, let f = table.functions[opName] {
            guard names.count == 1 else { throw fail("\(what): function \(quoted(opName)) has one result; use \"id\"", at: position) }
            guard given.isEmpty else { throw fail("\(what): function \(quoted(opName)) takes no attrs", at: node.attrs!.value.position) }
            guard args.count == f.params.count else {
                throw fail("\(what): function \(quoted(opName)) takes \(f.params.count) input\(f.params.count == 1 ? "" : "s") (\(f.params.joined(separator: ", "))), got \(args.count)", at: position)
            }
            do {
                switch f.kind {
                case .composite: return try composite(f, args, offset: -1)
                case .primitive: return try primitive(f, args, offset: -1)
                }
            } catch let failure as ExprFailure { throw fail("\(what): \(failure.message)", at: opValue.position) }
        }
        let op: any Op
        var known: DefaultOp?
        do {
            if given.isEmpty, let cached = defaultOps[opName] { op = cached.op; known = cached }
            else {
                op = try OpRegistry.make(opName, given)
                if given.isEmpty { defaultOps[opName] = DefaultOp(op: op) }
            }
        } catch {
            if OpRegistry.type(named: opName) == nil {
                var message = "\(what): unknown op \(quoted(opName))"
                if let near = nearestName(to: opName, in: OpRegistry.names + table.functions.keys.sorted()) { message += " (did you mean \(quoted(near))?)" }
                throw fail(message, at: opValue.position)
            }
            throw fail("\(what): \(error.message)", at: (node.attrs?.value ?? opValue).position)
        }
        let info = op.info
        guard info.arity.contains(args.count) else {
            throw fail("\(what): \(opName) takes \(arityText(info)) (\(info.inputs.map(\.name).joined(separator: ", "))), got \(args.count)", at: inputsValue!.position)
        }
        do {
            let shapes: [[Int]]
            let scalarInputs = given.isEmpty && args.allSatisfy { nodes[$0.node].shapes[$0.output].isEmpty }
            if scalarInputs, let known = known?.scalarOutputShapes(inputs: args.count) { shapes = known }
            else {
                shapes = try outputShapes(op, args)
                if scalarInputs { defaultOps[opName]!.remember(scalarOutputShapes: shapes, inputs: args.count) }
            }
            guard shapes.count == names.count else {
                let noun = shapes.count == 1 ? "1 result; use \"id\"" : "\(shapes.count) results; list \(shapes.count) ids in \"outputs\""
                throw fail("\(what): \(opName) gives \(noun)", at: position)
            }
            return try append(op, args, shapes: shapes, names: names)
        } catch let error as OpError {
            throw fail("\(what): \(error.message)", at: opValue.position)
        }
    }

    func readAttribute(_ v: JSONValue, name: String) throws -> AttrValue {
        func bounded(_ x: JSONValue) throws -> Int {
            guard let i = x.intValue, abs(i) <= ModelLoader.maxAttributeMagnitude else {
                throw fail("attribute \(quoted(name)): \(JSONWriter.string(x)) is out of range", at: x.position)
            }
            return i
        }
        switch v.kind {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .number(let d, let isInteger): return isInteger ? .int(try bounded(v)) : .double(d)
        case .array(let items):
            var ints: [Int] = []
            for x in items {
                guard x.isInteger else { throw fail("attribute \(quoted(name)) must be a list of integers, got \(JSONWriter.string(x)) in it", at: x.position) }
                ints.append(try bounded(x))
            }
            return .ints(ints)
        case .object: throw fail("attribute \(quoted(name)) cannot be an object", at: v.position)
        }
    }

    // MARK: Outputs and seeds

    mutating func readOutputs(_ v: JSONValue?, _ nodesValue: JSONValue) throws {
        if let v {
            guard let items = v.arrayElements, !items.isEmpty else { throw fail("\"outputs\" must be a non-empty array of ids", at: v.position) }
            for item in items {
                guard let s = item.stringValue else { throw fail("\"outputs\" must hold id strings, got \(item.kindDescription)", at: item.position) }
                guard let r = ids[s]?.ref else { throw fail("\"outputs\": " + undefinedId(s), at: item.position) }
                guard !outputs.contains(r) else { throw fail("\"outputs\": \(quoted(s)) is listed twice", at: item.position) }
                outputs.append(r)
            }
        } else {
            guard let last = nodesValue.arrayElements!.last else { throw fail("\"nodes\" is empty: there is nothing to compute", at: nodesValue.position) }
            let names = last["id"].map { [$0.stringValue!] } ?? last["outputs"]!.arrayElements!.map { $0.stringValue! }
            outputs = names.map { ids[$0]!.ref! }
        }
    }

    mutating func readSeeds(_ v: JSONValue) throws {
        guard let members = v.objectMembers else { throw fail("\"seed\" must be an object of output id: gradient", at: v.position) }
        for m in members {
            guard let r = ids[m.key]?.ref, outputs.contains(r) else {
                throw fail("\"seed\": \(quoted(m.key)) is not an output (outputs: \(outputs.map { nodes[$0.node].names[$0.output] }.joined(separator: ", ")))", at: m.keyPosition)
            }
            let t = try readTensor(m.value, what: "seed for \(quoted(m.key))")
            guard t.shape == shape(r) else {
                throw fail("seed for \(quoted(m.key)) has shape \(shapeText(t.shape)), but \(quoted(m.key)) has shape \(shapeText(shape(r)))", at: m.value.position)
            }
            seeds[r] = t
        }
    }

    // MARK: - Plan nodes

    func shape(_ r: PlanRef) -> [Int] { nodes[r.node].shapes[r.output] }

    /// Shapes of several values. (A loop: `refs.map(shape)` would copy the whole builder.)
    func shapes(_ refs: [PlanRef]) -> [[Int]] {
        var out: [[Int]] = []
        out.reserveCapacity(refs.count)
        for r in refs { out.append(nodes[r.node].shapes[r.output]) }
        return out
    }

    /// `op.outputShapes` of the shapes of `args`, gathered in a reused buffer (one array
    /// fewer to allocate per node).
    mutating func outputShapes(_ op: any Op, _ args: [PlanRef]) throws(OpError) -> [[Int]] {
        shapeScratch.removeAll(keepingCapacity: true)
        for r in args { shapeScratch.append(nodes[r.node].shapes[r.output]) }
        return try op.outputShapes(shapeScratch)
    }

    mutating func define(_ name: String, _ r: PlanRef) {
        ids[name, default: Id(position: .unknown)].ref = r
    }

    /// The ids defined so far, sorted (for "did you mean").
    var definedIds: [String] { ids.ids { $0.ref != nil }.sorted() }

    @discardableResult
    mutating func append(_ node: consuming PlanNode, at place: consuming Place) -> PlanRef {
        nodes.append(node)
        places.append(place)
        return PlanRef(node: nodes.count - 1, output: 0)
    }

    /// Appends an op node after checking its size; returns its first output (output k is
    /// `PlanRef(node: first.node, output: k)`).
    mutating func append(_ op: any Op, _ args: [PlanRef], shapes: [[Int]], names: [String], annotations: [String: String] = [:]) throws -> PlanRef {
        guard nodes.count < ModelLoader.maxNodes else {
            throw fail("the model expands to more than \(ModelLoader.maxNodes) nodes", at: context.position)
        }
        for s in shapes {
            guard let n = Tensor.checkedCount(s), n <= ModelLoader.maxElements else {
                throw OpError("\(op.name) would produce \(shapeText(s)), more than \(ModelLoader.maxElements) elements")
            }
        }
        var a = annotations
        if !context.calls.isEmpty { a[Annotation.calls] = context.calls.joined(separator: "/") }
        // Every name here is already taken: declared by the file, or generated.
        return append(PlanNode(kind: .op(op), inputs: args, names: names, shapes: shapes, annotations: a, line: context.line),
                      at: context.place)
    }

    /// A fresh generated id below `base`: base.1, base.2, ... skipping every taken name.
    mutating func fresh(_ base: String) -> String {
        var k = counters[base, default: 0]
        var name: String
        repeat { k += 1; name = "\(base).\(k)" } while isTaken(name)
        counters[base] = k
        generated.insert(name)
        return name
    }

    func isTaken(_ name: String) -> Bool { ids[name] != nil || generated.contains(name) }

    static let anonymous = [""]
    static let scalarShape: [[Int]] = [[]]

    /// The name of an operation at `offset`: the node's own id for its root operation.
    mutating func nameFor(offset: Int) -> String {
        if context.depth == 0 && offset == context.rootOffset { return context.rootName }
        return fresh(context.base)
    }

    // MARK: ExprDomain: expanding into plan nodes

    mutating func constant(_ value: Double) throws -> PlanRef {
        append(PlanNode(kind: .constant(value), inputs: [], names: PlanBuilder.anonymous, shapes: PlanBuilder.scalarShape,
                        annotations: [:], line: context.line),
               at: context.place)
    }

    mutating func apply(_ op: any Op, _ args: [PlanRef], offset: Int) throws -> PlanRef {
        do {
            let shapes = try outputShapes(op, args)
            let name = nameFor(offset: offset)
            var annotations: [String: String] = [:]
            if name == context.rootName, context.depth == 0, let text = context.expression { annotations[Annotation.expr] = text }
            return try append(op, args, shapes: shapes, names: [name], annotations: annotations)
        } catch let error as OpError {
            throw ExprFailure(message: error.message, offset: offset)
        }
    }

    /// A composite call: identity "port" nodes receive the arguments (so the gradient that
    /// flows into the call along each argument is one edge), then the body expands inside
    /// the call, whose last node takes the call's id.
    mutating func composite(_ f: FunctionDef, _ args: [PlanRef], offset: Int) throws -> PlanRef {
        let callID = nameFor(offset: offset)
        calls[callID] = Model.Call(id: callID, function: f.name, parent: context.calls.last)
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
                                    annotations: [Annotation.portOf: callID, Annotation.portSlot: "\(i)"]))
        }
        let firstBodyNode = nodes.count
        let result: PlanRef
        do { result = try evaluateBody(f, ports) } catch let failure as ExprFailure {
            throw ExprFailure(message: "in function \(quoted(f.name)) (column \(failure.offset + 1) of its body): \(failure.message)", offset: offset)
        }
        if result.node >= firstBodyNode, case .op = nodes[result.node].kind {
            nodes[result.node].names[result.output] = callID
            return result
        }
        return try append(Identity(), [result], shapes: [shape(result)], names: [callID])
    }

    mutating func primitive(_ f: FunctionDef, _ args: [PlanRef], offset: Int) throws -> PlanRef {
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
            return try append(op, args, shapes: [out], names: [nameFor(offset: offset)], annotations: [Annotation.custom: f.name])
        } catch let error as OpError {
            throw ExprFailure(message: error.message, offset: offset)
        }
    }

    // MARK: - Building the graph

    /// A node that failed to compute, said as the file wrote it.
    func modelError(_ failure: GraphBuilder.Failure) -> ModelError {
        fail("\(places[failure.node].what): \(failure.message)", at: places[failure.node].position)
    }

    /// The model: the plan's nodes computed into a graph.
    func build() throws -> Model {
        var g = GraphBuilder(capacity: nodes.count)
        for i in nodes.indices {
            do throws(GraphBuilder.Failure) { try g.add(nodes[i]) } catch { throw modelError(error) }
        }
        // Every named value in definition order: the file's ids and the generated ones
        // (expression intermediates, composite ports and bodies) alike.
        var namedValues: [(name: String, value: ValueID)] = []
        namedValues.reserveCapacity(nodes.count)
        for n in nodes.indices {
            for (k, name) in nodes[n].names.enumerated() where !name.isEmpty { namedValues.append((name, ValueID(node: n, output: k))) }
        }
        return Model(file: file, name: name, description: description, graph: g.graph, outputs: outputs, seeds: seeds,
                     namedValues: namedValues, calls: calls, functions: table.functions, lines: g.lines)
    }
}
