// Deterministic JSON output for result files: same input, same bytes.

import Dispatch

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
/// matrix reads as one row per line. A large tensor's numbers are formatted on two
/// threads, in blocks of two halves put back in order (the same bytes as one thread).
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
    public var bytes: [UInt8] { Array(buffer[..<length]) }
    /// `bytes` is `buffer[..<length]`; the rest of `buffer` is room, already allocated and
    /// initialized, so that numbers are formatted straight into it (no copy, no append per
    /// number: a result file has tens of millions of them).
    private var buffer: [UInt8]
    private var length = 0
    /// Whether the sink refused a chunk. Everything written after that is dropped, and a
    /// long document can stop early (`tensor` does, between runs of numbers).
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
    /// Where the two halves of a large tensor's block are formatted (`writeInParallel`).
    private var scratch: [UInt8] = []
    private var wroteTopLevel = false

    /// `capacity`: the expected size in bytes, when known, to spare regrowing a large output.
    public init(style: Style = .compact, capacity: Int = 0) {
        self.style = style
        sink = nil
        chunkSize = .max
        buffer = [UInt8](repeating: 0, count: max(capacity, 1024))
    }

    /// A writer that hands its output to `sink` in chunks of about `chunkSize` bytes (cut
    /// between values, so a chunk is at most one value longer; a block of a large tensor's
    /// numbers formatted in parallel is a chunk of its own), in order, on this thread.
    public init(style: Style = .compact, chunkSize: Int = 1 << 20, sink: @escaping Sink) {
        precondition(chunkSize > 0, "chunkSize must be positive")
        self.style = style
        self.sink = sink
        self.chunkSize = chunkSize
        // Room for a chunk and the value that completes it, so the buffer never regrows.
        buffer = [UInt8](repeating: 0, count: chunkSize + 4096)
    }

    /// The finished document with the newline a text file ends with.
    public mutating func fileBytes() -> [UInt8] {
        precondition(stack.isEmpty, "unbalanced begin/end")
        put(UInt8(ascii: "\n"))
        // The buffer itself, cut to its content (no copy of a large document).
        buffer.removeLast(buffer.count - length)
        return buffer
    }

    /// Ends a streamed document: its final newline and the last chunk go to the sink.
    /// True when the sink took every chunk.
    public mutating func finishStream() -> Bool {
        precondition(sink != nil, "finishStream needs a writer with a sink")
        precondition(stack.isEmpty, "unbalanced begin/end")
        put(UInt8(ascii: "\n"))
        flush()
        return !failed
    }

    /// The output so far as a String.
    public var string: String { String(decoding: buffer[..<length], as: UTF8.self) }

    /// Hands the buffer's bytes to the sink (or, once it has failed, drops them).
    private mutating func flush() {
        guard sink != nil, length > 0 else { return }
        let count = length
        buffer.withUnsafeBytes { hand(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        length = 0
    }

    /// Where a chunk is cut: between values, and after a run of a tensor's numbers.
    private mutating func flushIfFull() {
        if length >= chunkSize { flush() }
    }

    /// `bytes` to the sink, unless it has refused a chunk before.
    private mutating func hand(_ bytes: UnsafeRawBufferPointer) {
        guard let sink, !failed else { return }
        failed = !sink(bytes)
    }

    /// Makes room for `count` more bytes after `length`.
    private mutating func reserve(_ count: Int) {
        // At least doubled, so a document held whole grows in few steps (an Array of zeros,
        // not repeatElement, which is appended byte by byte without optimization).
        if buffer.count - length < count { buffer.append(contentsOf: [UInt8](repeating: 0, count: max(count, buffer.count))) }
    }

    private mutating func put(_ byte: UInt8) {
        reserve(1)
        buffer[length] = byte
        length += 1
    }

    private mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { put($0) }
    }

    private mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty else { return }
        reserve(bytes.count)
        buffer.withUnsafeMutableBufferPointer { b in
            (b.baseAddress! + length).update(from: bytes.baseAddress!, count: bytes.count)
        }
        length += bytes.count
    }

    /// Writes at most `room` bytes straight into the buffer: `body` gets where to start and
    /// returns how many it wrote.
    private mutating func put(room: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(room)
        let start = length
        let written = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress! + start) }
        precondition(written <= room, "wrote past the room made for it")
        length += written
    }

    // MARK: Containers

    /// `singleLine`: in pretty style, keep the whole object on one line (small records).
    public mutating func beginObject(singleLine: Bool = false) {
        prepareForValue()
        put(UInt8(ascii: "{"))
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
        putString(name)
        put(UInt8(ascii: ":"))
        if style == .pretty { put(UInt8(ascii: " ")) }
    }

    public mutating func beginArray(singleLine: Bool = false) {
        prepareForValue()
        put(UInt8(ascii: "["))
        stack.append(Container(isObject: false, singleLine: singleLine || stack.last?.singleLine == true))
    }

    public mutating func endArray() {
        precondition(stack.last?.isObject == false, "endArray without matching beginArray")
        close(UInt8(ascii: "]"))
    }

    // MARK: Scalars

    public mutating func value(_ d: Double) {
        prepareForValue()
        put(room: JSONWriter.maxNumberLength) { JSONWriter.formatNumber(d, into: $0) }
    }

    public mutating func value(_ n: Int) {
        prepareForValue()
        put(room: JSONWriter.maxIntegerLength) { JSONWriter.formatInteger(Int64(n), into: $0) }
    }

    public mutating func value(_ s: String) {
        prepareForValue()
        putString(s)
    }

    public mutating func value(_ b: Bool) {
        prepareForValue()
        put(b ? "true" : "false")
    }

    public mutating func null() {
        prepareForValue()
        put("null")
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
                put("-0")
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
        if data.isEmpty { return writeEmpty(shape[...]) }
        prepareForValue()
        let text = TensorText(shape: shape, pretty: style == .pretty, singleLine: stack.last?.singleLine == true, depth: stack.count)
        put(room: text.maxGap) { text.opening(into: $0) }
        data.withUnsafeBufferPointer { data in
            var next = 0
            // A sink that failed will take nothing more: stop early.
            while next < text.count && !failed {
                let left = text.count - next
                if left >= JSONWriter.parallelMinimum {
                    next += writeInParallel(text, data, next..<next + min(left, 2 * JSONWriter.parallelHalf))
                } else {
                    next = writeRun(text, data, next)
                }
            }
        }
        put(room: text.maxGap) { text.closing(into: $0) }
    }

    /// Elements from `first` on, formatted straight into the buffer, as many as fit before
    /// the chunk is full (one at least, and at most 64 KB of them): so a chunk ends at most
    /// one number past chunkSize, as it does between values. Returns where it stopped.
    private mutating func writeRun(_ text: TensorText, _ data: UnsafeBufferPointer<Double>, _ first: Int) -> Int {
        let capacity = min(max(chunkSize - length, 0), 1 << 16) + text.maxGap + JSONWriter.maxNumberLength
        var next = first
        put(room: capacity) { out in
            let (stop, written) = text.format(data, first..<text.count, into: out, capacity: capacity)
            next = stop
            return written
        }
        flushIfFull()
        return next
    }

    /// A large tensor's numbers are formatted in blocks of up to two halves of this many
    /// elements (about 0.8 MB of text each), once at least `parallelMinimum` are left.
    static let parallelHalf = 1 << 15, parallelMinimum = 1 << 14

    /// Formats `block` in two halves at once, each on a thread of its own into its half of
    /// `scratch`, then writes the first half and the second, in that order: the same bytes
    /// as one thread gives, whatever the scheduling, in about half the time on two cores
    /// (formatting numbers is most of a result file's time). Returns the elements written.
    private mutating func writeInParallel(_ text: TensorText, _ data: UnsafeBufferPointer<Double>, _ block: Range<Int>) -> Int {
        let middle = block.lowerBound + block.count / 2
        let halves = [block.lowerBound..<middle, middle..<block.upperBound]
        let room = text.bound(elements: halves[1].count)
        if scratch.count < 2 * room { scratch = [UInt8](repeating: 0, count: 2 * room) }
        var written = [0, 0]
        scratch.withUnsafeMutableBufferPointer { scratch in
            written.withUnsafeMutableBufferPointer { written in
                DispatchQueue.concurrentPerform(iterations: 2) { half in
                    // Each thread writes only its half of `scratch` and its own count.
                    let (next, count) = text.format(data, halves[half], into: scratch.baseAddress! + half * room, capacity: room)
                    precondition(next == halves[half].upperBound, "the scratch buffer holds a whole half")
                    written[half] = count
                }
            }
        }
        scratch.withUnsafeBufferPointer { scratch in
            for half in 0..<2 { emit(UnsafeBufferPointer(rebasing: scratch[half * room..<half * room + written[half]])) }
        }
        return block.count
    }

    /// Bytes formatted elsewhere: handed to the sink as a chunk of their own (after what the
    /// buffer holds), or without a sink added to the document.
    private mutating func emit(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard sink != nil else { return put(bytes) }
        flush()
        hand(UnsafeRawBufferPointer(bytes))
    }

    /// A tensor without elements (a dimension is 0): its arrays, empty ones included.
    private mutating func writeEmpty(_ shape: ArraySlice<Int>) {
        beginArray(singleLine: shape.count == 1)
        if shape.count > 1 { for _ in 0..<shape.first! { writeEmpty(shape.dropFirst()) } }
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
        // Between two values: where a streamed document is cut into chunks.
        flushIfFull()
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
        if top.count > 0 { put(UInt8(ascii: ",")) }
        guard style == .pretty else { return }
        if top.singleLine {
            if top.count > 0 { put(UInt8(ascii: " ")) }
        } else {
            newline(indent: stack.count)
        }
    }

    private mutating func close(_ bracket: UInt8) {
        let container = stack.removeLast()
        if style == .pretty && !container.singleLine && container.count > 0 { newline(indent: stack.count) }
        put(bracket)
    }

    private mutating func newline(indent: Int) {
        put(room: 1 + 2 * indent) { TensorText.newline(indent: indent, into: $0) }
    }

    // MARK: Formatting

    /// The text of a number as the writer writes it, e.g. for labels.
    public static func format(_ d: Double) -> String {
        text(capacity: maxNumberLength) { formatNumber(d, into: $0) }
    }

    /// What `write` writes into a buffer of `capacity` bytes (and returns the length of),
    /// as a String.
    static func text(capacity: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) -> String {
        String(unsafeUninitializedCapacity: capacity) { buffer in write(buffer.baseAddress!) }
    }

    /// The most bytes `formatNumber` writes: the shortest formatter's buffer.
    static var maxNumberLength: Int { 32 }

    /// Writes the text of `d` at `out`, which has room for `maxNumberLength` bytes; returns
    /// how many it wrote. The one place that decides how a number is written.
    @inline(__always)
    static func formatNumber(_ d: Double, into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard d.isFinite else {
            let text: StaticString = d.isNaN ? "\"NaN\"" : d < 0 ? "\"-Infinity\"" : "\"Infinity\""
            out.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
            return text.utf8CodeUnitCount
        }
        if d == 0 && d.sign == .minus {
            // "-0" would be read back as the integer 0 by many readers (Python's json).
            let text: StaticString = "-0.0"
            out.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
            return text.utf8CodeUnitCount
        } else if abs(d) < 1e15, let n = Int64(exactly: d) {
            return formatInteger(n, into: out)
        } else {
            return formatShortest(d, into: out)
        }
    }

    /// The most bytes `formatInteger` writes: any Int64, its sign included.
    static var maxIntegerLength: Int { 20 }

    /// The decimal digits of `n` (and its sign) at `out`, which has room for
    /// `maxIntegerLength` bytes; returns how many.
    static func formatInteger(_ n: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = n.magnitude
        var digits = 0
        repeat {
            digits += 1
            magnitude /= 10
        } while magnitude != 0
        let count = digits + (n < 0 ? 1 : 0)
        if n < 0 { out[0] = UInt8(ascii: "-") }
        magnitude = n.magnitude
        for k in stride(from: count - 1, through: count - digits, by: -1) {
            out[k] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        }
        return count
    }

    /// `d.description` (the shortest text that parses back to the same bits: "0.1",
    /// "1e-07", "1.5e+300", "1000000000000000.0", all valid JSON), written straight into
    /// `out`. `description` makes a String per number, on the heap past 15 bytes: most of
    /// the time of a result file of millions of numbers. The Swift runtime's own formatter
    /// (what `description` calls) writes into a caller's buffer instead;
    /// JSONWriterStreamTests compares the two bit for bit. `out` has room for
    /// `maxNumberLength` bytes (what the runtime's formatter needs); returns how many bytes
    /// it wrote.
    @inline(__always)
    static func formatShortest(_ d: Double, into out: UnsafeMutablePointer<UInt8>) -> Int {
        // The formatter leaves some zero digits unwritten and expects the buffer to hold
        // "0"s (its contract; Swift 6.3's C entry point forgets to fill them, later versions
        // fill them themselves). One 32-byte store.
        UnsafeMutableRawPointer(out).storeBytes(of: SIMD32<UInt8>(repeating: UInt8(ascii: "0")), as: SIMD32<UInt8>.self)
        return Int(swift_float64ToString(out, UInt(maxNumberLength), d, false))
    }

    private mutating func putString(_ s: String) {
        put(UInt8(ascii: "\""))
        // Ids and most text need no escape: their bytes are copied whole.
        var s = s
        let plain = s.withUTF8 { bytes in
            for c in bytes where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return false }
            put(bytes)
            return true
        }
        if plain {
            put(UInt8(ascii: "\""))
            return
        }
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(UInt8(ascii: "\\")); put(c)
            case 0x0A: put("\\n")
            case 0x0D: put("\\r")
            case 0x09: put("\\t")
            case 0x08: put("\\b")
            case 0x0C: put("\\f")
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                put("\\u00")
                put(hex.utf8Start[Int(c >> 4)])
                put(hex.utf8Start[Int(c & 0xF)])
            default: put(c)
            }
        }
        put(UInt8(ascii: "\""))
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
