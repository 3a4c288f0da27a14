/// An operation of the graph: its forward computation and its vector-Jacobian product
/// side by side. Each op is one small type; `OpRegistry.all` lists them.
///
/// The engine calls `outputShapes` to check a node before computing anything, `forward`
/// to compute it, and `vjp` in the backward pass: given the upstream gradient of each
/// output, return the downstream gradient of each input (never a Jacobian).
public protocol Op: Sendable {
    /// Name, inputs, attributes with their defaults, and the local gradient formula.
    static var info: OpInfo { get }
    /// The signature of this instance: `Self.info`, except for ops whose signature depends on
    /// how they were built (a model's custom primitive names its own params).
    var info: OpInfo { get }
    /// Builds the op from attributes; every attribute of `info` is present (defaults
    /// filled in) and of the declared kind.
    init(_ attributes: Attributes) throws(OpError)
    /// The attributes the op was built with, defaults included.
    var attributes: Attributes { get }
    /// Output shapes for these input shapes, or an error that names the input and shapes.
    func outputShapes(_ inputs: [[Int]]) throws(OpError) -> [[Int]]
    /// The forward computation. Shapes have been checked by `outputShapes`; a value a shape
    /// cannot rule out (a class index out of range) is reported by throwing.
    func forward(_ inputs: [Tensor]) throws(OpError) -> [Tensor]
    /// Downstream gradients, one per input; nil where `context.needsGradient[i]` is false.
    func vjp(_ context: VJPContext) -> [Tensor?]
}

extension Op {
    public var name: String { info.name }
    public var info: OpInfo { Self.info }
}

/// Everything a vector-Jacobian product may need.
public struct VJPContext {
    public let inputs: [Tensor]
    public let outputs: [Tensor]
    /// Upstream gradient of every output (zeros for an output no path uses).
    public let upstream: [Tensor]
    /// Which inputs need a gradient: the others may be skipped.
    public let needsGradient: [Bool]

    public init(inputs: [Tensor], outputs: [Tensor], upstream: [Tensor], needsGradient: [Bool]) {
        self.inputs = inputs
        self.outputs = outputs
        self.upstream = upstream
        self.needsGradient = needsGradient
    }

    /// The upstream gradient of a single-output op.
    public var g: Tensor { upstream[0] }
    /// The forward result of a single-output op.
    public var y: Tensor { outputs[0] }
    public subscript(i: Int) -> Tensor { inputs[i] }
    public func needs(_ i: Int) -> Bool { i < needsGradient.count && needsGradient[i] }
}

/// An input slot in an op's signature.
public struct InputSpec: Sendable {
    public let name: String
    public let optional: Bool
    /// Variadic: the op takes one or more of this input (concat).
    public let variadic: Bool
    /// False for integer data such as class indices, which carry no gradient.
    public let differentiable: Bool

    public init(_ name: String, optional: Bool = false, variadic: Bool = false, differentiable: Bool = true) {
        self.name = name
        self.optional = optional
        self.variadic = variadic
        self.differentiable = differentiable
    }
}

/// The kind of value an attribute takes, for validation and for `gradviz ops`.
public enum AttrKind: Sendable, Equatable {
    case int, double, string([String]), bool
    case ints            // a list of integers
    case intOrInts       // an int or a list of ints (padding, kernel_size)
    case axes            // null (all axes), an int, or a list of ints
    case axis            // an int
}

public struct AttrSpec: Sendable {
    public let name: String
    public let kind: AttrKind
    /// nil when the attribute is required.
    public let defaultValue: AttrValue?
    public let doc: String

    public init(_ name: String, _ kind: AttrKind, default defaultValue: AttrValue?, _ doc: String = "") {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.doc = doc
    }
}

/// What `gradviz ops` prints and what the loader validates against. A class: it is read
/// for every node in the forward and backward loops, and a reference costs one retain
/// where copying a struct of arrays and strings costs many.
public final class OpInfo: Sendable {
    public let name: String
    /// A short mark for drawings ("+", "×", "σ").
    public let symbol: String
    public let inputs: [InputSpec]
    public let attributes: [AttrSpec]
    /// Local gradient of every input, written with g for the upstream gradient and y for
    /// the output, e.g. "da = g * b;  db = g * a".
    public let gradient: String
    public let summary: String
    /// Number of outputs; nil when it depends on the attributes (split).
    public let outputCount: Int?

