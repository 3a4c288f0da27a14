import GradvizCore

/// A user-defined function of the `functions` section.
public struct FunctionDef: Sendable {
    enum Kind: Sendable {
        /// A composite op: calls expand into the body's nodes.
        case composite(body: Expr)
        /// A custom primitive: one node, with the user's backward per param.
        case primitive(forward: Expr, backward: [String: Expr])
    }
    public let name: String
    public let params: [String]
    let kind: Kind
    public let doc: String?
    /// Source text of the body or forward, for labels and tooltips.
    public let source: String
    let backwardSource: [String: String]
}

/// The functions of a model, checked: names, params, expressions, every call naming an op
/// or a function, a call graph without cycles and not too deep; and how many plan nodes a
/// call of each composite expands to, known before anything is expanded.
final class FunctionTable: @unchecked Sendable {
    let functions: [String: FunctionDef]
    /// Plan nodes one call of each composite function expands to (saturating at Int.max),
    /// and the callee that contributes most to it, for messages.
    private(set) var sizes: [String: (nodes: Int, largest: (callee: String, calls: Int)?)] = [:]

    init(_ functions: [String: FunctionDef]) { self.functions = functions }

    /// Checks the decoded functions of `file`.
    static func check(_ decls: [FunctionDecl], file: String) throws -> FunctionTable {
        func fail(_ message: String, at position: SourcePosition?) -> ModelError {
            ModelError(file: file, position: position, message: message)
        }
        var defs: [String: FunctionDef] = [:]
        var positions: [String: SourcePosition] = [:]
        var bodies: [String: [(Expr, SourcePosition, String)]] = [:]
        for d in decls {
            let fname = d.name.text
            let place = "function \(quoted(fname))"
            guard isIdentifier(fname), !fname.contains(".") else { throw fail("function name \(quoted(fname)) is not a valid name", at: d.name.position) }
            guard OpRegistry.type(named: fname) == nil else { throw fail("\(place) would hide the built-in op \(quoted(fname)); choose another name", at: d.name.position) }
            var names: [String] = []
            for p in d.params {
                guard !names.contains(p.text) else { throw fail("\(place): param \(quoted(p.text)) appears twice", at: p.position) }
                guard p.text != "grad", p.text != "out" else { throw fail("\(place): \(quoted(p.text)) is reserved for backward expressions; rename the param", at: p.position) }
                names.append(p.text)
            }
            let paramSet = Set(names)
            func parse(_ key: String, _ x: Text, allowed: Set<String>) throws -> Expr {
                let e: Expr
                do { e = try Expr.parse(x.text) } catch { throw fail("\(place) \(key), column \(error.column): \(error.message)", at: x.position) }
                for (n, offset) in e.freeNames where !allowed.contains(n) {
                    throw fail("\(place) \(key), column \(offset + 1): \(quoted(n)) is not a param of \(fname) (params: \(names.joined(separator: ", "))\(allowed.contains("grad") ? ", grad, out" : ""))", at: x.position)
                }
                bodies[fname, default: []].append((e, x.position, key))
                return e
            }
            switch d.kind {
            case .composite(let body):
                defs[fname] = FunctionDef(name: fname, params: names, kind: .composite(body: try parse("body", body, allowed: paramSet)),
                                          doc: d.doc, source: body.text, backwardSource: [:])
            case .primitive(let forward, let backward, let backwardPosition):
                let fe = try parse("forward", forward, allowed: paramSet)
                var grads: [String: Expr] = [:], sources: [String: String] = [:]
                for (param, expression) in backward {
                    guard paramSet.contains(param.text) else {
                        throw fail("\(place): backward has an entry for \(quoted(param.text)), which is not a param (params: \(names.joined(separator: ", ")))", at: param.position)
                    }
                    grads[param.text] = try parse("backward for \(quoted(param.text))", expression, allowed: paramSet.union(["grad", "out"]))
                    sources[param.text] = expression.text
                }
                for p in names where grads[p] == nil {
                    throw fail("\(place): backward has no entry for param \(quoted(p)) (write \"0\" if it has no gradient)", at: backwardPosition)
                }
                defs[fname] = FunctionDef(name: fname, params: names, kind: .primitive(forward: fe, backward: grads), doc: d.doc,
                                          source: forward.text, backwardSource: sources)
            }
            positions[fname] = d.name.position
        }
        // Every call names an op or a function.
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
        let table = FunctionTable(defs)
        for fname in try callOrder(callees, positions, fail: fail) { table.measure(fname) }
        return table
    }

