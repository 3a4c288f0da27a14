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
public enum ChainOperator: Character, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/"

    /// The op implementing it: "add", "sub", "mul" or "div".
    public var opName: String {
        switch self {
        case .add: return "add"
        case .sub: return "sub"
        case .mul: return "mul"
        case .div: return "div"
        }
    }

    /// 1 for `+ -`, 2 for `* /`.
    public var precedence: Int { self == .add || self == .sub ? 1 : 2 }
}

/// `op operand` following the previous operands of a chain.
public struct ChainLink: Sendable, Equatable {
    public var op: ChainOperator
    public var operand: Expr
    /// Offset of the operator character.
    public var offset: Int

    public init(_ op: ChainOperator, _ operand: Expr, offset: Int = 0) {
        self.op = op
        self.operand = operand
        self.offset = offset
    }

    public static func == (a: ChainLink, b: ChainLink) -> Bool { a.op == b.op && a.operand == b.operand }
}

/// The value of a named argument such as `axis=-1` or `approximate="tanh"`.
public enum AttrLiteral: Sendable, Equatable, CustomStringConvertible {
    /// A literal without fraction or exponent that fits in Int.
    case int(Int)
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
    case list([AttrLiteral])

    /// The same value as JSON, so expression attributes can be checked like a node's `attrs`.
    public func jsonValue(at position: SourcePosition = .unknown) -> JSONValue {
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
    public var description: String {
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
public struct ExprAttribute: Sendable, Equatable {
    public var name: String
    public var value: AttrLiteral
    /// Offset of the name.
    public var offset: Int

    public init(_ name: String, _ value: AttrLiteral, offset: Int = 0) {
        self.name = name
        self.value = value
        self.offset = offset
    }

    public static func == (a: ExprAttribute, b: ExprAttribute) -> Bool { a.name == b.name && a.value == b.value }
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
public indirect enum Expr: Sendable, Equatable, CustomStringConvertible {
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
    public var offset: Int {
        switch self {
        case .number(_, let o), .name(_, let o), .neg(_, let o), .power(_, _, let o), .call(_, _, _, let o):
            return o
        case .chain(let first, let links):
            return links.first?.offset ?? first.offset
        }
    }

    /// 1-based column of `offset`.
    public var column: Int { offset + 1 }

    public static func == (a: Expr, b: Expr) -> Bool {
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
    public var freeNames: [(name: String, offset: Int)] {
        var result: [(name: String, offset: Int)] = []
        var seen: Set<String> = []
        visit { e in
            if case .name(let n, let o) = e, seen.insert(n).inserted { result.append((n, o)) }
        }
        return result
    }

    /// The ops and functions the expression calls, each once, in order of first appearance.
    public var calledNames: [(name: String, offset: Int)] {
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
    public var description: String {
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
    public static let defaultMaxDepth = 200

    /// Parses an `expr` string or function body.
    public static func parse(_ source: String, maxDepth: Int = defaultMaxDepth) throws(ExpressionError) -> Expr {
        var parser = ExpressionParser(Array(source.unicodeScalars), maxDepth: maxDepth)
        return try parser.parseWhole()
    }
}

/// A syntax error in an expression. `description` is one line:
/// "column 7: expected an operand after '*'".
public struct ExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 0-based offset in Unicode scalars.
    public var offset: Int
    public var message: String

    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var column: Int { offset + 1 }
    public var description: String { "column \(column): \(message)" }

    /// The source on one line and a caret under the error, for multi-line reports:
    ///
    ///     sum(x * )
    ///             ^
    public func caretDiagram(for source: String) -> String {
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

// MARK: - Parser

private struct ExpressionParser {
    let s: [Unicode.Scalar]
    let maxDepth: Int
    var i = 0
    var depth = 0

    init(_ s: [Unicode.Scalar], maxDepth: Int) {
        self.s = s
        self.maxDepth = maxDepth
    }

    var atEnd: Bool { i >= s.count }

    mutating func skipSpace() {
        while i < s.count, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
    }

    mutating func enter(at offset: Int) throws(ExpressionError) {
        depth += 1
        if depth > maxDepth { throw ExpressionError("expression nested deeper than \(maxDepth) levels", at: offset) }
    }

    mutating func leave() { depth -= 1 }

    mutating func parseWhole() throws(ExpressionError) -> Expr {
        skipSpace()
        if atEnd { throw ExpressionError("empty expression", at: 0) }
        let e = try parseSum(after: nil)
        skipSpace()
        if !atEnd {
            if s[i] == ")" { throw ExpressionError("unmatched ')'", at: i) }
            throw unexpected("expected an operator")
        }
        return e
    }

    // The functions on the recursion path (sum, term, unary, power, primary,
    // call) keep their frames small: `after` is the token before the operand as
    // a scalar, and messages are built in separate functions, only on error.
    // Unoptimized builds then need about 2 KB of stack per nesting level.

    mutating func parseSum(after: Unicode.Scalar?) throws(ExpressionError) -> Expr {
        let first = try parseTerm(after: after)
        var links: [ChainLink] = []
        while let op = nextOperator(precedence: 1) {
            let offset = i
            i += 1
            links.append(ChainLink(op, try parseTerm(after: s[offset]), offset: offset))
        }
        return chain(first, links)
    }

    mutating func parseTerm(after: Unicode.Scalar?) throws(ExpressionError) -> Expr {
        let first = try parseUnary(after: after)
        var links: [ChainLink] = []
        while let op = nextOperator(precedence: 2) {
            let offset = i
            i += 1
            if op == .mul && !atEnd && s[i] == "*" { throw doubleStarError(at: offset) }
            links.append(ChainLink(op, try parseUnary(after: s[offset]), offset: offset))
        }
        return chain(first, links)
    }

    /// The chain operator of this precedence at the next token, if any.
    mutating func nextOperator(precedence: Int) -> ChainOperator? {
        skipSpace()
        guard !atEnd, let op = ChainOperator(rawValue: Character(s[i])), op.precedence == precedence else { return nil }
        return op
    }

    /// Builds a chain; `(a + b) + c` joins `a + b + c` since both compute ((a + b) + c).
    func chain(_ first: Expr, _ links: [ChainLink]) -> Expr {
        guard let op = links.first?.op else { return first }
        if case .chain(let innerFirst, let innerLinks) = first, innerLinks.first?.op.precedence == op.precedence {
            return .chain(innerFirst, innerLinks + links)
        }
        return .chain(first, links)
    }

    mutating func parseUnary(after: Unicode.Scalar?) throws(ExpressionError) -> Expr {
        // A loop rather than recursion, though each '-' still counts as a level.
        var minuses: [Int] = []
        skipSpace()
        while !atEnd && s[i] == "-" {
            try enter(at: i)
            minuses.append(i)
            i += 1
            skipSpace()
        }
        var e = try parsePower(after: minuses.isEmpty ? after : "-")
        for offset in minuses.reversed() {
            e = .neg(e, offset: offset)
            leave()
        }
        return e
    }

    mutating func parsePower(after: Unicode.Scalar?) throws(ExpressionError) -> Expr {
        let base = try parsePrimary(after: after)
        skipSpace()
        guard !atEnd && s[i] == "^" else { return base }
        let offset = i
        i += 1
        try enter(at: offset)
        let exponent = try parseUnary(after: "^")
        leave()
        return .power(base, exponent, offset: offset)
    }

    mutating func parsePrimary(after: Unicode.Scalar?) throws(ExpressionError) -> Expr {
        skipSpace()
        guard !atEnd else { throw operandError(after: after) }
        let start = i
        if startsNumber() { return try parseNumber() }
        if isIdentifierStart(s[i]) {
            let name = lexIdentifier()
            skipSpace()
            if !atEnd && s[i] == "(" { return try parseCall(name, offset: start) }
            return .name(name, offset: start)
        }
        guard s[i] == "(" else { throw operandError(after: after) }
        i += 1
        try enter(at: start)
        let e = try parseSum(after: "(")
        leave()
        skipSpace()
        guard !atEnd && s[i] == ")" else { throw closingError(open: start, call: false) }
        i += 1
        return e
    }

    mutating func parseNumber() throws(ExpressionError) -> Expr {
        let start = i
        let (value, lexeme) = try lexNumber()
        guard value.isFinite else { throw ExpressionError("number \(quoted(lexeme)) is out of range", at: start) }
        return .number(value, offset: start)
    }

    mutating func parseCall(_ name: String, offset: Int) throws(ExpressionError) -> Expr {
        let open = i
        i += 1
        try enter(at: open)
        var args: [Expr] = []
        var attrs: [ExprAttribute] = []
        skipSpace()
        if !atEnd && s[i] == ")" {
            i += 1
            leave()
            return .call(name, args: [], attrs: [], offset: offset)
        }
        while true {
            skipSpace()
            if let attribute = try parseNamedArgument(after: attrs) {
                attrs.append(attribute)
            } else {
                if !attrs.isEmpty { throw ExpressionError("positional argument after named argument", at: i) }
                args.append(try parseSum(after: args.isEmpty ? "(" : ","))
            }
            skipSpace()
            if !atEnd && s[i] == "," {
                i += 1
                skipSpace()
                if !atEnd && s[i] == ")" { throw ExpressionError("expected an argument after ','", at: i) }
                continue
            }
            if !atEnd && s[i] == ")" {
                i += 1
                break
            }
            throw closingError(open: open, call: true)
        }
        leave()
        return .call(name, args: args, attrs: attrs, offset: offset)
    }

    /// `name = value` at `i`, or nil (and nothing consumed) when the next argument is positional.
    mutating func parseNamedArgument(after previous: [ExprAttribute]) throws(ExpressionError) -> ExprAttribute? {
        guard let (name, valueStart) = namedArgumentAhead() else { return nil }
        let start = i
        if previous.contains(where: { $0.name == name }) {
            throw ExpressionError("duplicate argument \(quoted(name))", at: start)
        }
        i = valueStart
        return ExprAttribute(name, try parseAttribute(), offset: start)
    }

    // MARK: Errors (kept out of the recursive functions)

    func operandError(after: Unicode.Scalar?) -> ExpressionError {
        guard let after else {
            return atEnd ? ExpressionError("unexpected end of expression", at: i) : unexpected("expected an operand")
        }
        return unexpected("expected an operand after \(quoted(String(after)))")
    }

    func closingError(open: Int, call: Bool) -> ExpressionError {
        unexpected("expected \(call ? "',' or ')'" : "')'") to close '(' at column \(open + 1)")
    }

    func doubleStarError(at offset: Int) -> ExpressionError {
        ExpressionError("'**' is not an operator; write powers with '^'", at: offset)
    }

    /// `name =` (not `==`) at `i`: the name and the offset after the `=`.
    func namedArgumentAhead() -> (String, Int)? {
        guard !atEnd, isIdentifierStart(s[i]) else { return nil }
        var k = i + 1
        while k < s.count && isIdentifierPart(s[k]) { k += 1 }
        let name = String(String.UnicodeScalarView(s[i..<k]))
        while k < s.count && (s[k] == " " || s[k] == "\t" || s[k] == "\n" || s[k] == "\r") { k += 1 }
        guard k < s.count, s[k] == "=", k + 1 >= s.count || s[k + 1] != "=" else { return nil }
        return (name, k + 1)
    }

    // MARK: Attribute values

    mutating func parseAttribute() throws(ExpressionError) -> AttrLiteral {
        skipSpace()
        let expecting = "expected an attribute value (number, string, true, false, null or list)"
        guard !atEnd else { throw ExpressionError(expecting, at: i) }
        let start = i
        let c = s[i]
        if c == "\"" || c == "'" { return .string(try lexString()) }
        if c == "-" || startsNumber() {
            let negative = c == "-"
            if negative {
                i += 1
                guard startsNumber() else { throw ExpressionError("expected a number after '-'", at: i) }
            }
            let (value, lexeme) = try lexNumber()
            guard value.isFinite else { throw ExpressionError("number \(quoted(lexeme)) is out of range", at: start) }
            if lexeme.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(lexeme) { return .int(negative ? -n : n) }
            return .number(negative ? -value : value)
        }
        if c == "[" {
            i += 1
            try enter(at: start)
            var items: [AttrLiteral] = []
            skipSpace()
            if !atEnd && s[i] == "]" {
                i += 1
            } else {
                while true {
                    items.append(try parseAttribute())
                    skipSpace()
                    if !atEnd && s[i] == "," {
                        i += 1
                        continue
                    }
                    if !atEnd && s[i] == "]" {
                        i += 1
                        break
                    }
                    throw unexpected("expected ',' or ']' to close '[' at column \(start + 1)")
                }
            }
            leave()
            return .list(items)
        }
        if isIdentifierStart(c) {
            switch lexIdentifier() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                i = start
            }
        }
        throw unexpected(expecting)
    }

    /// A string in single or double quotes; `\\`, `\"` and `\'` are the escapes.
    mutating func lexString() throws(ExpressionError) -> String {
        let start = i
        let quote = s[i]
        i += 1
        var out = String.UnicodeScalarView()
        while !atEnd {
            let c = s[i]
            if c == quote {
                i += 1
                return String(out)
            }
            if c == "\\" {
                guard i + 1 < s.count, s[i + 1] == "\\" || s[i + 1] == "\"" || s[i + 1] == "'" else {
                    throw ExpressionError("unsupported escape in string (only \\\\, \\\" and \\' are allowed)", at: i)
                }
                out.append(s[i + 1])
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        throw ExpressionError("unterminated string", at: start)
    }

    // MARK: Tokens

    func startsNumber() -> Bool {
        guard !atEnd else { return false }
        return isDigit(s[i]) || (s[i] == "." && i + 1 < s.count && isDigit(s[i + 1]))
    }

    /// 3, 3.5, .5, 3., 1e-3, 2E+4: the value (correctly rounded) and the lexeme.
    mutating func lexNumber() throws(ExpressionError) -> (Double, String) {
        let start = i
        while !atEnd && isDigit(s[i]) { i += 1 }
        if !atEnd && s[i] == "." {
            i += 1
            while !atEnd && isDigit(s[i]) { i += 1 }
        }
        if !atEnd && (s[i] == "e" || s[i] == "E") {
            i += 1
            if !atEnd && (s[i] == "+" || s[i] == "-") { i += 1 }
            guard !atEnd && isDigit(s[i]) else {
                let lexeme = String(String.UnicodeScalarView(s[start..<i]))
                throw ExpressionError("malformed number \(quoted(lexeme)): expected digits in the exponent", at: start)
            }
            while !atEnd && isDigit(s[i]) { i += 1 }
        }
        let lexeme = String(String.UnicodeScalarView(s[start..<i]))
        guard let value = Double(lexeme) else { throw ExpressionError("malformed number \(quoted(lexeme))", at: start) }
        return (value, lexeme)
    }

    mutating func lexIdentifier() -> String {
        let start = i
        i += 1
        while !atEnd && isIdentifierPart(s[i]) { i += 1 }
        return String(String.UnicodeScalarView(s[start..<i]))
    }

    /// An error at `i` for a token that does not fit: unknown characters are
    /// named as such, anything else as "<expecting>, found <token>".
    func unexpected(_ expecting: String) -> ExpressionError {
        guard !atEnd else {
            // A missing ')' or ']' reads better without "found end of expression".
            return ExpressionError(expecting.hasPrefix("expected an operand") ? expecting : "unexpected end of expression; \(expecting)", at: i)
        }
        let c = s[i]
        if !isKnown(c) {
            return ExpressionError("unknown character \(quoted(String(c)))", at: i)
        }
        var k = i + 1
        if isIdentifierStart(c) {
            while k < s.count && isIdentifierPart(s[k]) { k += 1 }
        } else if isDigit(c) || c == "." {
            while k < s.count && (isDigit(s[k]) || s[k] == "." || isIdentifierPart(s[k])) { k += 1 }
        }
        return ExpressionError("\(expecting), found \(quoted(String(String.UnicodeScalarView(s[i..<k]))))", at: i)
    }
}

private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
    (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
}

private func isIdentifierPart(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || isDigit(c) || c == "." }

/// Characters that can appear in some valid expression.
private func isKnown(_ c: Unicode.Scalar) -> Bool {
    isIdentifierPart(c) || "+-*/^(),=[]\"' \t\n\r".unicodeScalars.contains(c)
}
