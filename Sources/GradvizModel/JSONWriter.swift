// Deterministic JSON output for result files: same input, same bytes.

/// A streaming JSON writer. Call `beginObject`/`key`/`value`/`endObject` (and the
/// array counterparts) in document order, then take `bytes` or `string`; or give it a
/// `sink` and it hands the document over in chunks as it goes (`finishStream`).
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

    /// Takes the next chunk of a streamed document; false when it could not (a failed
    /// write), which stops the writer.
    public typealias Sink = (UnsafeRawBufferPointer) -> Bool

    public let style: Style
    /// The output not yet handed to the sink: the whole document for a writer without one.
    public private(set) var bytes: [UInt8] = []
    /// Whether the sink refused a chunk. Everything written after that is dropped, and a
    /// long document can stop early (`tensor` does, between rows).
    public private(set) var failed = false

    private let sink: Sink?
    /// `bytes` is handed to the sink once it holds this many: a result file of a gigabyte
    /// is written with one chunk in memory. (Int.max without a sink: never.)
    private let chunkSize: Int

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
        sink = nil
        chunkSize = .max
        bytes.reserveCapacity(capacity)
    }

    /// A writer that hands its output to `sink` in chunks of about `chunkSize` bytes (cut
    /// between values, so a chunk is at most one value longer), in order, on this thread.
    public init(style: Style = .compact, chunkSize: Int = 1 << 20, sink: @escaping Sink) {
        precondition(chunkSize > 0, "chunkSize must be positive")
        self.style = style
        self.sink = sink
        self.chunkSize = chunkSize
        // Room for a chunk and the value that completes it, so the buffer never regrows.
        bytes.reserveCapacity(chunkSize + 4096)
    }

    /// The finished document with the newline a text file ends with.
    public mutating func fileBytes() -> [UInt8] {
        precondition(stack.isEmpty, "unbalanced begin/end")
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Ends a streamed document: its final newline and the last chunk go to the sink.
    /// True when the sink took every chunk.
    public mutating func finishStream() -> Bool {
        precondition(sink != nil, "finishStream needs a writer with a sink")
        precondition(stack.isEmpty, "unbalanced begin/end")
        bytes.append(UInt8(ascii: "\n"))
        flush()
        return !failed
    }

    /// The output so far as a String.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Hands `bytes` to the sink (or, once it has failed, drops them).
    private mutating func flush() {
        guard let sink, !bytes.isEmpty else { return }
        if !failed { failed = !bytes.withUnsafeBytes(sink) }
        bytes.removeAll(keepingCapacity: true)
    }

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
        precondition(!shape.isEmpty && shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == data.count,
                     "tensor data does not match its shape")
        data.withUnsafeBufferPointer { writeTensor($0, shape: shape[...], offset: 0) }
    }

    private mutating func writeTensor(_ data: UnsafeBufferPointer<Double>, shape: ArraySlice<Int>, offset: Int) {
        let n = shape.first!, inner = shape.dropFirst()
        if inner.isEmpty { return writeRow(UnsafeBufferPointer(rebasing: data[offset..<offset + n])) }
        let stride = inner.reduce(1, *)
        beginArray()
        // A sink that failed will take nothing more: stop between rows.
        for k in 0..<n where !failed { writeTensor(data, shape: inner, offset: offset + k * stride) }
        endArray()
    }

    /// A row of numbers, `[a, b, c]` on one line: the bytes `beginArray(singleLine: true)`,
    /// `value` per number and `endArray` write, without their bookkeeping per number (a
    /// result file has tens of millions of numbers; this loop is most of its time).
    private mutating func writeRow(_ row: UnsafeBufferPointer<Double>) {
        prepareForValue()
        bytes.append(UInt8(ascii: "["))
        for (k, d) in row.enumerated() {
            if k > 0 {
                // A long row (a vector of millions) is cut into chunks too, and stops early.
                if bytes.count >= chunkSize {
                    flush()
                    if failed { break }
                }
                bytes.append(UInt8(ascii: ","))
                if style == .pretty { bytes.append(UInt8(ascii: " ")) }
            }
            JSONWriter.appendNumber(d, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// One value as a string; the usual way to serialize a `JSONValue`.
    public static func string(_ v: JSONValue, style: Style = .compact) -> String {
        var writer = JSONWriter(style: style)
        writer.value(v)
        return writer.string
    }

    // MARK: Layout

    private mutating func prepareForValue() {
        // Between two values: where a streamed document is cut into chunks.
        if bytes.count >= chunkSize { flush() }
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
        } else if abs(d) < 1e15, let n = Int64(exactly: d) {
            appendInteger(n, to: &out)
        } else {
            appendShortest(d, to: &out)
        }
    }

    /// The decimal digits of `n`, written straight into `out` (no String).
    static func appendInteger(_ n: Int64, to out: inout [UInt8]) {
        // 20 digits and a sign hold any Int64; filled from the end.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var magnitude = n.magnitude
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if n < 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// `d.description` (the shortest text that parses back to the same bits: "0.1",
    /// "1e-07", "1.5e+300", "1000000000000000.0", all valid JSON), written straight into
    /// `out`. `description` makes a String per number, on the heap past 15 bytes: most of
    /// the time of a result file of millions of numbers. The Swift runtime's own formatter
    /// (what `description` calls) writes into a stack buffer instead;
    /// JSONWriterStreamTests compares the two bit for bit.
    static func appendShortest(_ d: Double, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            // The formatter leaves some zero digits unwritten and expects the buffer to hold
            // "0"s (its contract; Swift 6.3's C entry point forgets to fill them, later
            // versions fill them themselves).
            buffer.initialize(repeating: UInt8(ascii: "0"))
            let count = swift_float64ToString(buffer.baseAddress!, UInt(buffer.count), d, false)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<Int(count)]))
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

/// The Swift runtime's shortest round-trip formatter, exported by libswiftCore (also the
/// static one `--static-swift-stdlib` links): the text of `description` for a finite
/// double, in at most 32 bytes (the buffer needs 32) without a terminating NUL, at the
/// start of `buffer`; returns its length. `debug: false` is `description`'s form.
@_silgen_name("swift_float64ToString")
private func swift_float64ToString(_ buffer: UnsafeMutablePointer<UInt8>, _ bufferLength: UInt,
                                   _ value: Double, _ debug: Bool) -> UInt64
