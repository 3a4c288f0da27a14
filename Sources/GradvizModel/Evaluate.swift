import GradvizCore

/// An error inside an expression, at a 0-based offset of its text.
struct ExprFailure: Error {
    let message: String
    let offset: Int
}

/// What an expression evaluates into. The same evaluator walks an expression to infer
/// shapes, to compute tensors (custom primitives) and to emit graph nodes (the loader).
protocol ExprDomain {
    associatedtype V
    var table: FunctionTable { get }
    mutating func constant(_ value: Double) throws -> V
    mutating func apply(_ op: any Op, _ args: [V], offset: Int) throws -> V
    /// A call of a composite function; by default its body is evaluated in place.
    mutating func composite(_ f: FunctionDef, _ args: [V], offset: Int) throws -> V
    /// A call of a custom primitive.
    mutating func primitive(_ f: FunctionDef, _ args: [V], offset: Int) throws -> V
}

/// The op written by an operator character of a chain.
func chainOp(_ op: ChainOperator) -> any Op {
    switch op {
    case .add: return Add()
    case .sub: return Sub()
    case .mul: return Mul()
    case .div: return Div()
    }
}

/// Converts an attribute literal of an expression to an op attribute.
func attrValue(_ literal: AttrLiteral, name: String) throws -> AttrValue {
    switch literal {
    case .int(let i): return .int(i)
    case .number(let d): return .double(d)
    case .string(let s): return .string(s)
    case .bool(let b): return .bool(b)
    case .null: return .null
    case .list(let items):
        var ints: [Int] = []
        for item in items {
            guard case .int(let i) = item else { throw OpError("attribute \(quoted(name)) must be a list of integers, got \(literal)") }
            ints.append(i)
        }
        return .ints(ints)
    }
}

extension ExprDomain {
    /// Evaluates `e` with `env` binding names. Recursion follows the expression's nesting,
    /// which the parser bounds; chains (long sums) are loops.
    mutating func evaluate(_ e: Expr, _ env: [String: V]) throws -> V {
        switch e {
        case .number(let v, _):
            return try constant(v)
        case .name(let n, let offset):
            guard let v = env[n] else { throw ExprFailure(message: "\(quoted(n)) is not defined here", offset: offset) }
            return v
        case .neg(let x, let offset):
            return try apply(Neg(), [evaluate(x, env)], offset: offset)
        case .chain(let first, let links):
            var acc = try evaluate(first, env)
            for link in links {
                acc = try apply(chainOp(link.op), [acc, evaluate(link.operand, env)], offset: link.offset)
            }
            return acc
        case .power(let base, let exponent, let offset):
            return try apply(Pow(), [evaluate(base, env), evaluate(exponent, env)], offset: offset)
        case .call(let name, let args, let attrs, let offset):
            var values: [V] = []
            for a in args { values.append(try evaluate(a, env)) }
            if let f = table.functions[name] {
                guard attrs.isEmpty else {
                    throw ExprFailure(message: "function \(quoted(name)) takes no attributes (got \(attrs[0].name)=)", offset: attrs[0].offset)
                }
                guard values.count == f.params.count else {
                    throw ExprFailure(message: "function \(quoted(name)) takes \(f.params.count) argument\(f.params.count == 1 ? "" : "s") (\(f.params.joined(separator: ", "))), got \(values.count)", offset: offset)
                }
                switch f.kind {
                case .composite: return try composite(f, values, offset: offset)
                case .primitive: return try primitive(f, values, offset: offset)
                }
            }
            let op: any Op
            do {
                var given: [(String, AttrValue)] = []
                for a in attrs { given.append((a.name, try attrValue(a.value, name: a.name))) }
                op = try OpRegistry.make(name, given)
            } catch let error as OpError {
                var message = error.message
                if message.hasPrefix("unknown op"), let near = nearestName(to: name, in: OpRegistry.names + table.functions.keys.sorted()) {
                    message = "unknown op or function \(quoted(name)) (did you mean \(quoted(near))?)"
                } else if message.hasPrefix("unknown op") {
                    message = "unknown op or function \(quoted(name))"
                }
                throw ExprFailure(message: message, offset: offset)
            }
            guard op.info.outputCount == 1 else {
                throw ExprFailure(message: "\(name) has several outputs and cannot be used inside an expression; use a node with \"outputs\"", offset: offset)
            }
            guard op.info.arity.contains(values.count) else {
                throw ExprFailure(message: "\(name) takes \(arityText(op.info)), got \(values.count)", offset: offset)
            }
            return try apply(op, values, offset: offset)
        }
    }

    /// The body of a composite, or the forward of a primitive, with params bound to `args`.
    mutating func evaluateBody(_ f: FunctionDef, _ args: [V]) throws -> V {
        let env = Dictionary(uniqueKeysWithValues: zip(f.params, args))
        switch f.kind {
        case .composite(let body): return try evaluate(body, env)
        case .primitive(let forward, _): return try evaluate(forward, env)
        }
    }

