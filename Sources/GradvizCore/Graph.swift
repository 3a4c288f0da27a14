/// One value of a graph: output `output` of node `node`.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let node: Int
    public let output: Int
    public init(node: Int, output: Int = 0) {
        self.node = node
        self.output = output
    }
    public static func < (a: ValueID, b: ValueID) -> Bool { (a.node, a.output) < (b.node, b.output) }
    public var description: String { output == 0 ? "%\(node)" : "%\(node).\(output)" }
}

/// A computational graph whose nodes are kept in the order they were added. A node can
/// only use values that already exist, so that order is a topological order: the forward
/// pass is that order and the backward pass is its reverse.
public final class Graph {
    public enum Kind {
        /// A leaf: data or a parameter. `requiresGradient` is false for data such as targets.
        case input(requiresGradient: Bool)
        /// A number written into the computation (the 2 of x / 2): never differentiated.
        case constant
        case op(any Op)
    }

    public struct Node {
        public var kind: Kind
        /// The value each input slot reads.
        public var inputs: [ValueID]
        /// Forward results, one per output.
        public var values: [Tensor]
        /// One name per output ("" when the value is anonymous). Names are for people and
        /// files; the engine never looks at them.
        public var names: [String]
        /// Bit i set when input slot i is differentiable (slots >= 64 use the op's info).
        var differentiableMask: UInt64 = 0
        /// The op as a built-in elementwise op when every input has one element: the
        /// backward pass then computes this node as numbers (`ScalarPath`).
        var scalarKernel: ScalarPath.Kernel? = nil

        public var op: (any Op)? { if case .op(let op) = kind { return op } else { return nil } }
        public var isLeaf: Bool { if case .op = kind { return false } else { return true } }
        public var requiresGradient: Bool { if case .input(let r) = kind { return r } else { return false } }
        @inline(__always)
        public func isDifferentiable(slot: Int) -> Bool {
            slot < 64 ? differentiableMask & (1 << UInt64(slot)) != 0 : op!.info.isDifferentiable(slot: slot)
        }
    }

    public private(set) var nodes: [Node] = []
    static let anonymous = [""]

    public init() {}

    /// Room for `count` nodes, for callers that know how many they will add.
    public func reserveCapacity(_ count: Int) { nodes.reserveCapacity(count) }

    public func node(_ v: ValueID) -> Node { nodes[v.node] }
    public func value(_ v: ValueID) -> Tensor { nodes[v.node].values[v.output] }
    public func name(_ v: ValueID) -> String { nodes[v.node].names[v.output] }

    /// Adds a leaf.
    @discardableResult
    public func addInput(_ name: String, _ value: Tensor, requiresGradient: Bool = true) -> ValueID {
        nodes.append(Node(kind: .input(requiresGradient: requiresGradient), inputs: [], values: [value], names: [name]))
        return ValueID(node: nodes.count - 1)
    }

    /// Adds a constant (never differentiated).
    @discardableResult
    public func addConstant(_ value: Tensor, name: String = "") -> ValueID {
        nodes.append(Node(kind: .constant, inputs: [], values: [value], names: [name]))
        return ValueID(node: nodes.count - 1)
    }

    /// Checks shapes, runs `op` forward and records the node. Returns one value per output.
    @discardableResult
    public func apply(_ op: any Op, _ inputs: [ValueID], names: [String] = []) throws(OpError) -> [ValueID] {
        let n = try record(op, inputs, names: names)
        return (0..<nodes[n].values.count).map { ValueID(node: n, output: $0) }
    }

    /// `apply` for callers that add many nodes and need no list of outputs back (a loader):
    /// returns the new node's index.
    @discardableResult
    public func record(_ op: any Op, _ inputs: [ValueID], names: [String] = []) throws(OpError) -> Int {
        let info = op.info
        guard info.arity.contains(inputs.count) else {
            throw OpError("\(info.name) takes \(arityText(info)), got \(inputs.count)")
        }
        for v in inputs where v.node >= nodes.count || v.output >= nodes[v.node].values.count {
            throw OpError("\(info.name): input \(v) does not exist")
        }
        var mask: UInt64 = 0
        for slot in 0..<min(inputs.count, 64) where info.isDifferentiable(slot: slot) { mask |= 1 << UInt64(slot) }
        let kernel = scalarKernel(op, inputs)
        if let kernel, let y = scalarValue(kernel, inputs) {
            nodes.append(Node(kind: .op(op), inputs: inputs, values: [Tensor(y)], names: names.count == 1 ? names : Graph.anonymous,
                              differentiableMask: mask, scalarKernel: kernel))
            return nodes.count - 1
        }
        let values = inputs.map(value)
        let shapes = try op.outputShapes(values.map(\.shape))
        let outputs = try op.forward(values)
        assert(outputs.map(\.shape) == shapes, "\(info.name): forward gave \(outputs.map(\.shape)), outputShapes said \(shapes)")
        let outputNames = names.count == outputs.count ? names : [String](repeating: "", count: outputs.count)
        nodes.append(Node(kind: .op(op), inputs: inputs, values: outputs, names: outputNames,
                          differentiableMask: mask, scalarKernel: kernel))
        return nodes.count - 1
    }

    /// `op` as a built-in elementwise op (`ScalarPath`) when it has one or two inputs of
    /// one element each; nil for anything else.
    private func scalarKernel(_ op: any Op, _ inputs: [ValueID]) -> ScalarPath.Kernel? {
        guard inputs.count == 1 || inputs.count == 2 else { return nil }
        for v in inputs where nodes[v.node].values[v.output].count != 1 { return nil }
        return ScalarPath.Kernel(op, arity: inputs.count)
    }

    /// The value of an elementwise node on rank-0 inputs, computed as a number; nil when an
    /// input has another shape (such as [1]: the general path then gives the output's shape).
    private func scalarValue(_ kernel: ScalarPath.Kernel, _ inputs: [ValueID]) -> Double? {
        let a = value(inputs[0])
        guard a.shape.isEmpty else { return nil }
        guard inputs.count == 2 else { return kernel.value(a.data[0], 0) }
        let b = value(inputs[1])
        guard b.shape.isEmpty else { return nil }
        return kernel.value(a.data[0], b.data[0])
    }

    public func rename(_ v: ValueID, _ name: String) {
        nodes[v.node].names[v.output] = name
    }
}

/// "2 inputs", "1 or 3 inputs", "1 or more inputs".
public func arityText(_ info: OpInfo) -> String {
    let r = info.arity
    let noun = r.upperBound == 1 ? "input" : "inputs"
    if r.upperBound == Int.max { return "\(r.lowerBound) or more inputs" }
    if r.lowerBound == r.upperBound { return "\(r.lowerBound) \(noun)" }
    return "\(r.lowerBound) to \(r.upperBound) \(noun)"
}
