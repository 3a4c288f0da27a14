import GradvizCore

// The expression parser: text to `Expr`, with the offset of every error.

struct ExpressionParser {
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
