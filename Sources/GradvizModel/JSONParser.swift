import GradvizCore

// The JSON parser behind `JSONValue.parse`: iterative, strict, with positions.

/// The elements of the containers still open, on one stack. A finished container moves its
/// elements out into an array of exactly their number: no copy, so no retain and release
/// per element as an Array's slice-then-remove costs (a tenth of parsing a large model).
struct PendingStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity = 256
    private(set) var count = 0

    init() { base = .allocate(capacity: capacity) }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    mutating func append(_ element: consuming Element) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<Element>.allocate(capacity: 2 * capacity)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    subscript(i: Int) -> Element { base[i] }

    /// Index of the first element from `first` on that satisfies `predicate`.
    func firstIndex(from first: Int, where predicate: (borrowing Element) -> Bool) -> Int? {
        for n in first..<count where predicate(base[n]) { return n }
        return nil
    }

    func forEach(from first: Int, _ body: (Int, borrowing Element) -> Void) {
        for n in first..<count { body(n, base[n]) }
    }

    /// Removes the elements from `first` on and returns them, in order.
    mutating func popArray(from first: Int) -> [Element] {
        // Moved one by one into reserved room: the standard library's ways to fill a new
        // array in bulk go through an unspecialized entry point that costs more than this.
        var out: [Element] = []
        out.reserveCapacity(count - first)
        for k in first..<count { out.append((base + k).move()) }
        count = first
        return out
    }
}

// MARK: - Parser

private enum Byte {
    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")
    static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    static let minus = UInt8(ascii: "-"), plus = UInt8(ascii: "+"), dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
    static let newline = UInt8(ascii: "\n")
}

/// Iterative (explicit stack) so hostile nesting cannot overflow the call stack.
struct JSONParser: ~Copyable {
    /// An array or object whose closing bracket has not been seen yet.
    struct Frame {
        let isObject: Bool
        let start: SourcePosition
        /// Where this container's elements (or members) begin in `pendingValues`
        /// (`pendingMembers`): open containers share those two stacks, so each finished
        /// container is one exact-size array rather than one grown element by element.
        let first: Int
        var count = 0
        // The key whose value is being parsed.
        var key = ""
        var keyPosition = SourcePosition.unknown
        // Built once an object gets big, so duplicate checks stay linear overall.
        var keyIndex: [String: Int]? = nil
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var i = 0
    // Line tracking. Columns count scalars, so the continuation bytes of multi-byte
    // characters (which only occur inside strings) are counted and subtracted.
    var line = 1
    var lineStart = 0
    var continuationBytes = 0
    var continuationBytesAtLineStart = 0
    /// Reused buffer for strings with escapes.
    var scratch: [UInt8] = []
    var pendingValues = PendingStack<JSONValue>()
    var pendingMembers = PendingStack<JSONMember>()

    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    var position: SourcePosition {
        SourcePosition(line: line, column: i - lineStart - (continuationBytes - continuationBytesAtLineStart) + 1)
    }

    func error(_ message: String) -> JSONError { JSONError(message, at: position) }

    var atEnd: Bool { i >= bytes.count }

    mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0D:
                i += 1
            case Byte.newline:
                i += 1
                line += 1
                lineStart = i
                continuationBytesAtLineStart = continuationBytes
            default:
                return
            }
        }
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            i = 3
            lineStart = 3
        }
        skipWhitespace()
        if atEnd { throw error("empty input; expected a JSON value") }

        var stack: [Frame] = []
        var value: JSONValue
        parsing: while true {
            // Parse the start of a value: either a complete scalar, or open a container.
            skipWhitespace()
            let start = position
            guard !atEnd else { throw error("unexpected end of input; expected a value") }
            switch bytes[i] {
            case Byte.openBracket, Byte.openBrace:
                let isObject = bytes[i] == Byte.openBrace
                if stack.count >= maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
                i += 1
                skipWhitespace()
                if !atEnd && bytes[i] == (isObject ? Byte.closeBrace : Byte.closeBracket) {
                    i += 1
                    value = JSONValue(isObject ? .object([]) : .array([]), at: start)
                } else {
                    var frame = Frame(isObject: isObject, start: start, first: isObject ? pendingMembers.count : pendingValues.count)
                    if isObject { try readKey(into: &frame) }
                    stack.append(frame)
                    continue parsing
                }
            case Byte.quote:
                value = JSONValue(.string(try parseString()), at: start)
            case Byte.minus, Byte.zero...Byte.nine:
                value = try parseNumber(start: start)
            default:
                value = try parseLiteral(start: start)
            }

            // A value is complete: add it to the open container, then either go on
            // to the next element or close containers until one expects more.
            while true {
                skipWhitespace()
                guard let top = stack.indices.last else {
                    if !atEnd { throw error("unexpected \(describeCurrent()) after the JSON value") }
                    return value
                }
                if stack[top].isObject {
                    pendingMembers.append(JSONMember(stack[top].key, value, keyPosition: stack[top].keyPosition))
                    stack[top].count += 1
                    if !atEnd && bytes[i] == Byte.comma {
                        i += 1
                        skipWhitespace()
                        if !atEnd && bytes[i] == Byte.closeBrace { throw error("trailing comma before '}'") }
                        try readKey(into: &stack[top])
                        continue parsing
                    }
                    if !atEnd && bytes[i] == Byte.closeBrace {
                        i += 1
                        let frame = stack.removeLast()
                        value = JSONValue(.object(pendingMembers.popArray(from: frame.first)), at: frame.start)
                        continue
                    }
                    throw error(atEnd ? "unexpected end of input; expected ',' or '}' after object member"
                                      : "expected ',' or '}' after object member, found \(describeCurrent())")
                } else {
                    pendingValues.append(value)
                    stack[top].count += 1
                    if !atEnd && bytes[i] == Byte.comma {
                        i += 1
                        skipWhitespace()
                        if !atEnd && bytes[i] == Byte.closeBracket { throw error("trailing comma before ']'") }
                        continue parsing
                    }
                    if !atEnd && bytes[i] == Byte.closeBracket {
                        i += 1
                        let frame = stack.removeLast()
                        value = JSONValue(.array(pendingValues.popArray(from: frame.first)), at: frame.start)
                        continue
                    }
                    throw error(atEnd ? "unexpected end of input; expected ',' or ']' after array element"
                                      : "expected ',' or ']' after array element, found \(describeCurrent())")
                }
            }
        }
    }

    /// Reads `"key" :` and checks the key is new in this object.
    mutating func readKey(into frame: inout Frame) throws(JSONError) {
        skipWhitespace()
        guard !atEnd else { throw error("unexpected end of input; expected a string key") }
        guard bytes[i] == Byte.quote else {
            throw error("expected a string key in double quotes, found \(describeCurrent())")
        }
        let keyPosition = position
        let key = try parseKeyString()

        // Small objects: a linear scan is cheaper than hashing.
        var previous: Int?
        if let index = frame.keyIndex {
            previous = index[key]
        } else {
            previous = pendingMembers.firstIndex(from: frame.first) { $0.key == key }
            if frame.count >= 16 {
                var index: [String: Int] = [:]
                pendingMembers.forEach(from: frame.first) { n, m in index[m.key] = n }
                frame.keyIndex = index
            }
        }
        if let previous {
            throw JSONError("duplicate key \(jsonQuoted(key)) (first at \(pendingMembers[previous].keyPosition))",
                            at: keyPosition)
        }
        frame.keyIndex?[key] = frame.first + frame.count

        skipWhitespace()
        guard !atEnd, bytes[i] == Byte.colon else {
            throw error(atEnd ? "unexpected end of input; expected ':' after object key"
                              : "expected ':' after object key, found \(describeCurrent())")
        }
        i += 1
        frame.key = key
        frame.keyPosition = keyPosition
    }

    // MARK: Scalars

    mutating func parseNumber(start: SourcePosition) throws(JSONError) -> JSONValue {
        let first = i
        let negative = bytes[i] == Byte.minus
        if negative { i += 1 }
        let digitsStart = i
        if !atEnd && bytes[i] == Byte.zero {
            i += 1
            if !atEnd && isDigit(bytes[i]) { throw error("leading zeros are not allowed in numbers") }
        } else if !atEnd && isDigit(bytes[i]) {
            while !atEnd && isDigit(bytes[i]) { i += 1 }
        } else {
            throw error("expected a digit after '-', found \(describeCurrent())")
        }
        let integerDigits = i - digitsStart
        var isInteger = true
        if !atEnd && bytes[i] == Byte.dot {
            isInteger = false
            i += 1
            guard !atEnd && isDigit(bytes[i]) else { throw error("expected a digit after '.', found \(describeCurrent())") }
            while !atEnd && isDigit(bytes[i]) { i += 1 }
        }
        if !atEnd && (bytes[i] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            i += 1
            if !atEnd && (bytes[i] == Byte.plus || bytes[i] == Byte.minus) { i += 1 }
            guard !atEnd && isDigit(bytes[i]) else {
                throw error("expected a digit in the exponent, found \(describeCurrent())")
            }
            while !atEnd && isDigit(bytes[i]) { i += 1 }
        }

        let d: Double
        if isInteger && integerDigits <= 15 {
            // Fast path: integers below 10^15 are exact in a Double.
            var n = 0
            for k in digitsStart..<i { n = n * 10 + Int(bytes[k] - Byte.zero) }
            d = negative ? -Double(n) : Double(n)  // -Double(0) keeps "-0" as -0.0
        } else {
            let lexeme = String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<i]), as: UTF8.self)
            guard let parsed = Double(lexeme), parsed.isFinite else {
                throw JSONError("number \(lexeme) is out of range", at: start)
            }
            d = parsed
        }
        return JSONValue(.number(d, isInteger: isInteger), at: start)
    }

    mutating func parseLiteral(start: SourcePosition) throws(JSONError) -> JSONValue {
        guard isLetter(bytes[i]) else {
            switch bytes[i] {
            case UInt8(ascii: "/"): throw error("comments are not allowed in JSON")
            case UInt8(ascii: "'"): throw error("strings must be in double quotes")
            default: throw error("expected a value, found \(describeCurrent())")
            }
        }
        let wordStart = i
        while !atEnd && (isLetter(bytes[i]) || isDigit(bytes[i])) { i += 1 }
        let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[wordStart..<i]), as: UTF8.self)
        switch word {
        case "true": return JSONValue(.bool(true), at: start)
        case "false": return JSONValue(.bool(false), at: start)
        case "null": return JSONValue(.null, at: start)
        case "NaN", "nan", "Infinity", "inf":
            throw JSONError("'\(word)' is not valid JSON (JSON has no NaN or infinite numbers)", at: start)
        default:
            throw JSONError("expected a value, found '\(word)'", at: start)
        }
    }

    /// Keys repeat ("id", "op", "inputs" in every node): short plain ones are kept, packed
    /// into an integer, and reused instead of being decoded again.
    var recentKeys: [(packed: UInt64, key: String)] = []

    mutating func parseKeyString() throws(JSONError) -> String {
        var packed: UInt64 = 0
        var k = i + 1
        while k < bytes.count, k - i <= 8 {
            let c = bytes[k]
            if c == Byte.quote {
                packed |= UInt64(k - i - 1) << 56  // the length tells "a" from "a\0"
                for entry in recentKeys where entry.packed == packed {
                    i = k + 1
                    return entry.key
                }
                let key = try parseString()
                if recentKeys.count < 16 { recentKeys.append((packed, key)) }
                return key
            }
            guard c >= 0x20, c < 0x80, c != Byte.backslash, k - i <= 7 else { break }
            packed |= UInt64(c) << (8 * UInt64(k - i - 1))
            k += 1
        }
        return try parseString()
    }

    /// Parses a string starting at its opening quote.
    mutating func parseString() throws(JSONError) -> String {
        let open = position
        i += 1
        let contentStart = i
        // Fast path: no escapes, so the bytes are the string.
        while !atEnd {
            let c = bytes[i]
            if c == Byte.quote {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[contentStart..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == Byte.backslash { break }
            if c < 0x20 { try rejectControl(c, open: open) }
            if c < 0x80 { i += 1 } else { try consumeMultibyte() }
        }
        if atEnd { throw JSONError("unterminated string", at: open) }

        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<i]))
        while !atEnd {
            let c = bytes[i]
            if c == Byte.quote {
                i += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if c == Byte.backslash {
                try parseEscape()
            } else if c < 0x20 {
                try rejectControl(c, open: open)
            } else if c < 0x80 {
                scratch.append(c)
                i += 1
            } else {
                let s = i
                try consumeMultibyte()
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[s..<i]))
            }
        }
        throw JSONError("unterminated string", at: open)
    }

    func rejectControl(_ c: UInt8, open: SourcePosition) throws(JSONError) {
        if c == Byte.newline || c == 0x0D { throw JSONError("unterminated string (a line break inside a string must be written \\n)", at: open) }
        throw error("control character \(hexScalar(UInt32(c))) must be escaped in a string")
    }

    /// Parses one backslash escape into `scratch`.
    mutating func parseEscape() throws(JSONError) {
        let escapeStart = position
        i += 1
        guard !atEnd else { return }  // the caller reports the unterminated string
        let c = bytes[i]
        i += 1
        switch c {
        case Byte.quote, Byte.backslash, UInt8(ascii: "/"): scratch.append(c)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONError("unpaired surrogate \\u\(hex4(scalar)) in string", at: escapeStart)
            }
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard i + 1 < bytes.count, bytes[i] == Byte.backslash, bytes[i + 1] == UInt8(ascii: "u") else {
                    throw JSONError("unpaired surrogate \\u\(hex4(scalar)) in string", at: escapeStart)
                }
                i += 2
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONError("unpaired surrogate \\u\(hex4(scalar)) in string", at: escapeStart)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            appendUTF8(scalar)
        default:
            throw JSONError("invalid escape '\\\(describeByte(c))' in string", at: escapeStart)
        }
    }

    mutating func readHex4() throws(JSONError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard !atEnd, let h = hexValue(bytes[i]) else {
                throw error("expected 4 hex digits after \\u")
            }
            v = v << 4 | h
            i += 1
        }
        return v
    }

    mutating func appendUTF8(_ v: UInt32) {
        switch v {
        case 0..<0x80:
            scratch.append(UInt8(v))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | v >> 6))
            scratch.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | v >> 12))
            scratch.append(UInt8(0x80 | v >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | v & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | v >> 18))
            scratch.append(UInt8(0x80 | v >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | v >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | v & 0x3F))
        }
    }

    /// Validates one multi-byte UTF-8 sequence at `i` and steps over it. Rejects
    /// overlong forms, encoded surrogates and values above U+10FFFF.
    mutating func consumeMultibyte() throws(JSONError) {
        guard let length = utf8SequenceLength(at: i) else { throw error("invalid UTF-8") }
        i += length
        continuationBytes += length - 1
    }

    func utf8SequenceLength(at k: Int) -> Int? {
        let b0 = bytes[k]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: return nil
        }
        guard k + length <= bytes.count, secondRange.contains(bytes[k + 1]) else { return nil }
        for n in 2..<length where !(0x80...0xBF).contains(bytes[k + n]) { return nil }
        return length
    }

    // MARK: Messages

    /// The character at `i`, quoted, for messages.
    func describeCurrent() -> String {
        if atEnd { return "end of input" }
        let c = bytes[i]
        if c >= 0x80 {
            guard let length = utf8SequenceLength(at: i) else { return "invalid UTF-8" }
            let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<i + length]), as: UTF8.self)
            return quoted(s)
        }
        return "'\(describeByte(c))'"
    }
}

private func isDigit(_ c: UInt8) -> Bool { c >= Byte.zero && c <= Byte.nine }
private func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }

private func hexValue(_ c: UInt8) -> UInt32? {
    switch c {
    case Byte.zero...Byte.nine: return UInt32(c - Byte.zero)
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
    default: return nil
    }
}

private func hex4(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}

private func hexScalar(_ v: UInt32) -> String { "U+" + hex4(v) }

/// A printable rendering of an ASCII byte; control characters become U+00XX.
private func describeByte(_ c: UInt8) -> String {
    (0x20..<0x7F).contains(c) ? String(UnicodeScalar(c)) : hexScalar(UInt32(c))
}

/// A key as a JSON string literal, so odd characters cannot break a one-line message.
private func jsonQuoted(_ s: String) -> String {
    var w = JSONWriter()
    w.value(s)
    return w.string
}
