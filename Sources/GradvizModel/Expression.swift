import GradvizCore

// Parser for `expr` strings and function bodies (spec: "Expressions").
//
//   expr    := sum
//   sum     := term (('+' | '-') term)*
//   term    := unary (('*' | '/') unary)*
//   unary   := '-' unary | power             -x^2 is -(x^2); 2*-x is allowed
//   power   := primary ('^' unary)?           right-associative; x^-2 is allowed
//   primary := number | name | call | '(' expr ')'
//   call    := name '(' [arg (',' arg)*] ')'  arg := expr | name '=' attribute
//
// Offsets are 0-based and count Unicode scalars; columns are offset + 1.

/// An operator of a left-associative chain; `+ -` and `* /` never share a chain.
enum ChainOperator: Character, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/"

    /// The op implementing it: "add", "sub", "mul" or "div".
    var opName: String {
        switch self {
        case .add: return "add"
        case .sub: return "sub"
        case .mul: return "mul"
        case .div: return "div"
        }
    }

    /// 1 for `+ -`, 2 for `* /`.
    var precedence: Int { self == .add || self == .sub ? 1 : 2 }
}

/// `op operand` following the previous operands of a chain.
struct ChainLink: Sendable, Equatable {
    var op: ChainOperator
    var operand: Expr
    /// Offset of the operator character.
    var offset: Int

    init(_ op: ChainOperator, _ operand: Expr, offset: Int = 0) {
        self.op = op
        self.operand = operand
        self.offset = offset
    }

    static func == (a: ChainLink, b: ChainLink) -> Bool { a.op == b.op && a.operand == b.operand }
}

/// The value of a named argument such as `axis=-1` or `approximate="tanh"`.
enum AttrLiteral: Sendable, Equatable, CustomStringConvertible {
    /// A literal without fraction or exponent that fits in Int.
    case int(Int)
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
    case list([AttrLiteral])

    /// The same value as JSON, so expression attributes can be checked like a node's `attrs`.
    func jsonValue(at position: SourcePosition = .unknown) -> JSONValue {
        switch self {
        case .int(let n): return JSONValue(.number(Double(n), isInteger: true), at: position)
        case .number(let d): return JSONValue(.number(d, isInteger: false), at: position)
        case .string(let s): return JSONValue(.string(s), at: position)
        case .bool(let b): return JSONValue(.bool(b), at: position)
        case .null: return JSONValue(.null, at: position)
        case .list(let items): return JSONValue(.array(items.map { $0.jsonValue(at: position) }), at: position)
        }
    }

