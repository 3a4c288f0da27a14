// Deterministic JSON output for result files: same input, same bytes.

/// A streaming JSON writer. Call `beginObject`/`key`/`value`/`endObject` (and the
/// array counterparts) in document order, then take `bytes` or `string`.
///
/// Numbers: finite doubles are written in the shortest form that parses back to
/// the same bits; integral values below 10^15 in magnitude without a fraction
/// (`-12`, not `-12.0`); negative zero as `-0.0`, so
/// that readers which parse `-0` as the integer 0 keep its sign. JSON has no NaN or infinities, so
/// non-finite numbers are written as the *strings* `"NaN"`, `"Infinity"` and
/// `"-Infinity"` (the same spelling Python's json module uses, but quoted so
/// the output stays valid JSON).
///
/// Strings are UTF-8; `"` and `\` are escaped, control characters use `\b \f \n
/// \r \t` or `\u00XX`.
///
/// Pretty style indents by two spaces, one member or element per line, except
/// arrays written with `beginArray(singleLine: true)`, which stay on one line
/// (`[1, 2, 3]`) together with everything inside them. `value(_: JSONValue)` and
/// `tensor(_:shape:)` put arrays whose elements are all scalars on one line, so a
/// matrix reads as one row per line.
///
/// Misuse (a key outside an object, a value where a key is expected, unbalanced
/// ends) is a programming error and traps.
public struct JSONWriter {
    public enum Style: Sendable { case compact, pretty }

    public let style: Style
    public private(set) var bytes: [UInt8] = []

    private struct Container {
        let isObject: Bool
        let singleLine: Bool
        var count = 0
        var afterKey = false
    }
    /// The open containers, outermost first.
    private var stack: [Container] = []
    private var wroteTopLevel = false

    /// `capacity`: the expected size in bytes, when known, to spare regrowing a large output.
    public init(style: Style = .compact, capacity: Int = 0) {
        self.style = style
        bytes.reserveCapacity(capacity)
    }

