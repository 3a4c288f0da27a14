import Foundation
import XCTest
import GradvizCore
import GradvizModel

/// Reproducible randomness for tests: the core's SplitMix64.
typealias TestRandom = SeededGenerator

final class JSONParserTests: XCTestCase {
    func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue? {
        do {
            return try JSONValue.parse(text)
        } catch {
            XCTFail("unexpected error \(error) for \(text.debugDescription)", file: file, line: line)
            return nil
        }
    }

    /// Asserts that parsing fails at line:column with exactly this message.
    func assertError(_ bytes: [UInt8], _ line: Int, _ column: Int, _ message: String,
                     file: StaticString = #filePath, line testLine: UInt = #line) {
        do {
            let v = try JSONValue.parse(bytes)
            XCTFail("expected an error, parsed \(v)", file: file, line: testLine)
        } catch {
            XCTAssertEqual(error.message, message, file: file, line: testLine)
            XCTAssertEqual(error.line, line, "line", file: file, line: testLine)
            XCTAssertEqual(error.column, column, "column", file: file, line: testLine)
        }
    }

    func assertError(_ text: String, _ line: Int, _ column: Int, _ message: String,
                     file: StaticString = #filePath, line testLine: UInt = #line) {
        assertError(Array(text.utf8), line, column, message, file: file, line: testLine)
    }