    /// Every function, each after the functions it calls; rejects recursion (a call cycle)
    /// and nesting deeper than maxCallDepth, without recursing.
    private static func callOrder(_ callees: [String: [String]], _ positions: [String: SourcePosition],
                                  fail: (String, SourcePosition?) -> ModelError) throws -> [String] {
        var depth: [String: Int] = [:]      // finished: longest call chain below
        var onStack: [String: Int] = [:]    // index in path
        var order: [String] = []
        for start in positions.keys.sorted() where depth[start] == nil {
            var path: [(name: String, next: Int)] = [(start, 0)]
            onStack[start] = 0
            while let top = path.last {
                let list = callees[top.name] ?? []
                if top.next < list.count {
                    path[path.count - 1].next += 1
                    let callee = list[top.next]
                    if let i = onStack[callee] {
                        let cycle = path[i...].map(\.name) + [callee]
                        throw fail("function \(quoted(callee)) is recursive: \(cycle.joined(separator: " → ")); functions may not call themselves", positions[callee])
                    }
                    if depth[callee] == nil {
                        onStack[callee] = path.count
                        path.append((callee, 0))
                    }
                } else {
                    depth[top.name] = 1 + (list.map { depth[$0] ?? 0 }.max() ?? 0)
                    if depth[top.name]! > ModelLoader.maxCallDepth {
                        throw fail("function \(quoted(top.name)) nests calls more than \(ModelLoader.maxCallDepth) deep", positions[top.name])
                    }
                    onStack[top.name] = nil
                    path.removeLast()
                    order.append(top.name)
                }
            }
        }
        return order
    }

    // MARK: Expanded sizes

    /// Records the size of a call of `fname`, whose callees are measured.
    private func measure(_ fname: String) {
        guard let f = functions[fname], case .composite(let body) = f.kind else { return }
        var calls: [String: Int] = [:]
        var nodes = Self.add(f.params.count, size(of: body, calls: &calls))
        // A body that is a name or a number gets an identity node of its own.
        if case .name = body { nodes = Self.add(nodes, 1) }
        if case .number = body { nodes = Self.add(nodes, 1) }
        let largest = calls.max { a, b in
            let x = Self.multiply(sizes[a.key]!.nodes, a.value), y = Self.multiply(sizes[b.key]!.nodes, b.value)
            return x != y ? x < y : a.key > b.key
        }
        sizes[fname] = (nodes, largest.map { ($0.key, $0.value) })
    }

    /// Plan nodes the expression expands to; `calls` counts the composite calls in it.
    func size(of e: Expr, calls: inout [String: Int]) -> Int {
        switch e {
        case .number: return 1
        case .name: return 0
        case .neg(let x, _): return Self.add(1, size(of: x, calls: &calls))
        case .chain(let first, let links):
            var n = size(of: first, calls: &calls)
            for link in links { n = Self.add(n, Self.add(1, size(of: link.operand, calls: &calls))) }
            return n
        case .power(let b, let x, _): return Self.add(1, Self.add(size(of: b, calls: &calls), size(of: x, calls: &calls)))
        case .call(let name, let args, _, _):
            var n = 0
            for a in args { n = Self.add(n, size(of: a, calls: &calls)) }
            if let s = sizes[name] {
                calls[name, default: 0] += 1
                return Self.add(n, s.nodes)
            }
            return Self.add(n, 1)
        }
    }

    /// Plan nodes an expression of a node expands to (an identity for a lone name or number).
    func size(of e: Expr) -> Int {
        var calls: [String: Int] = [:]
        let n = size(of: e, calls: &calls)
        if case .name = e { return n + 1 }
        if case .number = e { return n + 1 }
        return n
    }

    /// How a call of `fname` grows: "f3 → 2 × f2 → 2 × f1", following the callee that
    /// contributes most at each level.
    func growth(of fname: String) -> String {
        var text = fname, name = fname
        var seen: Set<String> = [fname]
        while let (callee, calls) = sizes[name]?.largest, seen.insert(callee).inserted {
            text += " → " + (calls == 1 ? callee : "\(calls) × \(callee)")
            name = callee
        }
        return text
    }

    static func add(_ a: Int, _ b: Int) -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : s
    }

    static func multiply(_ a: Int, _ b: Int) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : p
    }
}
