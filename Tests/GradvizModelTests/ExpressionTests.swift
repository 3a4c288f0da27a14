import XCTest
@testable import GradvizModel

// Builders for expected trees; offsets are ignored by ==.
private func num(_ d: Double) -> Expr { .number(d, offset: 0) }
private func v(_ name: String) -> Expr { .name(name, offset: 0) }
private func neg(_ e: Expr) -> Expr { .neg(e, offset: 0) }
private func pow(_ a: Expr, _ b: Expr) -> Expr { .power(a, b, offset: 0) }
private func chain(_ first: Expr, _ links: (ChainOperator, Expr)...) -> Expr {
    .chain(first, links.map { ChainLink($0.0, $0.1) })
}
private func call(_ name: String, _ args: Expr..., attrs: [(String, AttrLiteral)] = []) -> Expr {
    .call(name, args: args, attrs: attrs.map { ExprAttribute($0.0, $0.1) }, offset: 0)
}

final class ExpressionTests: XCTestCase {
    func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Expr? {
        do {
            return try Expr.parse(text)
        } catch {
            XCTFail("unexpected error \(error) for \(text.debugDescription)", file: file, line: line)
            return nil
        }
    }

    func assertParses(_ text: String, _ expected: Expr, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(parse(text, file: file, line: line), expected, text, file: file, line: line)
    }