    func testScalarsAndStructure() throws {
        let v = try XCTUnwrap(parse(#" {"b": [1, 2.5, "x", true, false, null], "a": {}, "c": []} "#))
        XCTAssertEqual(v.objectMembers?.map(\.key), ["b", "a", "c"], "key order is kept")
        XCTAssertEqual(v["b"], .array([.number(1), .number(2.5), .string("x"), .bool(true), .bool(false), .null]))
        XCTAssertEqual(v["a"]?.objectMembers?.count, 0)
        XCTAssertEqual(v["c"]?.arrayElements?.count, 0)
        XCTAssertNil(v["missing"])
        XCTAssertNil(v["b"]?["x"], "subscript on a non-object is nil")
        XCTAssertEqual(v["b"]?.arrayElements?[2].stringValue, "x")
        XCTAssertEqual(v["b"]?.arrayElements?[3].boolValue, true)
        XCTAssertTrue(v["b"]?.arrayElements?[5].isNull ?? false)
        XCTAssertEqual(v.kindDescription, "an object")
        XCTAssertEqual(v["b"]?.kindDescription, "an array")
        XCTAssertEqual(parse("  42\n")?.doubleValue, 42)
        XCTAssertEqual(parse("\"top\"")?.stringValue, "top")
    }

    func testPositionsOfValuesAndKeys() throws {
        let text = """
        {
          "a": 1,
          "b": [true, null],
          "c": {"d": "é", "e": -2.5}
        }
        """
        let v = try XCTUnwrap(parse(text))
        XCTAssertEqual(v.position, SourcePosition(line: 1, column: 1))
        XCTAssertEqual(v.member("a")?.keyPosition, SourcePosition(line: 2, column: 3))
        XCTAssertEqual(v["a"]?.position, SourcePosition(line: 2, column: 8))
        XCTAssertEqual(v["b"]?.position, SourcePosition(line: 3, column: 8))
        XCTAssertEqual(v["b"]?.arrayElements?[0].position, SourcePosition(line: 3, column: 9))
        XCTAssertEqual(v["b"]?.arrayElements?[1].position, SourcePosition(line: 3, column: 15))
        let c = try XCTUnwrap(v["c"])
        XCTAssertEqual(c.position, SourcePosition(line: 4, column: 8))
        XCTAssertEqual(c.member("d")?.keyPosition, SourcePosition(line: 4, column: 9))
        XCTAssertEqual(c["d"]?.position, SourcePosition(line: 4, column: 14))
        // Columns count scalars: "é" is two bytes but one column.
        XCTAssertEqual(c.member("e")?.keyPosition, SourcePosition(line: 4, column: 19))
        XCTAssertEqual(c["e"]?.position, SourcePosition(line: 4, column: 24))
        XCTAssertEqual(c["e"]?.position.description, "4:24")
    }

    func testColumnsAfterMultibyteCharactersAndCRLF() throws {
        let v = try XCTUnwrap(parse("[\"😀😀\", 1,\r\n \"€\", 2]"))
        XCTAssertEqual(v.arrayElements?[1].position, SourcePosition(line: 1, column: 8))
        XCTAssertEqual(v.arrayElements?[2].position, SourcePosition(line: 2, column: 2))
        XCTAssertEqual(v.arrayElements?[3].position, SourcePosition(line: 2, column: 7))
        XCTAssertEqual(v.arrayElements?[0].stringValue, "😀😀")
        XCTAssertEqual(v.arrayElements?[2].stringValue, "€")
    }

    func testNumbers() throws {
        let v = try XCTUnwrap(parse("[0.1, -0, 0, 3, 3.0, 3e0, -12, 1E+2, 2.5e-3, 5e-324, 1.7976931348623157e308, 12345678901234567890, 1e-400]"))
        let a = try XCTUnwrap(v.arrayElements)
        XCTAssertEqual(a[0].doubleValue?.bitPattern, (0.1).bitPattern)
        XCTAssertEqual(a[1].doubleValue?.sign, .minus, "-0 keeps its sign")
        XCTAssertEqual(a[1].doubleValue, 0)
        XCTAssertEqual(a[2].doubleValue?.sign, .plus)
        XCTAssertEqual(a.map(\.isInteger), [false, true, true, true, false, false, true, false, false, false, false, true, false])
        XCTAssertEqual(a[3].intValue, 3)
        XCTAssertNil(a[4].intValue, "3.0 is not an integer literal")
        XCTAssertEqual(a[6].intValue, -12)
        XCTAssertEqual(a[7].doubleValue, 100)
        XCTAssertEqual(a[8].doubleValue?.bitPattern, (2.5e-3).bitPattern)
        XCTAssertEqual(a[9].doubleValue, Double.leastNonzeroMagnitude)
        XCTAssertEqual(a[10].doubleValue, Double.greatestFiniteMagnitude)
        XCTAssertEqual(a[11].doubleValue, Double("12345678901234567890"))
        XCTAssertNil(a[11].intValue, "beyond 2^53 the literal may not be exact")
        XCTAssertEqual(a[12].doubleValue, 0, "underflow rounds to zero")
        XCTAssertEqual(parse("9007199254740992")?.intValue, 9_007_199_254_740_992)
        XCTAssertEqual(parse("-123456789012345")?.intValue, -123_456_789_012_345)
        // Long integer literals take the slow path and must still be correctly rounded.
        XCTAssertEqual(parse("9007199254740993")?.doubleValue, 9_007_199_254_740_992)
        XCTAssertEqual(parse("-0.0")?.doubleValue?.sign, .minus)
    }

    func testNumberErrors() {
        assertError("[01]", 1, 3, "leading zeros are not allowed in numbers")
        assertError("[-01]", 1, 4, "leading zeros are not allowed in numbers")
        assertError("[1.]", 1, 4, "expected a digit after '.', found ']'")
        assertError("-", 1, 2, "expected a digit after '-', found end of input")
        assertError("[-x]", 1, 3, "expected a digit after '-', found 'x'")
        assertError("1e", 1, 3, "expected a digit in the exponent, found end of input")
        assertError("[1e+]", 1, 5, "expected a digit in the exponent, found ']'")
        assertError("[.5]", 1, 2, "expected a value, found '.'")
        assertError("[+1]", 1, 2, "expected a value, found '+'")
        assertError("[1, 1e400]", 1, 5, "number 1e400 is out of range")
        assertError("-1e400", 1, 1, "number -1e400 is out of range")
        assertError("[NaN]", 1, 2, "'NaN' is not valid JSON (JSON has no NaN or infinite numbers)")
        assertError("Infinity", 1, 1, "'Infinity' is not valid JSON (JSON has no NaN or infinite numbers)")
        assertError("-Infinity", 1, 2, "expected a digit after '-', found 'I'")
        assertError("0x10", 1, 2, "unexpected 'x' after the JSON value")
    }

    func testStrings() throws {
        let v = try XCTUnwrap(parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20AC", "\ud83d\ude00", "\u0000", "", "é😀"]"#))
        let a = try XCTUnwrap(v.arrayElements?.map { $0.stringValue })
        XCTAssertEqual(a[0], "a\"b\\c/d\u{8}\u{c}\n\r\t")
        XCTAssertEqual(a[1], "é€")
        XCTAssertEqual(a[2], "😀")
        XCTAssertEqual(a[3], "\u{0}")
        XCTAssertEqual(a[4], "")
        XCTAssertEqual(a[5], "é😀")
        XCTAssertEqual(a[5]?.unicodeScalars.count, 2)
        // Escapes after multi-byte text, and raw text after escapes.
        XCTAssertEqual(parse(#""€\n€""#)?.stringValue, "€\n€")
    }

    func testStringErrors() {
        assertError("\"abc", 1, 1, "unterminated string")
        assertError("[\"abc\\", 1, 2, "unterminated string")
        assertError("[1,\n \"a\nb\"]", 2, 2, "unterminated string (a line break inside a string must be written \\n)")
        assertError("\"a\tb\"", 1, 3, "control character U+0009 must be escaped in a string")
        assertError("\"a\u{1}\"", 1, 3, "control character U+0001 must be escaped in a string")
        assertError(#"["\x"]"#, 1, 3, "invalid escape '\\x' in string")
        assertError(#"["ab\u12"]"#, 1, 9, "expected 4 hex digits after \\u")
        assertError(#""\uD800""#, 1, 2, "unpaired surrogate \\uD800 in string")
        assertError(#""\udc00""#, 1, 2, "unpaired surrogate \\uDC00 in string")
        assertError(#""x\ud800\u0041""#, 1, 3, "unpaired surrogate \\uD800 in string")
        assertError(#""\ud800\ud800""#, 1, 2, "unpaired surrogate \\uD800 in string")
        assertError(#"['a']"#, 1, 2, "strings must be in double quotes")
    }

    func testUTF8() throws {
        let q: UInt8 = 0x22
        // Valid edge cases: the largest scalar, U+FFFF, and a 4-byte emoji.
        XCTAssertEqual(try JSONValue.parse([q, 0xF4, 0x8F, 0xBF, 0xBF, q]).stringValue, "\u{10FFFF}")
        XCTAssertEqual(try JSONValue.parse([q, 0xEF, 0xBF, 0xBF, q]).stringValue, "\u{FFFF}")
        XCTAssertEqual(try JSONValue.parse([q, 0xF0, 0x9F, 0x98, 0x80, q]).stringValue, "😀")
        // Invalid: stray continuation, overlong forms, encoded surrogates, beyond U+10FFFF, truncated.
        assertError([q, 0x80, q], 1, 2, "invalid UTF-8")
        assertError([q, 0x61, 0xC0, 0x80, q], 1, 3, "invalid UTF-8")
        assertError([q, 0xC1, 0xBF, q], 1, 2, "invalid UTF-8")
        assertError([q, 0xE0, 0x80, 0x80, q], 1, 2, "invalid UTF-8")
        assertError([q, 0xED, 0xA0, 0x80, q], 1, 2, "invalid UTF-8")
        assertError([q, 0xF0, 0x80, 0x80, 0x80, q], 1, 2, "invalid UTF-8")
        assertError([q, 0xF4, 0x90, 0x80, 0x80, q], 1, 2, "invalid UTF-8")
        assertError([q, 0xF5, 0x80, 0x80, 0x80, q], 1, 2, "invalid UTF-8")
        assertError([q, 0xE2, 0x82, q], 1, 2, "invalid UTF-8")
        assertError([q, 0xE2, 0x82], 1, 2, "invalid UTF-8")
        assertError([q, 0xFF, q], 1, 2, "invalid UTF-8")
        // With escapes earlier in the string (the slow path validates too).
        assertError([q, 0x5C, 0x6E, 0xC3, q], 1, 4, "invalid UTF-8")
        // Column of an error after valid multi-byte characters counts them once.
        assertError([q, 0xC3, 0xA9, 0xC3, 0xA9, 0xFF, q], 1, 4, "invalid UTF-8")
        // Outside strings.
        assertError([0xFF], 1, 1, "expected a value, found invalid UTF-8")
        assertError("[é]", 1, 2, "expected a value, found 'é'")
        assertError([0x5B, 0x31, 0xC3], 1, 3, "expected ',' or ']' after array element, found invalid UTF-8")
    }

    func testByteOrderMark() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        XCTAssertEqual(try JSONValue.parse(bom + Array("[1]".utf8)), .array([.number(1)]))
        XCTAssertEqual(try JSONValue.parse(bom + Array("[1]".utf8)).arrayElements?[0].position,
                       SourcePosition(line: 1, column: 2), "the BOM takes no column")
        assertError(bom + Array("[x]".utf8), 1, 2, "expected a value, found 'x'")
        assertError(bom, 1, 1, "empty input; expected a JSON value")
        assertError(Array("[1]".utf8) + bom, 1, 4, "unexpected '\u{FEFF}' after the JSON value")
    }

    func testStructureErrors() {
        assertError("", 1, 1, "empty input; expected a JSON value")
        assertError(" \n\t ", 2, 3, "empty input; expected a JSON value")
        assertError("[1, 2,]", 1, 7, "trailing comma before ']'")
        assertError("{\"a\": 1,}", 1, 9, "trailing comma before '}'")
        assertError("{\"a\": 1,\n}", 2, 1, "trailing comma before '}'")
        assertError("[1 2]", 1, 4, "expected ',' or ']' after array element, found '2'")
        assertError("{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}' after object member, found '\"'")
        assertError("{\"a\" 1}", 1, 6, "expected ':' after object key, found '1'")
        assertError("{a: 1}", 1, 2, "expected a string key in double quotes, found 'a'")
        assertError("{\"a\": }", 1, 7, "expected a value, found '}'")
        assertError("[1,\n  2,\n  x]", 3, 3, "expected a value, found 'x'")
        assertError("[1, 2", 1, 6, "unexpected end of input; expected ',' or ']' after array element")
        assertError("{\"a\": 1", 1, 8, "unexpected end of input; expected ',' or '}' after object member")
        assertError("{\"a\"", 1, 5, "unexpected end of input; expected ':' after object key")
        assertError("{\"a\":", 1, 6, "unexpected end of input; expected a value")
        assertError("{", 1, 2, "unexpected end of input; expected a string key")
        assertError("[", 1, 2, "unexpected end of input; expected a value")
        assertError("1 2", 1, 3, "unexpected '2' after the JSON value")
        assertError("{} x", 1, 4, "unexpected 'x' after the JSON value")
        assertError("// comment\n1", 1, 1, "comments are not allowed in JSON")
        assertError("[1, /* c */ 2]", 1, 5, "comments are not allowed in JSON")
        assertError("[tru]", 1, 2, "expected a value, found 'tru'")
        assertError("[True]", 1, 2, "expected a value, found 'True'")
        assertError("]", 1, 1, "expected a value, found ']'")
        assertError("\u{0}", 1, 1, "expected a value, found 'U+0000'")
        XCTAssertEqual(JSONError("boom", at: SourcePosition(line: 12, column: 5)).description, "12:5: boom")
    }

    func testDuplicateKeys() throws {
        assertError("{\"a\": 1,\n \"a\": 2}", 2, 2, "duplicate key \"a\" (first at 1:2)")
        assertError("{\"x\": {\"k\\n\": 1, \"k\\u000a\": 2}}", 1, 18, "duplicate key \"k\\n\" (first at 1:8)")
        // Large objects switch to a hash index; duplicates must still be found.
        let members = (0..<100).map { "\"k\($0)\": \($0)" }.joined(separator: ", ")
        let big = try XCTUnwrap(parse("{\(members)}"))
        XCTAssertEqual(big.objectMembers?.count, 100)
        XCTAssertEqual(big["k99"]?.intValue, 99)
        assertError("{\(members), \"k42\": 0}", 1, 1 + members.count + 3, "duplicate key \"k42\" (first at 1:\(members.range(of: "\"k42\"")!.lowerBound.utf16Offset(in: members) + 2))")
        assertError("{\(members), \"new\": 0, \"new\": 1}", 1, members.count + 14, "duplicate key \"new\" (first at 1:\(members.count + 4))")
        // The same key in different objects is fine.
        XCTAssertNotNil(parse("[{\"a\": 1}, {\"a\": 2, \"b\": {\"a\": 3}}]"))
    }

    /// Short keys are reused once seen; keys that share bytes, lengths up to and past the
    /// reuse limit, escapes and non-ASCII keys still come out exactly as written.
    func testRepeatedKeysKeepTheirText() throws {
        let keys = ["id", "i", "idx", "ab", "abcdefg", "abcdefgh", "abcdefg1", "a\\\"b", "é", "", "k\\u0041"]
        let expected = ["id", "i", "idx", "ab", "abcdefg", "abcdefgh", "abcdefg1", "a\"b", "é", "", "kA"]
        let object = "{" + keys.enumerated().map { "\"\($0.element)\": \($0.offset)" }.joined(separator: ", ") + "}"
        let doc = try XCTUnwrap(parse("[" + Array(repeating: object, count: 40).joined(separator: ", ") + "]"))
        for item in try XCTUnwrap(doc.arrayElements) {
            XCTAssertEqual(item.objectMembers?.map(\.key), expected)
            XCTAssertEqual(item["abcdefg"]?.intValue, 4)
            XCTAssertEqual(item["abcdefgh"]?.intValue, 5)
        }
        // A reused key is still checked for duplicates.
        assertError("[{\"id\": 1}, {\"id\": 1, \"id\": 2}]", 1, 23, "duplicate key \"id\" (first at 1:14)")
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        XCTAssertNotNil(parse(ok))
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        assertError(tooDeep, 1, 513, "nesting deeper than 512 levels")
        let objects = String(repeating: "{\"a\":", count: 513) + "1" + String(repeating: "}", count: 513)
        assertError(objects, 1, 1 + 5 * 512, "nesting deeper than 512 levels")
        // Hostile input: must be an error, not a stack overflow.
        assertError(String(repeating: "[", count: 100_000), 1, 513, "nesting deeper than 512 levels")
        assertError(String(repeating: "{\"a\":[", count: 100_000), 1, 1 + 6 * 256, "nesting deeper than 512 levels")
        // A custom limit; empty containers count as a level too.
        XCTAssertThrowsError(try JSONValue.parse("[[]]", maxDepth: 1))
        XCTAssertNoThrow(try JSONValue.parse("[1, [2], 3]", maxDepth: 2))
        // Deep but allowed values must also be safe to compare and release.
        let deep = try JSONValue.parse(ok)
        XCTAssertEqual(deep, try JSONValue.parse(ok))
    }

    func testMutatedInputsNeverCrash() throws {
        let seed = #"{"a": [1, -2.5e3, "x\u00e9\n", true, null, {"b": []}], "c": "😀", "d": 0.1}"#
        var rng = TestRandom(seed: 7)
        let base = Array(seed.utf8)
        let alphabet = Array("{}[]\",:\\-+.0123456789eEtrufalsn \n\u{7}".utf8) + [0x80, 0xC3, 0xED, 0xF0, 0xFF]
        var failures = 0
        for _ in 0..<5000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let k = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[k] = alphabet.randomElement(using: &rng)!
                case 1: bytes.remove(at: k)
                default: bytes.insert(alphabet.randomElement(using: &rng)!, at: k)
                }
                if bytes.isEmpty { bytes = [0x5B] }
            }
            do {
                _ = try JSONValue.parse(bytes)
            } catch {
                failures += 1
                XCTAssertGreaterThanOrEqual(error.line, 1)
                XCTAssertGreaterThanOrEqual(error.column, 1)
                XCTAssertFalse(error.description.contains("\n"), "one-line messages: \(error)")
            }
        }
        XCTAssertGreaterThan(failures, 1000, "most mutations should be errors")
    }

    func testLargeDocumentIsFast() throws {
        var text = "["
        for k in 0..<30_000 {
            if k > 0 { text += ",\n" }
            text += #"{"id": \#(k), "name": "node\#(k)", "values": [0.123456789, -1.5e-3, 42, \#(Double(k) / 7)], "flag": true, "nested": {"a": null, "b": "x"}}"#
        }
        text += "]"
        let bytes = Array(text.utf8)
        XCTAssertGreaterThan(bytes.count, 3_000_000)
        let start = Date()
        let v = try JSONValue.parse(bytes)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(v.arrayElements?.count, 30_000)
        XCTAssertEqual(v.arrayElements?[29_999]["values"]?.arrayElements?[3].doubleValue, 29_999.0 / 7)
        XCTAssertEqual(v.arrayElements?[29_999].position, SourcePosition(line: 30_000, column: 1))
        // Generous, since tests run unoptimized; quadratic behaviour would take minutes.
        XCTAssertLessThan(seconds, 20, "parsing 3 MB took \(seconds) s")
        print("parsed \(bytes.count) bytes in \(seconds) s")
    }
}

final class JSONWriterTests: XCTestCase {
    func testNumberFormatting() {
        XCTAssertEqual(JSONWriter.format(1), "1")
        XCTAssertEqual(JSONWriter.format(-12), "-12")
        XCTAssertEqual(JSONWriter.format(0), "0")
        XCTAssertEqual(JSONWriter.format(-0.0), "-0.0")
        XCTAssertEqual(JSONWriter.format(0.1), "0.1")
        XCTAssertEqual(JSONWriter.format(-2.5), "-2.5")
        XCTAssertEqual(JSONWriter.format(1e-7), "1e-07")
        XCTAssertEqual(JSONWriter.format(999_999_999_999_999), "999999999999999")
        XCTAssertEqual(JSONWriter.format(1e15), "1000000000000000.0")
        XCTAssertEqual(JSONWriter.format(1e16), "1e+16")
        XCTAssertEqual(JSONWriter.format(.leastNonzeroMagnitude), "5e-324")
        XCTAssertEqual(JSONWriter.format(0.30000000000000004), "0.30000000000000004")
        XCTAssertEqual(JSONWriter.format(.nan), "\"NaN\"")
        XCTAssertEqual(JSONWriter.format(.infinity), "\"Infinity\"")
        XCTAssertEqual(JSONWriter.format(-.infinity), "\"-Infinity\"")
    }

    func testStringEscaping() throws {
        let s = "q\"b\\s/\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é😀"
        let written = JSONWriter.string(.string(s))
        XCTAssertEqual(written, #""q\"b\\s/\n\r\t\b\f\u0001\u001f"# + "\u{7f}é😀\"")
        XCTAssertEqual(try JSONValue.parse(written).stringValue, s)
    }

    let sample = JSONValue.object([
        ("gradviz", .number(1)),
        ("outputs", .array([.string("L")])),
        ("values", .object([("x", .number(-2)), ("W", .array([.array([.number(1), .number(0.5)]), .array([.number(-0.0), .number(1e-7)])]))])),
        ("empty", .object([])),
        ("none", .array([])),
        ("edges", .array([.object([("from", .string("x")), ("grad", .number(.nan))])])),
    ])

    func testCompact() {
        XCTAssertEqual(JSONWriter.string(sample),
                       #"{"gradviz":1,"outputs":["L"],"values":{"x":-2,"W":[[1,0.5],[-0,1e-07]]},"empty":{},"none":[],"edges":[{"from":"x","grad":"NaN"}]}"#)
    }

    func testPretty() {
        let expected = """
        {
          "gradviz": 1,
          "outputs": ["L"],
          "values": {
            "x": -2,
            "W": [
              [1, 0.5],
              [-0, 1e-07]
            ]
          },
          "empty": {},
          "none": [],
          "edges": [
            {
              "from": "x",
              "grad": "NaN"
            }
          ]
        }
        """
        XCTAssertEqual(JSONWriter.string(sample, style: .pretty), expected)
    }

    func testStreamingAndTensors() {
        var w = JSONWriter(style: .pretty)
        w.beginObject()
        w.key("scalar"); w.tensor([3.5], shape: [])
        w.key("vector"); w.tensor([1, 2, 3], shape: [3])
        w.key("matrix"); w.tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        w.key("cube"); w.tensor([1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 2, 1, 2])
        w.key("hollow"); w.tensor([], shape: [2, 0])
        w.key("nothing"); w.tensor([], shape: [0])
        w.key("list"); w.beginArray(singleLine: true); w.value(1); w.value("a"); w.beginObject(); w.key("k"); w.null(); w.endObject(); w.endArray()
        w.key("flags"); w.beginArray(); w.value(true); w.value(false); w.endArray()
        w.endObject()
        let expected = """
        {
          "scalar": 3.5,
          "vector": [1, 2, 3],
          "matrix": [
            [1, 2, 3],
            [4, 5, 6]
          ],
          "cube": [
            [
              [
                [1, 2]
              ],
              [
                [3, 4]
              ]
            ],
            [
              [
                [5, 6]
              ],
              [
                [7, 8]
              ]
            ]
          ],
          "hollow": [
            [],
            []
          ],
          "nothing": [],
          "list": [1, "a", {"k": null}],
          "flags": [
            true,
            false
          ]
        }
        """
        XCTAssertEqual(w.string, expected)

        var c = JSONWriter()
        c.beginArray()
        c.tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        c.tensor([], shape: [2, 0])
        c.tensor([-0.0], shape: [1, 1, 1])
        c.endArray()
        XCTAssertEqual(c.string, "[[[1,2],[3,4],[5,6]],[[],[]],[[[-0.0]]]]")
    }

    func testTensorMatchesValueTree() throws {
        var rng = TestRandom(seed: 3)
        let data = (0..<24).map { _ in Double.random(in: -5...5, using: &rng) }
        var w = JSONWriter(style: .pretty)
        w.tensor(data, shape: [2, 3, 4])
        func tree(_ offset: Int, _ shape: ArraySlice<Int>) -> JSONValue {
            guard let n = shape.first else { return .number(data[offset]) }
            let stride = shape.dropFirst().reduce(1, *)
            return .array((0..<n).map { tree(offset + $0 * stride, shape.dropFirst()) })
        }
        XCTAssertEqual(w.string, JSONWriter.string(tree(0, [2, 3, 4]), style: .pretty))
        let parsed = try JSONValue.parse(w.string)
        XCTAssertEqual(parsed.arrayElements?[1].arrayElements?[2].arrayElements?[3].doubleValue?.bitPattern, data[23].bitPattern)
    }

    func testRandomDoublesRoundTripBitExactly() throws {
        var rng = TestRandom(seed: 2024)
        var values: [Double] = [0, -0.0, 0.1, 1.0 / 3, 1e15, 1e15 - 1, -1e15, 9_007_199_254_740_994, 123456789.125,
                                Double.leastNonzeroMagnitude, -Double.leastNonzeroMagnitude, Double.leastNormalMagnitude,
                                Double.leastNormalMagnitude.nextDown, Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude,
                                1e-7, 1e21, 1e22, 1e23, Double("2.2250738585072011e-308")!]
        while values.count < 10_000 {
            let bits = rng.next()
            let d: Double
            switch values.count % 4 {
            case 0: d = Double(bitPattern: bits)                                   // any exponent
            case 1: d = Double(bitPattern: bits & 0x800F_FFFF_FFFF_FFFF)           // subnormal
            case 2: d = Double(Int64(bitPattern: bits) >> Int64(bits % 60))         // integers of every size
            default: d = Double.random(in: -1000...1000, using: &rng)
            }
            if d.isFinite { values.append(d) }
        }
        for style in [JSONWriter.Style.compact, .pretty] {
            var w = JSONWriter(style: style)
            w.tensor(values, shape: [values.count])
            let parsed = try XCTUnwrap(JSONValue.parse(w.bytes).arrayElements)
            XCTAssertEqual(parsed.count, values.count)
            for (p, v) in zip(parsed, values) where p.doubleValue?.bitPattern != v.bitPattern {
                XCTFail("\(v) was written as \(JSONWriter.format(v)) and read back as \(p.doubleValue ?? .nan)")
            }
        }
    }

    func testParseWriteRoundTripKeepsOrderAndValues() throws {
        let text = #"{"z": 1, "a": [1.5, "s\u0001", {"m": null, "b": false}], "é": {"y": [[1, 2], [3, 4]]}, "n": -0.25}"#
        let v = try JSONValue.parse(text)
        for style in [JSONWriter.Style.compact, .pretty] {
            let again = try JSONValue.parse(JSONWriter.string(v, style: style))
            XCTAssertEqual(again, v)
            XCTAssertEqual(again.objectMembers?.map(\.key), ["z", "a", "é", "n"])
        }
        XCTAssertEqual(JSONWriter.string(v), #"{"z":1,"a":[1.5,"s\u0001",{"m":null,"b":false}],"é":{"y":[[1,2],[3,4]]},"n":-0.25}"#)
    }

    func testLargeTensorIsFast() throws {
        let data = (0..<250_000).map { Double($0) * 0.001 - 7 }
        let start = Date()
        var w = JSONWriter(style: .pretty)
        w.tensor(data, shape: [500, 500])
        let seconds = Date().timeIntervalSince(start)
        XCTAssertLessThan(seconds, 20, "writing 250,000 numbers took \(seconds) s")
        XCTAssertEqual(try JSONValue.parse(w.bytes).arrayElements?[499].arrayElements?[499].doubleValue, data[249_999])
    }
}