    /// Source text that parses back to this value.
    var description: String {
        switch self {
        case .int(let n): return String(n)
        case .number(let d): return d.description  // keeps ".0" so it stays a real
        case .string(let s):
            var out = "\""
            for c in s.unicodeScalars {
                if c == "\"" || c == "\\" { out.append("\\") }
                out.unicodeScalars.append(c)
            }
            return out + "\""
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// A named argument of a call.
struct ExprAttribute: Sendable, Equatable {
    var name: String
    var value: AttrLiteral
    /// Offset of the name.
    var offset: Int

    init(_ name: String, _ value: AttrLiteral, offset: Int = 0) {
        self.name = name
        self.value = value
        self.offset = offset
    }

    static func == (a: ExprAttribute, b: ExprAttribute) -> Bool { a.name == b.name && a.value == b.value }
}

/// A parsed expression.
///
/// `a - b + c` is one `chain(a, [-b, +c])` rather than nested binary nodes, so a
/// long sum is a flat list: the tree's depth stays bounded by the nesting limit,
/// and recursive code over it (including Swift's own deallocation) cannot
/// overflow the stack. A chain is evaluated left to right, `((a - b) + c)`, has at
/// least one link, and all its operators have the same precedence.
///
/// Equality compares structure, not offsets, so `parse("x+1") == parse("x + 1")`.
indirect enum Expr: Sendable, Equatable, CustomStringConvertible {
    /// A literal; the parser only produces non-negative ones (`-2` is `neg(2)`).
    case number(Double, offset: Int)
    case name(String, offset: Int)
    /// Unary minus; offset of the `-`.
    case neg(Expr, offset: Int)
    case chain(Expr, [ChainLink])
    /// `base ^ exponent`; offset of the `^`.
    case power(Expr, Expr, offset: Int)
    /// `name(args..., attr=value...)`; offset of the name.
    case call(String, args: [Expr], attrs: [ExprAttribute], offset: Int)

    /// Where the node's operation is written: the token for literals, names and
    /// calls, the operator for `neg` and `power`, the first operator of a chain.
    var offset: Int {
        switch self {
        case .number(_, let o), .name(_, let o), .neg(_, let o), .power(_, _, let o), .call(_, _, _, let o):
            return o
        case .chain(let first, let links):
            return links.first?.offset ?? first.offset
        }
    }

    /// 1-based column of `offset`.
    var column: Int { offset + 1 }

    static func == (a: Expr, b: Expr) -> Bool {
        switch (a, b) {
        case let (.number(x, _), .number(y, _)): return x == y
        case let (.name(x, _), .name(y, _)): return x == y
        case let (.neg(x, _), .neg(y, _)): return x == y
        case let (.chain(x, xs), .chain(y, ys)): return x == y && xs == ys
        case let (.power(x1, x2, _), .power(y1, y2, _)): return x1 == y1 && x2 == y2
        case let (.call(f, xs, xa, _), .call(g, ys, ya, _)): return f == g && xs == ys && xa == ya
        default: return false
        }
    }

    // MARK: Names

    /// The ids the expression reads (not the names of called ops), each once,
    /// in order of first appearance with that appearance's offset.
    var freeNames: [(name: String, offset: Int)] {
        var result: [(name: String, offset: Int)] = []
        var seen: Set<String> = []
        visit { e in
            if case .name(let n, let o) = e, seen.insert(n).inserted { result.append((n, o)) }
        }
        return result
    }

    /// The ops and functions the expression calls, each once, in order of first appearance.
    var calledNames: [(name: String, offset: Int)] {
        var result: [(name: String, offset: Int)] = []
        var seen: Set<String> = []
        visit { e in
            if case .call(let n, _, _, let o) = e, seen.insert(n).inserted { result.append((n, o)) }
        }
        return result
    }

    /// Pre-order, left to right (source order for parsed expressions).
    private func visit(_ body: (Expr) -> Void) {
        body(self)
        switch self {
        case .number, .name: break
        case .neg(let x, _): x.visit(body)
        case .chain(let first, let links):
            first.visit(body)
            for link in links { link.operand.visit(body) }
        case .power(let b, let x, _):
            b.visit(body)
            x.visit(body)
        case .call(_, let args, _, _):
            for a in args { a.visit(body) }
        }
    }

    // MARK: Printing

    /// Source text with as few parentheses as the grammar needs; for parsed
    /// expressions `try Expr.parse(e.description) == e`.
    var description: String {
        var out = ""
        write(to: &out, minLevel: 0)
        return out
    }

    /// Binding strength: 1 sum, 2 product, 3 unary minus, 4 power, 5 atom.
    private var level: Int {
        switch self {
        case .chain(let first, let links): return links.first?.op.precedence ?? first.level
        case .neg: return 3
        case .power: return 4
        case .number(let d, _): return d.sign == .minus ? 3 : 5  // printed with a leading '-'
        case .name, .call: return 5
        }
    }

    private func write(to out: inout String, minLevel: Int) {
        let parenthesize = level < minLevel
        if parenthesize { out += "(" }
        switch self {
        case .number(let d, _):
            out += d.isNaN ? "nan" : d.isInfinite ? (d < 0 ? "-inf" : "inf") : JSONWriter.format(d)
        case .name(let n, _):
            out += n
        case .neg(let x, _):
            out += "-"
            x.write(to: &out, minLevel: 3)
        case .power(let base, let exponent, _):
            base.write(to: &out, minLevel: 5)
            out += "^"
            exponent.write(to: &out, minLevel: 3)
        case .chain(let first, let links):
            let level = self.level
            first.write(to: &out, minLevel: level)
            for link in links {
                out += " \(link.op.rawValue) "
                // The right operand binds tighter: a - (b - c) keeps its parentheses.
                link.operand.write(to: &out, minLevel: level + 1)
            }
        case .call(let name, let args, let attrs, _):
            out += name + "("
            var first = true
            for a in args {
                if !first { out += ", " }
                first = false
                a.write(to: &out, minLevel: 0)
            }
            for a in attrs {
                if !first { out += ", " }
                first = false
                out += a.name + "=" + a.value.description
            }
            out += ")"
        }
        if parenthesize { out += ")" }
    }

    // MARK: Parsing

    /// The deepest nesting `parse` accepts by default. Parentheses, calls, lists,
    /// each unary minus and each `^` count as one level; the length of a flat
    /// chain such as `x + x + ... + x` does not.
    static let defaultMaxDepth = 200

    /// Parses an `expr` string or function body.
    static func parse(_ source: String, maxDepth: Int = defaultMaxDepth) throws(ExpressionError) -> Expr {
        var parser = ExpressionParser(Array(source.unicodeScalars), maxDepth: maxDepth)
        return try parser.parseWhole()
    }
}

/// A syntax error in an expression. `description` is one line:
/// "column 7: expected an operand after '*'".
struct ExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 0-based offset in Unicode scalars.
    var offset: Int
    var message: String

    init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    var column: Int { offset + 1 }
    var description: String { "column \(column): \(message)" }

    /// The source on one line and a caret under the error, for multi-line reports:
    ///
    ///     sum(x * )
    ///             ^
    func caretDiagram(for source: String) -> String {
        var line = ""
        var caret = ""
        for (k, c) in source.unicodeScalars.enumerated() {
            let shown: Unicode.Scalar = c == "\n" || c == "\r" ? " " : c
            line.unicodeScalars.append(shown)
            // Keep tabs so the caret lines up however wide a tab is shown.
            if k < offset { caret.unicodeScalars.append(shown == "\t" ? "\t" : " ") }
        }
        caret += String(repeating: " ", count: max(0, offset - source.unicodeScalars.count))
        return line + "\n" + caret + "^"
    }
}
