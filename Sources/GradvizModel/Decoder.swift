import GradvizCore

/// JSON to a typed `ModelFile`: every check of the file's form lives here (known keys, a
/// string where a string belongs, rectangular arrays, init parameters), each with the file,
/// line and column of the mistake. What the ids, expressions and functions mean is the
/// planner's job.
struct ModelDecoder {
    let file: String

    static let topLevelKeys = ["gradviz", "name", "description", "inputs", "functions", "nodes", "outputs", "seed"]
    static let inputKeys = ["value", "shape", "init", "fill", "mean", "std", "low", "high", "seed", "grad", "label", "doc"]
    static let nodeKeys = ["id", "outputs", "op", "inputs", "attrs", "expr", "label", "group", "doc"]
    static let functionKeys = ["params", "body", "forward", "backward", "doc"]
    static let inits = ["zeros", "ones", "full", "arange", "normal", "uniform"]
    static let initKeys: [String: [String]] = [
        "zeros": [], "ones": [], "arange": [], "full": ["fill"], "normal": ["mean", "std", "seed"], "uniform": ["low", "high", "seed"],
    ]

    func fail(_ message: String, at position: SourcePosition?) -> ModelError {
        ModelError(file: file, position: position, message: message)
    }

    func decode(_ root: JSONValue) throws -> ModelFile {
        guard let members = root.objectMembers else {
            throw fail("the model must be a JSON object, got \(root.kindDescription)", at: root.position)
        }
        for m in members where !Self.topLevelKeys.contains(m.key) {
            throw fail(unknownKey(m.key, Self.topLevelKeys, what: "top-level key"), at: m.keyPosition)
        }
        if let v = root["gradviz"] {
            guard v.isInteger, v.doubleValue == 1 else {
                throw fail("unsupported format version \(JSONWriter.string(v)): this gradviz reads version 1", at: v.position)
            }
        }
        let name = try optionalString(root["name"], "name")
        let description = try optionalString(root["description"], "description")
        guard let inputs = root["inputs"] else { throw fail("missing \"inputs\" (an object of input ids)", at: root.position) }
        guard let nodes = root["nodes"] else { throw fail("missing \"nodes\" (an array of nodes)", at: root.position) }
        guard let inputMembers = inputs.objectMembers else {
            throw fail("\"inputs\" must be an object of id: value, got \(inputs.kindDescription)", at: inputs.position)
        }
        guard let nodeList = nodes.arrayElements else {
            throw fail("\"nodes\" must be an array of nodes, got \(nodes.kindDescription)", at: nodes.position)
        }
        let functions = try root["functions"].map(decodeFunctions) ?? []
        var decodedInputs: [InputDecl] = []
        decodedInputs.reserveCapacity(inputMembers.count)
        for m in inputMembers { decodedInputs.append(try decodeInput(m)) }
        var decodedNodes: [NodeDecl] = []
        decodedNodes.reserveCapacity(nodeList.count)
        for node in nodeList { decodedNodes.append(try decodeNode(node)) }
        var outputs: [Text]?
        if let v = root["outputs"] {
            guard let items = v.arrayElements, !items.isEmpty else { throw fail("\"outputs\" must be a non-empty array of ids", at: v.position) }
            outputs = try items.map { item in
                guard let s = item.stringValue else { throw fail("\"outputs\" must hold id strings, got \(item.kindDescription)", at: item.position) }
                return Text(text: s, position: item.position)
            }
        }
        var seeds: [SeedDecl] = []
        if let v = root["seed"] {
            guard let members = v.objectMembers else { throw fail("\"seed\" must be an object of output id: gradient", at: v.position) }
            for m in members {
                seeds.append(SeedDecl(id: Text(text: m.key, position: m.keyPosition),
                                      value: try decodeTensor(m.value, what: "seed for \(quoted(m.key))"), valuePosition: m.value.position))
            }
        }
        return ModelFile(position: root.position, name: name, description: description, inputs: decodedInputs, functions: functions,
                         nodes: decodedNodes, nodesPosition: nodes.position, outputs: outputs, seeds: seeds,
                         seedPosition: root["seed"]?.position)
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

    // MARK: Inputs

    func decodeInput(_ m: JSONMember) throws -> InputDecl {
        let id = m.key, v = m.value
        var input = InputDecl(id: Text(text: id, position: m.keyPosition), value: .literal(Tensor(0)), requiresGradient: true)
        guard let keys = v.objectMembers else {
            input.value = .literal(try decodeTensor(v, what: "input \(quoted(id))"))
            return input
        }
        for k in keys where !Self.inputKeys.contains(k.key) {
            throw fail("input \(quoted(id)): " + unknownKey(k.key, Self.inputKeys, what: "key"), at: k.keyPosition)
        }
        if let g = v["grad"] {
            guard let b = g.boolValue else { throw fail("input \(quoted(id)): \"grad\" must be true or false, got \(g.kindDescription)", at: g.position) }
            input.requiresGradient = b
        }
        input.label = try optionalString(v["label"], "label")
        input.doc = try optionalString(v["doc"], "doc")
        if let value = v["value"] {
            for k in ["shape", "init", "fill", "mean", "std", "low", "high", "seed"] where v[k] != nil {
                throw fail("input \(quoted(id)): \"\(k)\" cannot be used with \"value\"", at: v.member(k)!.keyPosition)
            }
            input.value = .literal(try decodeTensor(value, what: "input \(quoted(id))"))
        } else {
            input.value = .generated(try decodeInit(v, id: id))
        }
        return input
    }

    func decodeInit(_ v: JSONValue, id: String) throws -> InputInit {
        guard let shapeValue = v["shape"], let initValue = v["init"] else {
            throw fail("input \(quoted(id)) needs \"value\", or \"shape\" and \"init\"", at: v.position)
        }
        guard let kind = initValue.stringValue, Self.inits.contains(kind) else {
            let got = initValue.stringValue.map { quoted($0) } ?? initValue.kindDescription
            var message = "input \(quoted(id)): unknown init \(got) (expected one of: \(Self.inits.joined(separator: ", ")))"
            if let s = initValue.stringValue, let near = nearestName(to: s, in: Self.inits) { message = "input \(quoted(id)): unknown init \(quoted(s)) (did you mean \(quoted(near))?)" }
            throw fail(message, at: initValue.position)
        }
        let shape = try decodeShape(shapeValue, what: "input \(quoted(id)) shape")
        let allowed = Self.initKeys[kind]!
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

    func decodeShape(_ v: JSONValue, what: String) throws -> [Int] {
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
    func decodeTensor(_ v: JSONValue, what: String) throws -> Tensor {
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

    func decodeFunctions(_ v: JSONValue) throws -> [FunctionDecl] {
        guard let members = v.objectMembers else {
            throw fail("\"functions\" must be an object of name: function, got \(v.kindDescription)", at: v.position)
        }
        return try members.map(decodeFunction)
    }

    func decodeFunction(_ m: JSONMember) throws -> FunctionDecl {
        let f = m.value
        let place = "function \(quoted(m.key))"
        guard let keys = f.objectMembers else { throw fail("\(place) must be an object with \"params\" and \"body\" (or \"forward\" and \"backward\")", at: f.position) }
        for k in keys where !Self.functionKeys.contains(k.key) {
            throw fail("\(place): " + unknownKey(k.key, Self.functionKeys, what: "key"), at: k.keyPosition)
        }
        guard let paramsValue = f["params"], let params = paramsValue.arrayElements else {
            throw fail("\(place) needs \"params\", an array of parameter names", at: f.position)
        }
        let names = try params.map { p in
            guard let s = p.stringValue, isIdentifier(s) else { throw fail("\(place): a param must be a name, got \(JSONWriter.string(p))", at: p.position) }
            return Text(text: s, position: p.position)
        }
        func expression(_ key: String, _ x: JSONValue) throws -> Text {
            guard let text = x.stringValue else { throw fail("\(place): \"\(key)\" must be an expression string, got \(x.kindDescription)", at: x.position) }
            return Text(text: text, position: x.position)
        }
        let doc = try optionalString(f["doc"], "doc")
        let kind: FunctionDecl.Kind
        if let body = f["body"] {
            for k in ["forward", "backward"] where f[k] != nil {
                throw fail("\(place): \"\(k)\" cannot be used with \"body\" (a composite op differentiates its body)", at: f.member(k)!.keyPosition)
            }
            kind = .composite(body: try expression("body", body))
        } else if let forward = f["forward"] {
            guard let backward = f["backward"], let entries = backward.objectMembers else {
                throw fail("\(place) has \"forward\" and needs \"backward\": an object giving each param's gradient", at: f.position)
            }
            let forwardText = try expression("forward", forward)
            let grads = try entries.map { e in
                (param: Text(text: e.key, position: e.keyPosition), expression: try expression("backward for \(quoted(e.key))", e.value))
            }
            kind = .primitive(forward: forwardText, backward: grads, backwardPosition: backward.position)
        } else {
            throw fail("\(place) needs \"body\" (a composite op) or \"forward\" and \"backward\" (a custom primitive)", at: f.position)
        }
        return FunctionDecl(name: Text(text: m.key, position: m.keyPosition), position: f.position, params: names, doc: doc, kind: kind)
    }

    // MARK: Nodes

    func decodeNode(_ node: JSONValue) throws -> NodeDecl {
        guard let members = node.objectMembers else { throw fail("a node must be an object, got \(node.kindDescription)", at: node.position) }
        let fields: NodeFields
        do { fields = try NodeFields(members) } catch {
            throw fail("node: " + unknownKey(error.member.key, Self.nodeKeys, what: "key"), at: error.member.keyPosition)
        }
        var names: [Text] = []
        if let id = fields.id?.value {
            guard let s = id.stringValue else { throw fail("node \"id\" must be a string, got \(id.kindDescription)", at: id.position) }
            names = [Text(text: s, position: id.position)]
        }
        if let outs = fields.outputs?.value {
            guard let items = outs.arrayElements, !items.isEmpty else {
                throw fail("node \"outputs\" must be a non-empty array of ids", at: outs.position)
            }
            for o in items {
                guard let s = o.stringValue else { throw fail("node \"outputs\" must hold id strings, got \(o.kindDescription)", at: o.position) }
                names.append(Text(text: s, position: o.position))
            }
        }
        if let id = fields.id {
            guard fields.outputs == nil else { throw fail("a node has \"id\" or \"outputs\", not both", at: id.value.position) }
        } else if fields.outputs == nil {
            throw fail("a node needs an \"id\" (or \"outputs\" for several results)", at: node.position)
        }
        var what: String { describeNode(names.map(\.text)) }
        var group: String?
        if let g = fields.group?.value {
            guard let s = g.stringValue, !s.isEmpty, !s.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty }) else {
                throw fail("\(what): \"group\" must be a path like \"block1/attn\" (no empty parts)", at: g.position)
            }
            group = s
        }
        let body: NodeDecl.Body
        if let exprValue = fields.expr?.value {
            for m in [fields.op, fields.inputs, fields.attrs] {
                if let m { throw fail("\(what): \"\(m.key)\" cannot be used with \"expr\"", at: m.keyPosition) }
            }
            guard names.count == 1 else { throw fail("\(what): an \"expr\" node has one \"id\"", at: node.position) }
            guard let text = exprValue.stringValue else { throw fail("\(what): \"expr\" must be a string, got \(exprValue.kindDescription)", at: exprValue.position) }
            body = .expression(Text(text: text, position: exprValue.position))
        } else {
            body = .op(try decodeOpCall(fields, what: describeNode(names.map(\.text)), at: node.position))
        }
        return NodeDecl(position: node.position, names: names, hasOutputsKey: fields.outputs != nil, group: group,
                        label: try optionalString(fields.label?.value, "label"), doc: try optionalString(fields.doc?.value, "doc"),
                        body: body)
    }

    func decodeOpCall(_ fields: NodeFields, what describe: @autoclosure () -> String, at position: SourcePosition) throws -> OpCall {
        var what: String { describe() }
        guard let opValue = fields.op?.value else { throw fail("\(what) needs \"op\" and \"inputs\", or \"expr\"", at: position) }
        guard let opName = opValue.stringValue else { throw fail("\(what): \"op\" must be a string, got \(opValue.kindDescription)", at: opValue.position) }
        guard let inputs = fields.inputs?.value else {
            throw fail("\(what): \"op\" needs \"inputs\" (an array of ids and numbers)", at: position)
        }
        guard let items = inputs.arrayElements else { throw fail("\(what): \"inputs\" must be an array of ids and numbers", at: inputs.position) }
        let args = try items.map { item -> OpCall.Argument in
            if let s = item.stringValue { return .id(Text(text: s, position: item.position)) }
            if let d = item.doubleValue { return .number(d, item.position) }
            throw fail("\(what): an input must be an id or a number, got \(item.kindDescription)", at: item.position)
        }
        var attributes: [(name: String, value: AttrValue)] = []
        let attrs = fields.attrs?.value
        if let attrs {
            guard let members = attrs.objectMembers else { throw fail("\(what): \"attrs\" must be an object, got \(attrs.kindDescription)", at: attrs.position) }
            for m in members { attributes.append((m.key, try decodeAttribute(m.value, name: m.key))) }
        }
        return OpCall(op: Text(text: opName, position: opValue.position), inputs: args, inputsPosition: inputs.position,
                      attributes: attributes, attributesPosition: attrs?.position)
    }

    func decodeAttribute(_ v: JSONValue, name: String) throws -> AttrValue {
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
}

/// The members of a node object, picked out by key in one pass.
struct NodeFields {
    var id, outputs, op, inputs, attrs, expr, label, group, doc: JSONMember?

    /// A key no node has.
    struct UnknownKey: Error { let member: JSONMember }

    init(_ members: [JSONMember]) throws(UnknownKey) {
        for m in members {
            switch m.key {
            case "id": id = m
            case "outputs": outputs = m
            case "op": op = m
            case "inputs": inputs = m
            case "attrs": attrs = m
            case "expr": expr = m
            case "label": label = m
            case "group": group = m
            case "doc": doc = m
            default: throw UnknownKey(member: m)
            }
        }
    }
}