    public init(name: String, symbol: String? = nil, inputs: [InputSpec], attributes: [AttrSpec] = [],
                gradient: String, summary: String, outputCount: Int? = 1) {
        self.name = name
        self.symbol = symbol ?? name
        self.inputs = inputs
        self.attributes = attributes
        self.gradient = gradient
        self.summary = summary
        self.outputCount = outputCount
        if inputs.contains(where: { $0.variadic }) { arity = max(1, inputs.count)...Int.max }
        else { arity = inputs.filter { !$0.optional }.count...inputs.count }
        allDifferentiable = inputs.allSatisfy(\.differentiable)
    }

    /// The accepted numbers of inputs.
    public let arity: ClosedRange<Int>
    let allDifferentiable: Bool

    public func inputName(_ slot: Int) -> String {
        if let v = inputs.last, v.variadic, slot >= inputs.count - 1 { return "\(v.name)\(slot + 1)" }
        return slot < inputs.count ? inputs[slot].name : "input \(slot)"
    }

    public func isDifferentiable(slot: Int) -> Bool {
        if allDifferentiable { return true }
        if slot < inputs.count { return inputs[slot].differentiable }
        return inputs.last?.variadic == true ? inputs.last!.differentiable : true
    }
}

/// An attribute value as written in a model or in Swift.
public enum AttrValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case ints([Int])

    public var description: String {
        switch self {
        case .null: return "null"
        case .int(let i): return "\(i)"
        case .double(let d): return formatNumber(d)
        case .string(let s): return "\"\(visibleText(s))\""
        case .bool(let b): return "\(b)"
        case .ints(let l): return "[" + l.map(String.init).joined(separator: ", ") + "]"
        }
    }
}

/// Shortest round-trip text of a number, integral values without ".0".
public func formatNumber(_ d: Double) -> String {
    if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
    return "\(d)"
}

/// An op's attributes in declaration order, defaults filled in, each checked against its
/// kind. Build it from user-given values with `Attributes(validating:for:)`.
public struct Attributes: Sendable, Equatable {
    public private(set) var entries: [(name: String, value: AttrValue)]

    public static func == (a: Attributes, b: Attributes) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Checks names, kinds and presence against `info` and fills in defaults. The error
    /// names the attribute and says what was expected.
    public init(validating given: [(String, AttrValue)], for info: OpInfo) throws(OpError) {
        var seen = Set<String>()
        for (name, _) in given {
            guard info.attributes.contains(where: { $0.name == name }) else {
                let known = info.attributes.map(\.name)
                var message = "unknown attribute \(quoted(name)) for op \(quoted(info.name))"
                if let near = nearestName(to: name, in: known) { message += " (did you mean \(quoted(near))?)" }
                else if known.isEmpty { message += " (it takes no attributes)" }
                else { message += " (it takes \(known.joined(separator: ", ")))" }
                throw OpError(message)
            }
            guard seen.insert(name).inserted else { throw OpError("attribute \(quoted(name)) given twice") }
        }
        entries = []
        for spec in info.attributes {
            if let (_, value) = given.first(where: { $0.0 == spec.name }) {
                entries.append((spec.name, try Attributes.coerce(value, to: spec)))
            } else if let d = spec.defaultValue {
                entries.append((spec.name, d))
            } else {
                throw OpError("op \(quoted(info.name)) needs attribute \(quoted(spec.name)) (\(spec.kind.expected))")
            }
        }
    }

    /// Defaults only.
    public init(defaultsFor info: OpInfo) {
        entries = info.attributes.compactMap { s in s.defaultValue.map { (s.name, $0) } }
    }