    mutating func composite(_ f: FunctionDef, _ args: [V], offset: Int) throws -> V { try evaluateBody(f, args) }
    mutating func primitive(_ f: FunctionDef, _ args: [V], offset: Int) throws -> V { try evaluateBody(f, args) }
}

/// Shapes only: checks an expression before anything is computed.
struct ShapeDomain: ExprDomain {
    let table: FunctionTable
    mutating func constant(_ value: Double) throws -> [Int] { [] }
    mutating func apply(_ op: any Op, _ args: [[Int]], offset: Int) throws -> [Int] {
        do { return try op.outputShapes(args)[0] } catch { throw ExprFailure(message: error.message, offset: offset) }
    }
}

/// Tensors: computes an expression (a custom primitive's forward and backward).
struct TensorDomain: ExprDomain {
    let table: FunctionTable
    mutating func constant(_ value: Double) throws -> Tensor { Tensor(value) }
    mutating func apply(_ op: any Op, _ args: [Tensor], offset: Int) throws -> Tensor {
        do {
            _ = try op.outputShapes(args.map(\.shape))
            return try op.forward(args)[0]
        } catch { throw ExprFailure(message: error.message, offset: offset) }
    }
}

/// A custom primitive: one node whose forward is the user's expression and whose vjp is
/// the user's backward expression for each param, evaluated with `grad` (the upstream
/// gradient), `out` (the forward result) and the params.
struct CustomPrimitive: Op {
    public static let info = OpInfo(name: "custom", inputs: [InputSpec("x", variadic: true)],
        gradient: "the function's backward expressions", summary: "a user-defined primitive")
    public let function: FunctionDef
    let table: FunctionTable
    public let attributes: Attributes

    init(_ function: FunctionDef, table: FunctionTable) {
        self.function = function
        self.table = table
        self.attributes = Attributes(defaultsFor: Self.info)
    }

    public init(_ attributes: Attributes) throws(OpError) {
        throw OpError("custom primitives are built by the model loader")
    }

    /// The instance's own signature, so arity and messages name the function and its params.
    public var info: OpInfo {
        OpInfo(name: function.name, symbol: function.name, inputs: function.params.map { InputSpec($0) },
               gradient: function.params.map { "d\($0) = \(function.backwardSource[$0] ?? "0")" }.joined(separator: ";  "),
               summary: "custom primitive: \(function.source)")
    }

    public func outputShapes(_ inputs: [[Int]]) throws(OpError) -> [[Int]] {
        var d = ShapeDomain(table: table)
        do { return [try d.evaluateBody(function, inputs)] }
        catch let e as ExprFailure { throw OpError("\(function.name) forward, column \(e.offset + 1): \(e.message)") }
        catch { throw OpError("\(function.name): \(error)") }
    }

    /// Shape of each param's backward expression, for checking before computing.
    func backwardShapes(_ inputs: [[Int]], output: [Int]) throws(OpError) -> [String: [Int]] {
        guard case .primitive(_, let backward) = function.kind else { return [:] }
        var d = ShapeDomain(table: table)
        var env = Dictionary(uniqueKeysWithValues: zip(function.params, inputs))
        env["grad"] = output
        env["out"] = output
        var shapes: [String: [Int]] = [:]
        for p in function.params {
            guard let e = backward[p] else { continue }
            do { shapes[p] = try d.evaluate(e, env) }
            catch let e as ExprFailure { throw OpError("\(function.name) backward for \(quoted(p)), column \(e.offset + 1): \(e.message)") }
            catch { throw OpError("\(function.name): \(error)") }
        }
        return shapes
    }

    public func forward(_ inputs: [Tensor]) throws(OpError) -> [Tensor] {
        var d = TensorDomain(table: table)
        do { return [try d.evaluateBody(function, inputs)] }
        catch let e as ExprFailure { throw OpError("\(function.name) forward, column \(e.offset + 1): \(e.message)") }
        catch { throw OpError("\(function.name): \(error)") }
    }

    public func vjp(_ c: VJPContext) -> [Tensor?] {
        guard case .primitive(_, let backward) = function.kind else { return c.inputs.map { _ in nil } }
        var d = TensorDomain(table: table)
        var env = Dictionary(uniqueKeysWithValues: zip(function.params, c.inputs))
        env["grad"] = c.g
        env["out"] = c.y
        return function.params.enumerated().map { i, p -> Tensor? in
            guard c.needs(i), let e = backward[p],
                  let g = try? d.evaluate(e, env) else { return nil }
            // A constant such as "0" stands for a gradient of the param's shape.
            if g.shape != c[i].shape, g.count == 1 { return Tensor.full(c[i].shape, g.scalar) }
            return g
        }
    }
}
