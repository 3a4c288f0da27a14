/// A value of a graph for building graphs in Swift, as micrograd's `Value`:
///
///     let g = Graph()
///     let x = g.input("x", -2), y = g.input("y", 5), z = g.input("z", -4)
///     let L = (x + y) * z
///     let grads = try g.backward(L)      // grads[x] == -4
///
/// Operators and functions record a node and compute it at once. Shape errors in
/// operators stop the program (as an out-of-range index does); `Graph.apply` and
/// `Value.apply` throw instead.
public struct Value: CustomStringConvertible {
    public let graph: Graph
    public let id: ValueID

    public init(_ graph: Graph, _ id: ValueID) {
        self.graph = graph
        self.id = id
    }

    public var tensor: Tensor { graph.value(id) }
    public var shape: [Int] { tensor.shape }
    public var description: String { "\(graph.name(id).isEmpty ? "\(id)" : graph.name(id)) = \(tensor)" }

    /// Applies any op (a built-in or your own `Op` type) to values of one graph.
    public static func apply(_ op: any Op, _ inputs: [Value], names: [String] = []) throws(OpError) -> [Value] {
        let graph = inputs[0].graph
        precondition(inputs.allSatisfy { $0.graph === graph }, "values of different graphs")
        return try graph.apply(op, inputs.map(\.id), names: names).map { Value(graph, $0) }
    }

    /// Applies a built-in op by name with attributes.
    public static func apply(_ name: String, _ inputs: [Value], _ attributes: [(String, AttrValue)] = []) throws(OpError) -> [Value] {
        try apply(OpRegistry.make(name, attributes), inputs)
    }

    /// Operators cannot throw without a `try` at every use; a shape error here is a
    /// programming error, reported with the op's own message.
    static func must(_ name: String, _ inputs: [Value], _ attributes: [(String, AttrValue)] = []) -> Value {
        do { return try apply(name, inputs, attributes)[0] } catch { fatalError("gradviz: \(error)") }
    }

    /// Gives this value a name, shown in drawings and results.
    @discardableResult
    public func named(_ name: String) -> Value {
        graph.rename(id, name)
        return self
    }

    func constant(_ c: Double) -> Value { Value(graph, graph.addConstant(Tensor(c))) }

    public static func + (a: Value, b: Value) -> Value { must("add", [a, b]) }
    public static func - (a: Value, b: Value) -> Value { must("sub", [a, b]) }
    public static func * (a: Value, b: Value) -> Value { must("mul", [a, b]) }
    public static func / (a: Value, b: Value) -> Value { must("div", [a, b]) }
    public static prefix func - (a: Value) -> Value { must("neg", [a]) }
    public static func + (a: Value, b: Double) -> Value { a + a.constant(b) }
    public static func + (a: Double, b: Value) -> Value { b.constant(a) + b }
    public static func - (a: Value, b: Double) -> Value { a - a.constant(b) }
    public static func - (a: Double, b: Value) -> Value { b.constant(a) - b }
    public static func * (a: Value, b: Double) -> Value { a * a.constant(b) }
    public static func * (a: Double, b: Value) -> Value { b.constant(a) * b }
    public static func / (a: Value, b: Double) -> Value { a / a.constant(b) }
    public static func / (a: Double, b: Value) -> Value { b.constant(a) / b }
}

extension Graph {
    /// A gradient-enabled leaf (or data, with `requiresGradient: false`).
    public func input(_ name: String, _ value: Tensor, requiresGradient: Bool = true) -> Value {
        Value(self, addInput(name, value, requiresGradient: requiresGradient))
    }
    public func input(_ name: String, _ value: Double, requiresGradient: Bool = true) -> Value {
        input(name, Tensor(value), requiresGradient: requiresGradient)
    }
    public func backward(_ output: Value, seed: Tensor? = nil) throws -> Gradients {
        try backward(output.id, seed: seed)
    }
}

extension Gradients {
    public subscript(v: Value) -> Tensor? { self[v.id] }
}

