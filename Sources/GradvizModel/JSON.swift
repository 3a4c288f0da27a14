import GradvizCore

// A small, strict JSON (RFC 8259) parser for model.json.
//
// Foundation's JSONSerialization loses key order and source positions and its
// errors are vague, so the loader gets its own parser: every value and every
// object key remembers where it starts, so messages can say "model.json:12:5: ...".

/// A place in a source text. Both numbers are 1-based; the column counts Unicode
/// scalars (not bytes), so it matches what an editor shows for non-ASCII text.
public struct SourcePosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    // Stored as 32 bits each: every value of a parsed model keeps its position, and a model
    // file has at most 256 MiB, so neither number comes near 2^31 (numbers past it, which
    // only code can make, are clamped). Half the size of two Ints makes the whole JSON tree
    // a fifth smaller.
    private var storedLine: Int32
    private var storedColumn: Int32

    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Self.clamped(newValue) }
    }
    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Self.clamped(newValue) }
    }

    public init(line: Int, column: Int) {
        storedLine = Self.clamped(line)
        storedColumn = Self.clamped(column)
    }

    private static func clamped(_ n: Int) -> Int32 { Int32(clamping: n) }

    /// For values built in code rather than parsed.
    public static let unknown = SourcePosition(line: 0, column: 0)

    /// "line:column", ready to follow "model.json:".
    public var description: String { "\(line):\(column)" }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// A syntax error in JSON text. `description` is one line: "12:5: message".
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String

    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }

    public var line: Int { position.line }
    public var column: Int { position.column }
    public var description: String { "\(position): \(message)" }
}

/// One `"key": value` pair of an object; objects keep their members in source order.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var keyPosition: SourcePosition
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue, keyPosition: SourcePosition = .unknown) {
        self.key = key
        self.value = value
        self.keyPosition = keyPosition
    }

    /// Compares key and value, not positions.
    public static func == (a: JSONMember, b: JSONMember) -> Bool {
        a.key == b.key && a.value == b.value
    }
}

/// A parsed JSON value with the position of its first character.
///
/// Equality compares structure and contents (numbers with `==` on Double plus the
/// integer-literal flag), never positions, so a parsed value equals one built in code.
public struct JSONValue: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case null
        case bool(Bool)
        /// The value as Double (parsed from the exact lexeme, so it is correctly
        /// rounded) and whether the lexeme was an integer literal: `3` but not `3.0`
        /// or `3e0`. Seeds and class indices must be integer literals.
        case number(Double, isInteger: Bool)
        case string(String)
        case array([JSONValue])
        /// Members in source order; keys are unique (the parser rejects duplicates).
        case object([JSONMember])
    }

    public var kind: Kind
    public var position: SourcePosition

    public init(_ kind: Kind, at position: SourcePosition = .unknown) {
        self.kind = kind
        self.position = position
    }

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.kind == b.kind }

    // MARK: Building values in code

    public static let null = JSONValue(.null)
    public static func bool(_ b: Bool) -> JSONValue { JSONValue(.bool(b)) }
    /// A number; it counts as an integer literal when it is integral and
    /// exactly representable (|d| <= 2^53).
    public static func number(_ d: Double) -> JSONValue {
        // (Comparing with Int64 rather than calling rounded() keeps libm out of this module.)
        JSONValue(.number(d, isInteger: abs(d) <= 9_007_199_254_740_992 && Double(Int64(d)) == d))
    }
    public static func string(_ s: String) -> JSONValue { JSONValue(.string(s)) }
    public static func array(_ elements: [JSONValue]) -> JSONValue { JSONValue(.array(elements)) }
    public static func object(_ members: [(String, JSONValue)]) -> JSONValue {
        JSONValue(.object(members.map { JSONMember($0.0, $0.1) }))
    }

    // MARK: Accessors for the loader

    /// The member's value, or nil when this is not an object or has no such key.
    public subscript(key: String) -> JSONValue? { member(key)?.value }

    /// The member (with its key's position), or nil.
    public func member(_ key: String) -> JSONMember? {
        guard case .object(let members) = kind else { return nil }
        return members.first { $0.key == key }
    }

    public var objectMembers: [JSONMember]? {
        if case .object(let m) = kind { return m }
        return nil
    }

    public var arrayElements: [JSONValue]? {
        if case .array(let a) = kind { return a }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let d, _) = kind { return d }
        return nil
    }

    /// True for a number written as an integer literal (`3`, `-0`, not `3.0`).
    public var isInteger: Bool {
        if case .number(_, true) = kind { return true }
        return false
    }

    /// The value of an integer literal, or nil. Literals beyond ±2^53 give nil
    /// because their Double may no longer be the integer that was written.
    public var intValue: Int? {
        guard case .number(let d, true) = kind, abs(d) <= 9_007_199_254_740_992 else { return nil }
        return Int(d)
    }

    public var stringValue: String? {
        if case .string(let s) = kind { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = kind { return b }
        return nil
    }

    public var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    /// "an object", "a number", ... for messages such as "expected an array, found a string".
    public var kindDescription: String {
        switch kind {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: Parsing

    /// The deepest nesting of arrays and objects `parse` accepts by default.
    public static let defaultMaxDepth = 512

    /// Parses UTF-8 JSON text (a leading UTF-8 byte order mark is skipped).
    /// Throws `JSONError` for anything RFC 8259 does not allow, for duplicate keys,
    /// numbers beyond the range of Double, and nesting deeper than `maxDepth`.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        let result: Result<JSONValue, JSONError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer, maxDepth: maxDepth)
            do throws(JSONError) { return .success(try parser.parseDocument()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}