    /// The finished document with the newline a text file ends with.
    public mutating func fileBytes() -> [UInt8] {
        precondition(stack.isEmpty, "unbalanced begin/end")
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// The output so far as a String.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: Containers

    /// `singleLine`: in pretty style, keep the whole object on one line (small records).
    public mutating func beginObject(singleLine: Bool = false) {
        prepareForValue()
        bytes.append(UInt8(ascii: "{"))
        stack.append(Container(isObject: true, singleLine: singleLine || stack.last?.singleLine == true))
    }

    public mutating func endObject() {
        precondition(stack.last?.isObject == true && stack.last?.afterKey == false, "endObject without matching beginObject")
        close(UInt8(ascii: "}"))
    }

    public mutating func key(_ name: String) {
        precondition(stack.last?.isObject == true && stack.last?.afterKey == false, "key outside an object")
        startItem()
        stack[stack.count - 1].count += 1
        stack[stack.count - 1].afterKey = true
        JSONWriter.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        if style == .pretty { bytes.append(UInt8(ascii: " ")) }
    }

    public mutating func beginArray(singleLine: Bool = false) {
        prepareForValue()
        bytes.append(UInt8(ascii: "["))
        stack.append(Container(isObject: false, singleLine: singleLine || stack.last?.singleLine == true))
    }

    public mutating func endArray() {
        precondition(stack.last?.isObject == false, "endArray without matching beginArray")
        close(UInt8(ascii: "]"))
    }

    // MARK: Scalars

    public mutating func value(_ d: Double) {
        prepareForValue()
        JSONWriter.appendNumber(d, to: &bytes)
    }

    public mutating func value(_ n: Int) {
        prepareForValue()
        bytes.append(contentsOf: String(n).utf8)
    }

    public mutating func value(_ s: String) {
        prepareForValue()
        JSONWriter.appendString(s, to: &bytes)
    }

    public mutating func value(_ b: Bool) {
        prepareForValue()
        bytes.append(contentsOf: (b ? "true" : "false").utf8)
    }

    public mutating func null() {
        prepareForValue()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Writes a whole value tree (key order preserved; positions ignored).
    public mutating func value(_ v: JSONValue) {
        switch v.kind {
        case .null: null()
        case .bool(let b): value(b)
        case .number(let d, let isInteger):
            if isInteger && d == 0 && d.sign == .minus {
                // Written as it was read (`-0`), as messages quote it.
                prepareForValue()
                bytes.append(contentsOf: "-0".utf8)
            } else {
                value(d)
            }
        case .string(let s): value(s)
        case .array(let elements):
            beginArray(singleLine: elements.allSatisfy(\.isScalar))
            for e in elements { value(e) }
            endArray()
        case .object(let members):
            beginObject()
            for m in members {
                key(m.key)
                value(m.value)
            }
            endObject()
        }
    }

    /// Writes a tensor as nested arrays of its row-major data: shape `[]` gives a number,
    /// `[2, 3]` gives `[[a, b, c], [d, e, f]]`. The innermost arrays stay on one line in
    /// pretty style.
    public mutating func tensor(_ data: [Double], shape: [Int]) {
        if shape.isEmpty && data.count == 1 { return value(data[0]) }
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == data.count,
                     "tensor data does not match its shape")
        writeTensor(data, shape: shape[...], offset: 0)
    }

    private mutating func writeTensor(_ data: [Double], shape: ArraySlice<Int>, offset: Int) {
        guard let n = shape.first else {
            value(data[offset])
            return
        }
        let inner = shape.dropFirst()
        let stride = inner.reduce(1, *)
        beginArray(singleLine: inner.isEmpty)
        for k in 0..<n { writeTensor(data, shape: inner, offset: offset + k * stride) }
        endArray()
    }

    /// One value as a string; the usual way to serialize a `JSONValue`.
    public static func string(_ v: JSONValue, style: Style = .compact) -> String {
        var writer = JSONWriter(style: style)
        writer.value(v)
        return writer.string
    }

    // MARK: Layout

    private mutating func prepareForValue() {
        guard let top = stack.last else {
            precondition(!wroteTopLevel, "a JSON text has one top-level value")
            wroteTopLevel = true
            return
        }
        if top.isObject {
            precondition(top.afterKey, "a value in an object needs a key first")
            stack[stack.count - 1].afterKey = false
        } else {
            startItem()
            stack[stack.count - 1].count += 1
        }
    }

    /// The comma (after the first) and, in pretty style, the line break and indentation
    /// before a member or element of the innermost container.
    private mutating func startItem() {
        let top = stack[stack.count - 1]
        if top.count > 0 { bytes.append(UInt8(ascii: ",")) }
        guard style == .pretty else { return }
        if top.singleLine {
            if top.count > 0 { bytes.append(UInt8(ascii: " ")) }
        } else {
            newline(indent: stack.count)
        }
    }

    private mutating func close(_ bracket: UInt8) {
        let container = stack.removeLast()
        if style == .pretty && !container.singleLine && container.count > 0 { newline(indent: stack.count) }
        bytes.append(bracket)
    }

    private mutating func newline(indent: Int) {
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    // MARK: Formatting

    /// The text `appendNumber` writes, e.g. for labels.
    public static func format(_ d: Double) -> String {
        var out: [UInt8] = []
        appendNumber(d, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendNumber(_ d: Double, to out: inout [UInt8]) {
        guard d.isFinite else {
            appendString(d.isNaN ? "NaN" : d < 0 ? "-Infinity" : "Infinity", to: &out)
            return
        }
        if d == 0 && d.sign == .minus {
            // "-0" would be read back as the integer 0 by many readers (Python's json).
            out.append(contentsOf: "-0.0".utf8)
        } else if abs(d) < 1e15 && Double(Int64(d)) == d {
            var text = String(Int64(d))
            text.withUTF8 { out.append(contentsOf: $0) }
        } else {
            // Swift's description is the shortest representation that round-trips, and
            // its forms ("0.1", "1e-07", "1.5e+300", "1000000000000000.0") are all valid JSON.
            var text = d.description
            text.withUTF8 { out.append(contentsOf: $0) }
        }
    }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Ids and most text need no escape: their bytes are copied whole.
        var s = s
        let plain = s.withUTF8 { bytes in
            for c in bytes where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(c)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xF)])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text, e.g. for messages and test failures.
    public var description: String { JSONWriter.string(self) }

    /// Not an array or object.
    var isScalar: Bool {
        switch kind {
        case .array, .object: return false
        default: return true
        }
    }
}
