import GradvizCore

/// A model file as written, typed: what `ModelDecoder` makes of the JSON. Every piece keeps
/// its place in the file, for the planner's messages. Nothing here is resolved: ids are
/// text, expressions are text, functions are unchecked.
struct ModelFile {
    /// The top-level object.
    var position: SourcePosition
    var name: String?
    var description: String?
    var inputs: [InputDecl]
    var functions: [FunctionDecl]
    var nodes: [NodeDecl]
    /// The "nodes" array.
    var nodesPosition: SourcePosition
    /// nil when the file has no "outputs": the last node's values are the outputs.
    var outputs: [Text]?
    var seeds: [SeedDecl]
    /// The "seed" object, if any.
    var seedPosition: SourcePosition?
}

/// A string of the file where it was written.
struct Text {
    var text: String
    var position: SourcePosition
}

struct InputDecl {
    /// The key, at the key's position.
    var id: Text
    /// The literal value, or how to generate it.
    var value: Value
    var requiresGradient: Bool
    var label: String?
    var doc: String?

    enum Value {
        case literal(Tensor)
        case generated(InputInit)
    }

    var shape: [Int] {
        switch value {
        case .literal(let t): return t.shape
        case .generated(let i): return i.shape
        }
    }
}

/// A function of "functions", as written.
struct FunctionDecl {
    var name: Text
    /// The function's object.
    var position: SourcePosition
    var params: [Text]
    var doc: String?
    var kind: Kind

    enum Kind {
        /// A composite op: "body".
        case composite(body: Text)
        /// A custom primitive: "forward" and, per param as written, "backward".
        case primitive(forward: Text, backward: [(param: Text, expression: Text)], backwardPosition: SourcePosition)
    }
}

struct NodeDecl {
    /// The node's object.
    var position: SourcePosition
    /// "id", or the ids of "outputs", in order.
    var names: [Text]
    /// Whether the names come from "outputs".
    var hasOutputsKey: Bool
    var group: String?
    var label: String?
    var doc: String?
    var body: Body

    enum Body {
        case expression(Text)
        case op(OpCall)
    }

    /// "node 'h'", or "node (a, b)" for a node with several outputs.
    var what: String { describeNode(names.map(\.text)) }
}

/// "op", "inputs" and "attrs" of a node.
struct OpCall {
    var op: Text
    var inputs: [Argument]
    /// The "inputs" array.
    var inputsPosition: SourcePosition
    var attributes: [(name: String, value: AttrValue)]
    /// The "attrs" object, if any.
    var attributesPosition: SourcePosition?

    enum Argument {
        case id(Text)
        case number(Double, SourcePosition)
    }
}

struct SeedDecl {
    /// The key, at the key's position.
    var id: Text
    var value: Tensor
    var valuePosition: SourcePosition
}

/// "node 'h'", or "node (a, b)" for a node with several outputs.
func describeNode(_ names: [String]) -> String {
    names.count == 1 ? "node \(quoted(names[0]))" : "node (\(names.joined(separator: ", ")))"
}

/// `[A-Za-z_][A-Za-z0-9_.]*`, checked on the UTF-8 bytes: what an id is.
func isIdentifier(_ s: String) -> Bool {
    var first = true
    for c in s.utf8 {
        let letter = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
        let more = (c >= 0x30 && c <= 0x39) || c == 0x2E
        guard letter || (!first && more) else { return false }
        first = false
    }
    return !first
}

/// `shape` + `init` of an input, generated once the whole model is known to be valid.
struct InputInit {
    let kind: String
    let shape: [Int]
    let fill: Double, mean: Double, std: Double, low: Double, high: Double
    let seed: Int

    func tensor() -> Tensor {
        let n = Tensor.count(of: shape)
        var rng = SeededGenerator(seed: UInt64(bitPattern: Int64(seed)))
        let data: [Double]
        switch kind {
        case "zeros": data = [Double](repeating: 0, count: n)
        case "ones": data = [Double](repeating: 1, count: n)
        case "full": data = [Double](repeating: fill, count: n)
        case "arange": data = (0..<n).map(Double.init)
        case "normal": data = (0..<n).map { _ in mean + std * rng.normal() }
        default: data = (0..<n).map { _ in low + (high - low) * rng.unit() }
        }
        return Tensor(shape: shape, data: data)
    }
}
