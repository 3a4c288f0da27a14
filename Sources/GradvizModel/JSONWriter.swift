// Deterministic JSON output for result files: same input, same bytes.

/// A streaming JSON writer. Call `beginObject`/`key`/`value`/`endObject` (and the
/// array counterparts) in document order, then take `bytes` or `string`.
///
/// Numbers: finite doubles are written in the shortest form that parses back to
/// the same bits; integral values below 10^15 in magnitude without a fraction
/// (`-12`, not `-12.0`; negative zero as `-0`). JSON has no NaN or infinities, so
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
    /// The innermost open container (meaningful while `depth > 0`). It is a stored property
    /// rather than `stack.last` because every key and value reads and updates it: an array
    /// element costs a bounds check and a uniqueness check per access.
    private var top = Container(isObject: false, singleLine: false)
    /// The containers enclosing `top`, outermost first.
    private var stack: [Container] = []
    /// How many containers are open: `stack.count + 1`, or 0 when none is.
    private var depth = 0
    private var wroteTopLevel = false

    /// `capacity`: the expected size in bytes, when known, to spare regrowing a large output.
    public init(style: Style = .compact, capacity: Int = 0) {
        self.style = style
        bytes.reserveCapacity(capacity)
    }

    // MARK: Parts written apart

    /// A writer for a part of the document `outer` is writing, to be written on another
    /// thread and spliced back with `append(part:)`: it continues from where `outer` is
    /// (same nesting, so the same indentation and commas), and may write one value after
    /// a key, or elements of the open array.
    /// `after`: how many members or elements other parts write before this one.
    public init(partOf outer: JSONWriter, after: Int = 0, capacity: Int = 0) {
        self.style = outer.style
        self.top = outer.top
        self.stack = outer.stack
        self.depth = outer.depth
        self.wroteTopLevel = outer.wroteTopLevel
        if depth > 0 { top.count += after }
        bytes.reserveCapacity(capacity)
    }

    /// Splices a part written by `JSONWriter(partOf: self)` (or by a part of such a part,
    /// in order): its bytes and where it left the open container.
    public mutating func append(part: JSONWriter) {
        precondition(part.depth == depth, "a part must close what it opens")
        bytes.append(contentsOf: part.bytes)
        if depth > 0 {
            top.count = part.top.count
            top.afterKey = part.top.afterKey
        }
        wroteTopLevel = part.wroteTopLevel
    }

    /// Room for `capacity` bytes in all, e.g. before splicing parts of a known size.
    public mutating func reserveCapacity(_ capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// The finished document with the newline a text file ends with.
    public mutating func fileBytes() -> [UInt8] {
        precondition(depth == 0, "unbalanced begin/end")
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
        push(Container(isObject: true, singleLine: singleLine || (depth > 0 && top.singleLine)))
    }

    public mutating func endObject() {
        precondition(depth > 0 && top.isObject && !top.afterKey, "endObject without matching beginObject")
        close(UInt8(ascii: "}"))
    }

    public mutating func key(_ name: String) {
        beginKey()
        JSONWriter.appendString(name, to: &bytes)
        endKey()
    }

    private mutating func beginKey() {
        precondition(depth > 0 && top.isObject && !top.afterKey, "key outside an object")
        startItem()
        top.count += 1
        top.afterKey = true
    }

    private mutating func endKey() {
        bytes.append(UInt8(ascii: ":"))
        if style == .pretty { bytes.append(UInt8(ascii: " ")) }
    }

    public mutating func beginArray(singleLine: Bool = false) {
        prepareForValue()
        bytes.append(UInt8(ascii: "["))
        push(Container(isObject: false, singleLine: singleLine || (depth > 0 && top.singleLine)))
    }

    public mutating func endArray() {
        precondition(depth > 0 && !top.isObject, "endArray without matching beginArray")
        close(UInt8(ascii: "]"))
    }

    /// Strings quoted and escaped once, then written many times by index: a result file
    /// names every value several times (values, grads, edges).
    public struct EncodedStrings {
        var bytes: [UInt8] = []
        var ends: [Int] = []

        public init() {}

        public init(_ strings: [String]) {
            for s in strings { append(s) }
        }

        /// Adds `s`; its index is the number of strings added before it.
        @discardableResult
        public mutating func append(_ s: String) -> Int {
            JSONWriter.appendString(s, to: &bytes)
            ends.append(bytes.count)
            return ends.count - 1
        }

        public var count: Int { ends.count }

        func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }

        /// Appends the encoded string `i` to `out`.
        func append(_ i: Int, to out: inout [UInt8]) {
            let r = range(i)
            bytes.withUnsafeBufferPointer { all in
                JSONWriter.append(UnsafeBufferPointer(rebasing: all[r]), to: &out)
            }
        }
    }

    /// `key(strings[i])`, without encoding it again.
    public mutating func key(_ strings: EncodedStrings, _ i: Int) {
        beginKey()
        strings.append(i, to: &bytes)
        endKey()
    }

    /// `value(strings[i])`, without encoding it again.
    public mutating func value(_ strings: EncodedStrings, _ i: Int) {
        prepareForValue()
        strings.append(i, to: &bytes)
    }

    // MARK: Scalars

    public mutating func value(_ d: Double) {
        prepareForValue()
        JSONWriter.appendNumber(d, to: &bytes)
    }

    public mutating func value(_ n: Int) {
        prepareForValue()
        JSONWriter.appendInteger(Int64(n), to: &bytes)
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
        case .number(let d, _): value(d)
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

    /// Writes a tensor as nested arrays straight from its row-major buffer:
    /// shape `[]` gives a number, `[2, 3]` gives `[[a, b, c], [d, e, f]]`.
    /// The innermost arrays stay on one line in pretty style.
    public mutating func tensor(_ data: [Double], shape: [Int]) {
        if shape.isEmpty && data.count == 1 {
            value(data[0])
            return
        }
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == data.count,
                     "tensor data does not match its shape")
        data.withUnsafeBufferPointer { buffer in
            writeTensor(buffer, shape: shape[...], offset: 0)
        }
    }

    private mutating func writeTensor(_ data: UnsafeBufferPointer<Double>, shape: ArraySlice<Int>, offset: Int) {
        guard let n = shape.first else {
            value(data[offset])
            return
        }
        let inner = shape.dropFirst()
        if inner.isEmpty {
            // Innermost row: written directly, it is the bulk of a large tensor.
            beginArray(singleLine: true)
            for k in 0..<n {
                if k > 0 {
                    bytes.append(UInt8(ascii: ","))
                    if style == .pretty { bytes.append(UInt8(ascii: " ")) }
                }
                JSONWriter.appendNumber(data[offset + k], to: &bytes)
            }
            top.count = n
            endArray()
            return
        }
        let stride = inner.reduce(1, *)
        beginArray()
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
        guard depth > 0 else {
            precondition(!wroteTopLevel, "a JSON text has one top-level value")
            wroteTopLevel = true
            return
        }
        if top.isObject {
            precondition(top.afterKey, "a value in an object needs a key first")
            top.afterKey = false
        } else {
            startItem()
            top.count += 1
        }
    }

    /// The comma (after the first) and, in pretty style, the whitespace before a member or
    /// element of `top`, written in one append.
    private mutating func startItem() {
        let comma = top.count > 0
        switch style {
        case .compact:
            if comma { bytes.append(UInt8(ascii: ",")) }
        case .pretty where top.singleLine:
            if comma {
                bytes.append(UInt8(ascii: ","))
                bytes.append(UInt8(ascii: " "))
            }
        case .pretty:
            let indent = 2 * depth
            bytes.append(addingCapacity: (comma ? 2 : 1) + indent) { span in
                if comma { span.append(UInt8(ascii: ",")) }
                span.append(UInt8(ascii: "\n"))
                span.append(repeating: UInt8(ascii: " "), count: indent)
            }
        }
    }

    private mutating func push(_ container: Container) {
        if depth > 0 { stack.append(top) }
        top = container
        depth += 1
    }

    private mutating func close(_ bracket: UInt8) {
        let container = top
        depth -= 1
        if depth > 0 { top = stack.removeLast() }
        if style == .pretty && !container.singleLine && container.count > 0 { newline(indent: depth) }
        bytes.append(bracket)
    }

    private mutating func newline(indent: Int) {
        bytes.append(addingCapacity: 1 + 2 * indent) { span in
            span.append(UInt8(ascii: "\n"))
            span.append(repeating: UInt8(ascii: " "), count: 2 * indent)
        }
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
        if abs(d) < 1e15 && Double(Int64(d)) == d {
            if d == 0 {
                if d.sign == .minus { out.append(UInt8(ascii: "-")) }
                out.append(UInt8(ascii: "0"))
                return
            }
            // Integral: its digits, written straight into the output.
            appendInteger(Int64(d), to: &out)
            return
        }
        // Swift's description is the shortest representation that round-trips, and
        // its forms ("0.1", "1e-07", "1.5e+300", "1000000000000000.0") are all valid JSON.
        var text = d.description
        text.withUTF8 { append($0, to: &out) }
    }

    /// Decimal digits of `n`, without going through a String.
    static func appendInteger(_ n: Int64, to out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var m = n.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: room for 20 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                count += 1
                buffer[24 - count] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
            } while m != 0
            append(UnsafeBufferPointer(rebasing: buffer.bindMemory(to: UInt8.self)[(24 - count)...]), to: &out)
        }
    }

    /// Appends `source` with one capacity check and one copy: `append(contentsOf:)` of an
    /// ArraySlice, a String's UTF8View or a raw buffer slice takes the generic Sequence path,
    /// about 100 instructions even for the 4 bytes of a short name.
    @inline(__always)
    static func append(_ source: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard let start = source.baseAddress, !source.isEmpty else { return }
        out.append(addingCapacity: source.count) { span in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                buffer.baseAddress!.initialize(from: start, count: source.count)
                initialized = source.count
            }
        }
    }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Ids and most text need no escape: copy their bytes whole.
        var s = s
        let plain = s.withUTF8 { utf8 in
            for c in utf8 where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return false }
            append(utf8, to: &out)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), c])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), c])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(c >> 4)], hex[Int(c & 0xF)]])
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