// Functions for the ops, named as in models. Attributes are Swift arguments with the
// model format's defaults.
public func pow(_ a: Value, _ b: Value) -> Value { Value.must("pow", [a, b]) }
public func pow(_ a: Value, _ b: Double) -> Value { Value.must("pow", [a, a.constant(b)]) }
public func maximum(_ a: Value, _ b: Value) -> Value { Value.must("maximum", [a, b]) }
public func minimum(_ a: Value, _ b: Value) -> Value { Value.must("minimum", [a, b]) }
public func exp(_ x: Value) -> Value { Value.must("exp", [x]) }
public func log(_ x: Value) -> Value { Value.must("log", [x]) }
public func sqrt(_ x: Value) -> Value { Value.must("sqrt", [x]) }
public func square(_ x: Value) -> Value { Value.must("square", [x]) }
public func abs(_ x: Value) -> Value { Value.must("abs", [x]) }
public func sin(_ x: Value) -> Value { Value.must("sin", [x]) }
public func cos(_ x: Value) -> Value { Value.must("cos", [x]) }
public func tanh(_ x: Value) -> Value { Value.must("tanh", [x]) }
public func sigmoid(_ x: Value) -> Value { Value.must("sigmoid", [x]) }
public func relu(_ x: Value) -> Value { Value.must("relu", [x]) }
public func softplus(_ x: Value) -> Value { Value.must("softplus", [x]) }
public func leakyRelu(_ x: Value, negativeSlope: Double = 0.01) -> Value {
    Value.must("leaky_relu", [x], [("negative_slope", .double(negativeSlope))])
}
public func gelu(_ x: Value, approximate: String = "none") -> Value { Value.must("gelu", [x], [("approximate", .string(approximate))]) }
public func identity(_ x: Value) -> Value { Value.must("identity", [x]) }
public func matmul(_ a: Value, _ b: Value) -> Value { Value.must("matmul", [a, b]) }
public func transpose(_ x: Value, _ perm: [Int]? = nil) -> Value {
    Value.must("transpose", [x], perm.map { [("perm", .ints($0))] } ?? [])
}
public func reshape(_ x: Value, _ shape: [Int]) -> Value { Value.must("reshape", [x], [("shape", .ints(shape))]) }
public func concat(_ xs: [Value], axis: Int = 0) -> Value { Value.must("concat", xs, [("axis", .int(axis))]) }
public func split(_ x: Value, sizes: [Int], axis: Int = 0) -> [Value] {
    do { return try Value.apply("split", [x], [("axis", .int(axis)), ("sizes", .ints(sizes))]) } catch { fatalError("gradviz: \(error)") }
}
public func slice(_ x: Value, axis: Int = 0, start: Int = 0, end: Int? = nil, step: Int = 1) -> Value {
    Value.must("slice", [x], [("axis", .int(axis)), ("start", .int(start)), ("end", end.map { .int($0) } ?? .null), ("step", .int(step))])
}
private func axisValue(_ axis: [Int]?) -> AttrValue { axis.map { .ints($0) } ?? .null }
public func sum(_ x: Value, axis: [Int]? = nil, keepdims: Bool = false) -> Value {
    Value.must("sum", [x], [("axis", axisValue(axis)), ("keepdims", .bool(keepdims))])
}
public func mean(_ x: Value, axis: [Int]? = nil, keepdims: Bool = false) -> Value {
    Value.must("mean", [x], [("axis", axisValue(axis)), ("keepdims", .bool(keepdims))])
}
public func max(_ x: Value, axis: [Int]? = nil, keepdims: Bool = false) -> Value {
    Value.must("max", [x], [("axis", axisValue(axis)), ("keepdims", .bool(keepdims))])
}
public func logsumexp(_ x: Value, axis: [Int]? = nil, keepdims: Bool = false) -> Value {
    Value.must("logsumexp", [x], [("axis", axisValue(axis)), ("keepdims", .bool(keepdims))])
}
public func softmax(_ x: Value, axis: Int = -1) -> Value { Value.must("softmax", [x], [("axis", .int(axis))]) }
public func logSoftmax(_ x: Value, axis: Int = -1) -> Value { Value.must("log_softmax", [x], [("axis", .int(axis))]) }
public func mseLoss(_ pred: Value, _ target: Value, reduction: String = "mean") -> Value {
    Value.must("mse_loss", [pred, target], [("reduction", .string(reduction))])
}
public func crossEntropy(_ logits: Value, _ target: Value, reduction: String = "mean") -> Value {
    Value.must("cross_entropy", [logits, target], [("reduction", .string(reduction))])
}
public func bceWithLogits(_ logits: Value, _ target: Value, reduction: String = "mean") -> Value {
    Value.must("bce_with_logits", [logits, target], [("reduction", .string(reduction))])
}
public func layerNorm(_ x: Value, weight: Value? = nil, bias: Value? = nil, eps: Double = 1e-5) -> Value {
    Value.must("layer_norm", [x] + [weight, bias].compactMap { $0 }, [("eps", .double(eps))])
}
public func batchNorm(_ x: Value, weight: Value? = nil, bias: Value? = nil, eps: Double = 1e-5) -> Value {
    Value.must("batch_norm", [x] + [weight, bias].compactMap { $0 }, [("eps", .double(eps))])
}
public func dropout(_ x: Value, p: Double = 0.5, seed: Int = 0) -> Value {
    Value.must("dropout", [x], [("p", .double(p)), ("seed", .int(seed))])
}
public func conv2d(_ x: Value, _ w: Value, _ b: Value? = nil, stride: [Int] = [1], padding: [Int] = [0]) -> Value {
    Value.must("conv2d", [x, w] + (b.map { [$0] } ?? []), [("stride", .ints(stride)), ("padding", .ints(padding))])
}
public func maxPool2d(_ x: Value, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0]) -> Value {
    Value.must("max_pool2d", [x], [("kernel_size", .ints(kernelSize)), ("stride", stride.map { .ints($0) } ?? .null), ("padding", .ints(padding))])
}
public func avgPool2d(_ x: Value, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0]) -> Value {
    Value.must("avg_pool2d", [x], [("kernel_size", .ints(kernelSize)), ("stride", stride.map { .ints($0) } ?? .null), ("padding", .ints(padding))])
}