    /// Asserts the error's 1-based column and exact message.
    func assertError(_ text: String, _ column: Int, _ message: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        do {
            let e = try Expr.parse(text)
            XCTFail("expected an error for \(text.debugDescription), parsed \(e)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.message, message, text, file: file, line: line)
            XCTAssertEqual(error.column, column, "column for \(text.debugDescription)", file: file, line: line)
        }
    }

    func testPrecedence() {
        assertParses("-x^2", neg(pow(v("x"), num(2))))
        assertParses("2^3^2", pow(num(2), pow(num(3), num(2))))
        assertParses("(2^3)^2", pow(pow(num(2), num(3)), num(2)))
        assertParses("a-b-c", chain(v("a"), (.sub, v("b")), (.sub, v("c"))))
        assertParses("a/b*c", chain(v("a"), (.div, v("b")), (.mul, v("c"))))
        assertParses("a + b * c", chain(v("a"), (.add, chain(v("b"), (.mul, v("c"))))))
        assertParses("a * b + c", chain(chain(v("a"), (.mul, v("b"))), (.add, v("c"))))
        assertParses("(a + b) * c", chain(chain(v("a"), (.add, v("b"))), (.mul, v("c"))))
        assertParses("a - (b - c)", chain(v("a"), (.sub, chain(v("b"), (.sub, v("c"))))))
        assertParses("2*-x", chain(num(2), (.mul, neg(v("x")))))
        assertParses("x^-2", pow(v("x"), neg(num(2))))
        assertParses("2^-3^2", pow(num(2), neg(pow(num(3), num(2)))))
        assertParses("-a*b", chain(neg(v("a")), (.mul, v("b"))))
        assertParses("--x", neg(neg(v("x"))))
        assertParses("a - -b", chain(v("a"), (.sub, neg(v("b")))))
        assertParses("-(a + b)", neg(chain(v("a"), (.add, v("b")))))
        assertParses("a * b ^ c * d", chain(v("a"), (.mul, pow(v("b"), v("c"))), (.mul, v("d"))))
        assertParses("((x))", v("x"))
        // (a + b) + c computes the same as a + b + c, so they are one chain.
        assertParses("(a + b) + c", chain(v("a"), (.add, v("b")), (.add, v("c"))))
        assertParses("(a * b) / c", chain(v("a"), (.mul, v("b")), (.div, v("c"))))
        XCTAssertNotEqual(parse("a + (b + c)"), parse("a + b + c"))
        XCTAssertNotEqual(parse("a - b"), parse("a + b"))
    }

    func testNumbersAndNames() {
        assertParses("3", num(3))
        assertParses("3.5", num(3.5))
        assertParses(".5", num(0.5))
        assertParses("3.", num(3))
        assertParses("1e-3", num(0.001))
        assertParses("2E+4", num(20000))
        assertParses("1.5e2", num(150))
        if case .number(let d, _)? = parse("0.1") { XCTAssertEqual(d.bitPattern, (0.1).bitPattern) } else { XCTFail() }
        assertParses("layer1.W + b_2 * _x", chain(v("layer1.W"), (.add, chain(v("b_2"), (.mul, v("_x"))))))
        assertParses(" \t x \n ", v("x"))
        assertParses("x.1", v("x.1"))
    }

    func testCallsAndAttributes() {
        assertParses("sum(relu(matmul(W, x) + b), axis=0)",
                     call("sum", call("relu", chain(call("matmul", v("W"), v("x")), (.add, v("b")))), attrs: [("axis", .int(0))]))
        assertParses("f()", call("f"))
        assertParses("f (x)", call("f", v("x")))
        assertParses("gelu(x, approximate=\"tanh\")", call("gelu", v("x"), attrs: [("approximate", .string("tanh"))]))
        assertParses("gelu(x, approximate='tanh')", call("gelu", v("x"), attrs: [("approximate", .string("tanh"))]))
        assertParses("softmax(x, axis=-1)", call("softmax", v("x"), attrs: [("axis", .int(-1))]))
        assertParses("sum(x, axis=[0, -1], keepdims=true)",
                     call("sum", v("x"), attrs: [("axis", .list([.int(0), .int(-1)])), ("keepdims", .bool(true))]))
        assertParses("max(x, axis=null)", call("max", v("x"), attrs: [("axis", .null)]))
        assertParses("f(eps=1e-5, p=0.5, q=-2.5, r=3.0, s=-0, t=false, u=[], w=[[1, -2], [3.5]])",
                     call("f", attrs: [("eps", .number(1e-5)), ("p", .number(0.5)), ("q", .number(-2.5)), ("r", .number(3)),
                                       ("s", .int(0)), ("t", .bool(false)), ("u", .list([])),
                                       ("w", .list([.list([.int(1), .int(-2)]), .list([.number(3.5)])]))]))
        assertParses(#"f(a="it's", b='say "hi"', c="back\\slash\"q")"#,
                     call("f", attrs: [("a", .string("it's")), ("b", .string("say \"hi\"")), ("c", .string("back\\slash\"q"))]))
        assertParses("f(a = 1)", call("f", attrs: [("a", .int(1))]))
        assertParses("f(n=99999999999999999999)", call("f", attrs: [("n", .number(1e20))]))
        // Arguments are full expressions.
        assertParses("f(-x, a*b, g(y)^2)", call("f", neg(v("x")), chain(v("a"), (.mul, v("b"))), pow(call("g", v("y")), num(2))))
        XCTAssertNotEqual(parse("f(x, axis=1)"), parse("f(x, axis=1.0)"), "int and real attributes differ")
    }

    func testAttributeAsJSON() {
        let json = AttrLiteral.list([.int(1), .number(-2.5), .string("a"), .bool(true), .null]).jsonValue()
        XCTAssertEqual(json, .array([.number(1), JSONValue(.number(-2.5, isInteger: false)), .string("a"), .bool(true), .null]))
        XCTAssertEqual(json.arrayElements?[0].intValue, 1)
        XCTAssertFalse(AttrLiteral.number(3).jsonValue().isInteger)
    }

    func testOffsets() throws {
        let e = try XCTUnwrap(parse("sum(relu(x) * 2, axis=-1)"))
        guard case .call("sum", let args, let attrs, 0) = e else { return XCTFail("\(e)") }
        guard case .chain(let relu, let links) = args[0] else { return XCTFail() }
        XCTAssertEqual(relu.offset, 4)
        if case .call("relu", let inner, _, _) = relu { XCTAssertEqual(inner[0].offset, 9) } else { XCTFail() }
        XCTAssertEqual(links[0].offset, 12)
        XCTAssertEqual(links[0].operand.offset, 14)
        XCTAssertEqual(args[0].offset, 12, "a chain points at its first operator")
        XCTAssertEqual(attrs[0].offset, 17)
        XCTAssertEqual(attrs[0].value, .int(-1))

        let p = try XCTUnwrap(parse("-a ^ b"))
        XCTAssertEqual(p.offset, 0)
        if case .neg(let inner, _) = p {
            XCTAssertEqual(inner.offset, 3)
            XCTAssertEqual(inner.column, 4)
        } else { XCTFail() }
        // Offsets count characters, not bytes.
        let u = try XCTUnwrap(parse("f(s=\"é€\") + y"))
        if case .chain(_, let l) = u { XCTAssertEqual(l[0].operand.offset, 12) } else { XCTFail() }
    }

    func testErrors() {
        assertError("", 1, "empty expression")
        assertError("   ", 1, "empty expression")
        assertError("x +", 4, "expected an operand after '+'")
        assertError("x * )", 5, "expected an operand after '*', found ')'")
        assertError("sum(x * )", 9, "expected an operand after '*', found ')'")
        assertError("(a + b", 7, "unexpected end of expression; expected ')' to close '(' at column 1")
        assertError("2 * (a + b c)", 12, "expected ')' to close '(' at column 5, found 'c'")
        assertError("f(a, b", 7, "unexpected end of expression; expected ',' or ')' to close '(' at column 2")
        assertError("f(a b)", 5, "expected ',' or ')' to close '(' at column 2, found 'b'")
        assertError("a b", 3, "expected an operator, found 'b'")
        assertError("2x", 2, "expected an operator, found 'x'")
        assertError("1.5.3", 4, "expected an operator, found '.3'")
        assertError("x = 1", 3, "expected an operator, found '='")
        assertError("a $ b", 3, "unknown character '$'")
        assertError("$", 1, "unknown character '$'")
        assertError("aé", 2, "unknown character 'é'")
        assertError("a + \u{1}", 5, "unknown character 'U+0001'")
        assertError("x ** 2", 3, "'**' is not an operator; write powers with '^'")
        assertError("f(a=1, b)", 8, "positional argument after named argument")
        assertError("f(a=1, a=2)", 8, "duplicate argument 'a'")
        assertError("f(a,)", 5, "expected an argument after ','")
        assertError("f(,)", 3, "expected an operand after '(', found ','")
        assertError("f(", 3, "expected an operand after '('")
        assertError("f(x==1)", 4, "expected ',' or ')' to close '(' at column 2, found '='")
        assertError("1e", 1, "malformed number '1e': expected digits in the exponent")
        assertError("2 * 1e+x", 5, "malformed number '1e+': expected digits in the exponent")
        assertError("2 * 1e999", 5, "number '1e999' is out of range")
        assertError(")", 1, "expected an operand, found ')'")
        assertError("a)", 2, "unmatched ')'")
        assertError("-", 2, "expected an operand after '-'")
        assertError("a^", 3, "expected an operand after '^'")
        assertError("(", 2, "expected an operand after '('")
        assertError("()", 2, "expected an operand after '(', found ')'")
        assertError("+x", 1, "expected an operand, found '+'")
        assertError("f(x=foo)", 5, "expected an attribute value (number, string, true, false, null or list), found 'foo'")
        assertError("f(x=)", 5, "expected an attribute value (number, string, true, false, null or list), found ')'")
        assertError("f(x=", 5, "expected an attribute value (number, string, true, false, null or list)")
        assertError("f(x=-y)", 6, "expected a number after '-'")
        assertError("f(x=[1, 2)", 10, "expected ',' or ']' to close '[' at column 5, found ')'")
        assertError("f(x='abc)", 5, "unterminated string")
        assertError(#"f(x="a\nb")"#, 7, #"unsupported escape in string (only \\, \" and \' are allowed)"#)
        assertError("f(x=1e999)", 5, "number '1e999' is out of range")
        assertError("(a)(b)", 4, "expected an operator, found '('")

        XCTAssertEqual(ExpressionError("expected an operand after '*'", at: 6).description,
                       "column 7: expected an operand after '*'")
        XCTAssertEqual(ExpressionError("x", at: 8).caretDiagram(for: "sum(x * )"), "sum(x * )\n        ^")
        XCTAssertEqual(ExpressionError("x", at: 3).caretDiagram(for: "a\t+\nb"), "a\t+ b\n \t ^")
        XCTAssertEqual(ExpressionError("x", at: 3).caretDiagram(for: "a +"), "a +\n   ^")
    }

    func testDepthLimit() {
        let ok = String(repeating: "(", count: 200) + "x" + String(repeating: ")", count: 200)
        assertParses(ok, v("x"))
        let message = "expression nested deeper than 200 levels"
        assertError(String(repeating: "(", count: 201) + "x" + String(repeating: ")", count: 201), 201, message)
        // Hostile input must give an error, not a stack overflow.
        assertError(String(repeating: "(", count: 100_000), 201, message)
        assertError(String(repeating: "-", count: 100_000) + "x", 201, message)
        assertError(String(repeating: "x^", count: 100_000) + "x", 402, message)
        assertError(String(repeating: "f(", count: 100_000), 402, message)
        assertError("f(a=" + String(repeating: "[", count: 100_000), 204, message)
        assertError(String(repeating: "-(", count: 100_000), 201, message)
        var negs = v("x")
        for _ in 0..<200 { negs = neg(negs) }
        assertParses(String(repeating: "-", count: 200) + "x", negs)
        XCTAssertNoThrow(try Expr.parse(String(repeating: "x^", count: 200) + "x"))
        XCTAssertThrowsError(try Expr.parse("((x))", maxDepth: 1))
        XCTAssertNoThrow(try Expr.parse("(x) + (y)", maxDepth: 1))
    }

    func testLongFlatExpressions() throws {
        let n = 100_000
        let sum = Array(repeating: "x", count: n).joined(separator: " + ")
        let e = try Expr.parse(sum)
        guard case .chain(let first, let links) = e else { return XCTFail() }
        XCTAssertEqual(first, v("x"))
        XCTAssertEqual(links.count, n - 1)
        XCTAssertEqual(links.last?.offset, sum.count - 3)
        XCTAssertEqual(e.freeNames.count, 1)
        XCTAssertEqual(e.description, sum)

        // Mixed levels: a sum of products, each a flat chain.
        let mixed = (0..<n / 2).map { "a\($0 % 10) * b / c" }.joined(separator: " - ")
        let m = try Expr.parse(mixed)
        guard case .chain(_, let terms) = m else { return XCTFail() }
        XCTAssertEqual(terms.count, n / 2 - 1)
        XCTAssertEqual(m.freeNames.map(\.name), ["a0", "b", "c"] + (1..<10).map { "a\($0)" })
        XCTAssertEqual(try Expr.parse(m.description), m)
    }

    func testFreeAndCalledNames() throws {
        let e = try XCTUnwrap(parse("f(a, b) + a * c - sum(d, axis=0) + f"))
        XCTAssertEqual(e.freeNames.map(\.name), ["a", "b", "c", "d", "f"])
        XCTAssertEqual(e.freeNames.map(\.offset), [2, 5, 14, 22, 35])
        XCTAssertEqual(e.calledNames.map(\.name), ["f", "sum"])
        XCTAssertEqual(e.calledNames.map(\.offset), [0, 18])
        XCTAssertEqual(parse("grad * out * (1 - out)")?.freeNames.map(\.name), ["grad", "out"])
        XCTAssertEqual(parse("2 ^ 3")?.freeNames.count, 0)
    }

    func testDescription() throws {
        let cases: [(String, String)] = [
            ("-x^2", "-x^2"),
            ("(-x)^2", "(-x)^2"),
            ("2^3^2", "2^3^2"),
            ("(2^3)^2", "(2^3)^2"),
            ("x ^ -2", "x^-2"),
            ("a-(b-c)", "a - (b - c)"),
            ("(a-b)-c", "a - b - c"),
            ("a/(b*c)", "a / (b * c)"),
            ("(a+b)*(c-d)", "(a + b) * (c - d)"),
            ("-(a*b)", "-(a * b)"),
            ("--x", "--x"),
            ("2*-x", "2 * -x"),
            ("(a+b)^(c*d)", "(a + b)^(c * d)"),
            ("f(x,axis=-1,mode='tanh',p=[1,2.5],k=true,n=null)", "f(x, axis=-1, mode=\"tanh\", p=[1, 2.5], k=true, n=null)"),
            ("f(a='say \"hi\"')", #"f(a="say \"hi\"")"#),
            ("3.0 + 0.5 + 1e-7 + 1e20", "3 + 0.5 + 1e-07 + 1e+20"),
            ("f(eps=1e-5, r=3.0)", "f(eps=1e-05, r=3.0)"),
            ("1 / (1 + exp(-x))", "1 / (1 + exp(-x))"),
        ]
        for (source, printed) in cases {
            let e = try Expr.parse(source)
            XCTAssertEqual(e.description, printed, source)
            XCTAssertEqual(try Expr.parse(e.description), e, source)
        }
        // Hand-built trees with negative literals still print as valid source.
        XCTAssertEqual(pow(num(-2), num(2)).description, "(-2)^2")
        XCTAssertEqual(try Expr.parse(pow(num(-2), num(2)).description), pow(neg(num(2)), num(2)))
    }

    func testRandomTreesRoundTrip() throws {
        var rng = TestRandom(seed: 11)
        let leaves: [Expr] = [num(0), num(1), num(2.5), num(0.1), num(1e-7), num(1e20), num(123456789), v("x"), v("W.1"), v("_b")]
        let attrs: [AttrLiteral] = [.int(-1), .number(0.5), .number(-2), .string("a'b"), .bool(false), .null, .list([.int(1), .list([])])]

        func random(_ depth: Int) -> Expr {
            if depth == 0 || Int.random(in: 0..<4, using: &rng) == 0 { return leaves.randomElement(using: &rng)! }
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: return neg(random(depth - 1))
            case 1: return pow(random(depth - 1), random(depth - 1))
            case 2, 3:
                let ops: [ChainOperator] = Bool.random(using: &rng) ? [.add, .sub] : [.mul, .div]
                var first = random(depth - 1)
                var links = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                    ChainLink(ops.randomElement(using: &rng)!, random(depth - 1))
                }
                // Parsing joins a same-level chain on the left; build trees that way too.
                if case .chain(let f, let l) = first, l[0].op.precedence == links[0].op.precedence {
                    first = f
                    links = l + links
                }
                return .chain(first, links)
            default:
                let args = (0..<Int.random(in: 0...2, using: &rng)).map { _ in random(depth - 1) }
                let named = (0..<Int.random(in: 0...2, using: &rng)).map {
                    ExprAttribute("k\($0)", attrs.randomElement(using: &rng)!)
                }
                return .call(Bool.random(using: &rng) ? "f" : "g.h", args: args, attrs: named, offset: 0)
            }
        }

        for _ in 0..<3000 {
            let e = random(5)
            let printed = e.description
            let reparsed = try Expr.parse(printed)
            XCTAssertEqual(reparsed, e, printed)
            XCTAssertEqual(reparsed.description, printed)
        }
    }

    func testRandomInputsNeverCrash() {
        var rng = TestRandom(seed: 5)
        let pieces = ["x", "y1", "f", "(", ")", "+", "-", "*", "/", "^", ",", "=", "[", "]", "'", "\"", "2", ".5", "e", "1e-3",
                      " ", "axis", "true", "null", "$", "é", "**", "\\"]
        var parsed = 0
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            do {
                let e = try Expr.parse(text)
                parsed += 1
                // Whatever parses must print back to an equal tree.
                XCTAssertEqual(try Expr.parse(e.description), e, "\(text) printed as \(e.description)")
            } catch {
                XCTAssertGreaterThanOrEqual(error.offset, 0)
                XCTAssertLessThanOrEqual(error.offset, text.unicodeScalars.count)
                XCTAssertFalse(error.description.contains("\n"))
            }
        }
        XCTAssertGreaterThan(parsed, 100)
    }
}