    private static func coerce(_ v: AttrValue, to spec: AttrSpec) throws(OpError) -> AttrValue {
        let bad = OpError("attribute \(quoted(spec.name)) must be \(spec.kind.expected), got \(v)")
        // An attribute whose default is null (slice's end, transpose's perm) may be given as null.
        if v == .null, spec.defaultValue == .null { return v }
        switch (spec.kind, v) {
        case (.int, .int), (.axis, .int), (.bool, .bool), (.ints, .ints), (.intOrInts, .int), (.intOrInts, .ints),
             (.axes, .null), (.axes, .int), (.axes, .ints):
            return v
        case (.double, .int(let i)): return .double(Double(i))
        case (.double, .double(let d)):
            guard d.isFinite else { throw bad }
            return v
        case (.string(let allowed), .string(let s)):
            guard allowed.isEmpty || allowed.contains(s) else {
                throw OpError("attribute \(quoted(spec.name)) must be one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(visibleText(s))\"")
            }
            return v
        default: throw bad
        }
    }

    public subscript(name: String) -> AttrValue? { entries.first { $0.name == name }?.value }

    public func int(_ name: String) -> Int {
        if case .int(let i)? = self[name] { return i }
        preconditionFailure("attribute \(name) is not an int")
    }
    public func double(_ name: String) -> Double {
        switch self[name] {
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        default: preconditionFailure("attribute \(name) is not a number")
        }
    }
    public func string(_ name: String) -> String {
        if case .string(let s)? = self[name] { return s }
        preconditionFailure("attribute \(name) is not a string")
    }
    public func ints(_ name: String) -> [Int] {
        switch self[name] {
        case .ints(let l)?: return l
        case .int(let i)?: return [i]
        default: preconditionFailure("attribute \(name) is not a list of ints")
        }
    }
    /// A pair for 2-D attributes given as an int or [h, w].
    public func pair(_ name: String) throws(OpError) -> (Int, Int) {
        let l = ints(name)
        if l.count == 1 { return (l[0], l[0]) }
        guard l.count == 2 else { throw OpError("attribute \(quoted(name)) must be an int or [h, w], got \(l)") }
        return (l[0], l[1])
    }
    /// nil for null (all axes).
    public func axes(_ name: String) -> [Int]? {
        switch self[name] {
        case .null?: return nil
        case .int(let i)?: return [i]
        case .ints(let l)?: return l
        default: preconditionFailure("attribute \(name) is not axes")
        }
    }
}

extension AttrKind {
    public var expected: String {
        switch self {
        case .int: return "an integer"
        case .axis: return "an integer axis"
        case .double: return "a number"
        case .bool: return "true or false"
        case .string(let allowed): return allowed.isEmpty ? "a string" : "one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        case .ints: return "a list of integers"
        case .intOrInts: return "an integer or a list of integers"
        case .axes: return "null, an integer axis or a list of axes"
        }
    }
}

/// An error of an op: bad attributes, shapes that do not fit, a value out of range.
/// The message names the op, the input and the shapes; the caller adds the node and file.
public struct OpError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo.
public func nearestName(to name: String, in candidates: [String]) -> String? {
    // Edit distance counting a swap of neighbours as one edit ("axsi" is one typo of "axis").
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
    let target = Array(name.lowercased())
    var best: (String, Int)?
    for c in candidates {
        let d = distance(target, Array(c.lowercased()))
        if d <= max(1, min(3, c.count / 3)), best == nil || d < best!.1 { best = (c, d) }
    }
    return best?.0
}

/// Normalizes a possibly negative axis for a tensor of `rank`.
func normalizeAxis(_ axis: Int, rank: Int, op: String) throws(OpError) -> Int {
    let r = max(rank, 1)
    guard axis >= -r && axis < r else {
        throw OpError("\(op): axis \(axis) is out of range for a tensor of rank \(rank)")
    }
    return axis < 0 ? axis + r : axis
}

/// Normalizes a list of axes (nil: all), rejecting duplicates; sorted ascending.
func normalizeAxes(_ axes: [Int]?, rank: Int, op: String) throws(OpError) -> [Int] {
    guard let axes, !axes.isEmpty else { return Array(0..<rank) }
    var out: [Int] = []
    for a in axes {
        let n = try normalizeAxis(a, rank: rank, op: op)
        if rank == 0 { continue }
        guard !out.contains(n) else { throw OpError("\(op): axis \(a) appears twice in \(axes)") }
        out.append(n)
    }
    return out.sorted()
}

/// Formats a shape for messages: [2, 3], or "scalar".
public func shapeText(_ shape: [Int]) -> String {
    shape.isEmpty ? "[] (scalar)" : "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
